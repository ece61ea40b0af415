"""Which text encoding an export is in: UTF-8, or a Polish/Russian/Western legacy code page.

Legacy exports rarely say. charset-normalizer does the statistics; we only restrict it to
the encodings service organisations actually send, and check the whole file decodes.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

__all__ = ["CANDIDATES", "decode", "detect_encoding"]

CANDIDATES = ("utf-8", "utf-8-sig", "cp1250", "cp1251", "latin-1")
_SAMPLE_BYTES = 1 << 20


def _canonical(name: str) -> str:
    norm = codecs.lookup(name).name
    return {"utf-8": "utf-8", "cp1250": "cp1250", "cp1251": "cp1251", "iso8859-1": "latin-1"}.get(norm, norm)


def detect_encoding(data: bytes) -> str:
    """Best guess among :data:`CANDIDATES` for ``data`` (always one that decodes it)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = data[:_SAMPLE_BYTES]
    best = from_bytes(sample, cp_isolation=["cp1250", "cp1251", "latin_1"]).best()
    order = [_canonical(best.encoding)] if best is not None else []
    order += [e for e in ("cp1250", "cp1251", "latin-1") if e not in order]
    for enc in order:
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return "latin-1"  # decodes any byte sequence


def decode(data: bytes, encoding: str | None) -> tuple[str, str, int]:
    """Decode ``data``; returns (text, encoding used, number of undecodable bytes replaced)."""
    enc = encoding or detect_encoding(data)
    try:
        return data.decode(enc), enc, 0
    except UnicodeDecodeError:
        text = data.decode(enc, errors="replace")
        return text, enc, text.count("\ufffd")
    except LookupError as exc:
        from flowkit.errors import MappingError

        raise MappingError(f"unknown encoding {enc!r}; use one of {', '.join(CANDIDATES)}") from exc
