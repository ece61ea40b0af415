"""Customer ids are replaced by a keyed hash in every output, so cases still join but nobody
outside can turn a pseudonym back into a phone number or an account.

The key is HMAC-SHA256's secret: given (``--key`` / ``FLOWKIT_PSEUDONYM_KEY``) it makes
pseudonyms agree across folders and runs; not given, each output folder keeps its own random
key beside the outputs (owner-only, mode 0600), so repeated runs into one folder agree and
two folders cannot be joined by anyone without both keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from flowkit.privacy.masking import mask_pii

__all__ = ["KEY_FILE", "Privacy", "folder_key", "is_pseudonymised", "privacy_for", "pseudonymise"]

#: the per-folder key's file name (hidden; it is a secret, not an output)
KEY_FILE = ".flowkit-pseudonym-key"
#: a pseudonym's shape: already-pseudonymised ids are not hashed again
_PSEUDONYM = re.compile(r"^C-[0-9a-f]{12}$")
#: free-text columns masked in every output
TEXT_COLUMNS = ("text",)


def pseudonymise(ids: pd.Series, key: str | bytes) -> pd.Series:
    """Keyed hash of each id ('C-' + 12 hex digits); missing stays missing. Needs a non-empty key."""
    if not key:
        raise ValueError("pseudonymising needs a secret key (e.g. --key or FLOWKIT_PSEUDONYM_KEY)")
    k = key.encode() if isinstance(key, str) else key
    return pd.Series(
        [
            None if pd.isna(v) else "C-" + hmac.new(k, str(v).encode(), hashlib.sha256).hexdigest()[:12]
            for v in ids.astype(object)
        ],
        index=ids.index,
        dtype=object,
    )


def is_pseudonymised(ids: pd.Series) -> bool:
    """True when every id present already has a pseudonym's shape (a table written by flowkit)."""
    present = ids.dropna().astype(str)
    return bool(len(present)) and bool(present.str.match(_PSEUDONYM).all())


def folder_key(folder: str | Path) -> bytes:
    """The folder's own pseudonym key: read it, or create it (random, mode 0600) on first use.

    Created under a temporary name and linked into place, so two runs racing to create it
    end up with one key.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE
    if not path.is_file():
        tmp = folder / f"{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode("ascii"))
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise ValueError(f"{path}: the pseudonym key file is empty; delete it to make a new key")
    return key.encode("ascii")


@dataclass(frozen=True)
class Privacy:
    """What an output may show. ``key`` None means raw customer ids (``--show-ids``);
    free text is masked either way."""

    key: bytes | None

    @property
    def shows_ids(self) -> bool:
        return self.key is None

    def protect(self, df: pd.DataFrame, text_columns: tuple[str, ...] = TEXT_COLUMNS) -> pd.DataFrame:
        """A copy of ``df`` fit to leave the machine: ids pseudonymised, free text masked."""
        out = df.copy()
        out.attrs = dict(df.attrs)
        if self.key is not None and "customer_id" in out.columns and not is_pseudonymised(out["customer_id"]):
            was = out["customer_id"].dtype
            out["customer_id"] = pseudonymise(out["customer_id"], self.key).astype(was)
        for col in text_columns:
            if col in out.columns:
                was = out[col].dtype
                out[col] = mask_pii(out[col]).astype(was)
        return out


def privacy_for(folder: str | Path, key: str | bytes | None = None, show_ids: bool = False) -> Privacy:
    """The privacy of outputs written into ``folder``: a given key, else the folder's own key,
    or raw ids when ``show_ids``."""
    if show_ids:
        return Privacy(None)
    if key:
        return Privacy(key.encode() if isinstance(key, str) else key)
    return Privacy(folder_key(folder))
