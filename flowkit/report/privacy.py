"""Personal data never reaches a report: mask it in verbatims, pseudonymise customer ids.

Contact logs hold phone numbers, e-mail addresses and national ID numbers (Polish PESEL,
Russian SNILS) inside free text. Masks replace them with a label; customer ids can be
replaced by a keyed hash (HMAC-SHA256), stable within one key so cases still join.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import pandas as pd

__all__ = ["PII_PATTERNS", "mask_pii", "pseudonymise"]

#: applied in order: the more specific number formats before the generic phone number
PII_PATTERNS: list[tuple[str, str]] = [
    (r"[\w.+-]+@[\w-]+(\.[\w-]+)+", "[e-mail]"),
    (r"(?<!\d)\d{3}[- ]\d{3}[- ]\d{3}[- ]\d{2}(?!\d)", "[SNILS]"),
    (r"(?<!\d)\d{11}(?!\d)", "[ID number]"),
    (r"(?<![\w])(\+|00)?\d[\d ()./-]{6,}\d(?![\w])", "[phone]"),
]
_COMPILED = [(re.compile(p), label) for p, label in PII_PATTERNS]


def mask_pii(text: pd.Series) -> pd.Series:
    """Replace e-mail addresses, SNILS, PESEL-like 11-digit numbers and phone numbers."""
    out = text.astype(object)

    def one(value):
        if not isinstance(value, str):
            return value
        for rx, label in _COMPILED:
            value = rx.sub(label, value)
        return value

    return pd.Series([one(v) for v in out], index=text.index, dtype=object)


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
