"""Turn raw text cells into typed contact-table values, column at a time.

Every parser is vectorised and returns the parsed values *and* a mask of the cells it
could not read, so the pipeline can quarantine exactly those rows with a reason instead of
guessing. Nothing here drops or invents a value.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.ingest.dates import DATE_FORMATS, format_dayfirst, parse_datetime, utc_offsets
from flowkit.ingest.parsed import Parsed, _as_text
from flowkit.schema import STRING

__all__ = [
    "DATE_FORMATS",
    "Parsed",
    "format_dayfirst",
    "norm_key",
    "normalise_channel",
    "normalise_handling",
    "parse_bool",
    "parse_datetime",
    "parse_duration",
    "utc_offsets",
]


def norm_key(text: str) -> str:
    """Fold a header or code for matching: lower case, no accents, no spaces or punctuation."""
    text = text.replace("ł", "l").replace("Ł", "L").lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("ё", "е")  # NFKD leaves Cyrillic ё intact on some builds
    return re.sub(r"[\W_]+", "", text)


# --------------------------------------------------------------------------- durations

_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hours": 3600.0,
    "ms": 0.001,
}


def parse_duration(raw: pd.Series, unit: str = "seconds") -> Parsed:
    """Seconds from numbers (decimal point or comma), "mm:ss" or "hh:mm:ss".

    Plain numbers are in ``unit`` (seconds unless the mapping says ``minutes``/``hours``).
    Negative durations are parsed (so the reason can say "negative") and reported by the
    caller; text that is no duration at all is marked bad.
    """
    scale = _UNITS.get(unit)
    if scale is None:
        raise ValueError(f"unknown duration unit {unit!r}; use seconds, minutes or hours")
    text = _as_text(raw)
    present = text.notna().to_numpy(dtype=bool)
    cells = pc.utf8_trim_whitespace(_arrow_cells(text))
    values = np.full(len(text), np.nan)
    # bare numbers (nearly every cell) in C; only the rest through pandas and the unit regex
    bare = pc.fill_null(pc.match_substring_regex(cells, _BARE), False).to_numpy(zero_copy_only=False)
    if bare.any():
        short = bare & (pc.fill_null(pc.utf8_length(cells), 0).to_numpy(zero_copy_only=False) <= _EXACT_CHARS)
        numbers = pc.replace_substring(cells.filter(pa.array(short)), ",", ".")
        values[short] = pc.cast(numbers, pa.float64()).to_numpy(zero_copy_only=False) * scale
        long = bare & ~short
        if long.any():
            text_long = pd.Series(cells.filter(pa.array(long)), dtype=STRING).str.replace(",", ".", regex=False)
            values[long] = pd.to_numeric(text_long, errors="coerce").astype("float64").to_numpy() * scale
    rest = present & ~bare
    if rest.any():
        values[rest] = _other_durations(pd.Series(cells.filter(pa.array(rest)), dtype=STRING), scale)
    unread = np.isnan(values)
    out = pd.Series(pd.arrays.FloatingArray(values, unread), index=raw.index)  # NaN is missing, as astype says
    return Parsed(out, pd.Series(present & unread, index=raw.index))


_BARE = r"^[+-]?\d+(?:[.,]\d+)?$"  # a plain number (RE2: \d is an ASCII digit, as pandas' fullmatch had it)
# up to 15 characters (at most 15 digits) pandas' parser and pyarrow's both round correctly, so agree exactly
_EXACT_CHARS = 15


def _arrow_cells(text: pd.Series) -> pa.ChunkedArray:
    cells: pa.ChunkedArray = text.array._pa_array
    return cells


def _other_durations(s: pd.Series, scale: float) -> np.ndarray:
    """Seconds from the cells that are not bare numbers: clock times, or a number with a unit word."""
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    clock = s.str.contains(":", regex=False).to_numpy(dtype=bool)
    if clock.any():
        c = s[clock]
        sign = np.where(c.str.startswith("-"), -1.0, 1.0)
        parts = c.str.lstrip("+-").str.split(":", expand=True)
        nums = parts.apply(lambda col: pd.to_numeric(col.str.replace(",", ".", regex=False), errors="coerce"))
        n_parts = parts.notna().sum(axis=1)
        weights = {2: [60.0, 1.0], 3: [3600.0, 60.0, 1.0]}
        secs = pd.Series(np.nan, index=c.index)
        for n, w in weights.items():
            rows = n_parts == n
            if rows.any() and nums.shape[1] >= n:
                block = nums.loc[rows, list(range(n))]
                valid = block.notna().all(axis=1) & (block.iloc[:, 1:] < 60).all(axis=1)
                secs.loc[block.index[valid]] = (block[valid] * w).sum(axis=1)
        out.loc[c.index] = secs * sign
    plain = s[~clock]
    if not plain.empty:
        m = plain.str.extract(r"^([+-]?\d+(?:[.,]\d+)?)\s*([a-zA-Z]*)$")
        num = pd.to_numeric(m[0].str.replace(",", ".", regex=False), errors="coerce")
        factor = m[1].fillna("").str.lower().map(lambda u: scale if not u else _UNITS.get(u, np.nan))
        out.loc[plain.index] = (num * factor).astype("float64")
    return out.to_numpy()


# --------------------------------------------------------------------------- booleans

TRUE_WORDS = {"true", "t", "yes", "y", "1", "tak", "prawda", "да", "д", "истина", "x", "✓"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "nie", "fałsz", "falsz", "нет", "н", "ложь", ""}


def parse_bool(raw: pd.Series, true: list[str] | None = None, false: list[str] | None = None) -> Parsed:
    """Booleans from yes/no words in English, Polish and Russian, or from the mapping's codes."""
    t = {str(v).strip().lower() for v in true} if true is not None else TRUE_WORDS
    f = {str(v).strip().lower() for v in false} if false is not None else FALSE_WORDS
    only_true = true is not None and false is None  # only true codes listed: anything else is False

    def read(v: str | None) -> bool | None:
        if v is None:
            return None
        k = v.strip().lower()
        return True if k in t else False if (k in f or only_true) else None

    codes, uniques = pd.factorize(_as_text(raw))
    read_each = [read(u) for u in uniques] + [None]  # once per distinct value; the last for missing cells
    values = np.array([v is True for v in read_each])[codes]
    missing = np.array([v is None for v in read_each])[codes]
    out = pd.Series(pd.arrays.BooleanArray(values, missing), index=raw.index)
    bad = raw.notna() & out.isna()
    return Parsed(out, bad)


# --------------------------------------------------------------------------- channels

_CHANNEL_WORDS = {
    "phone": [
        "phone",
        "telephone",
        "tel",
        "call",
        "calls",
        "voice",
        "ivr",
        "inboundcall",
        "phonecall",
        "callcentre",
        "callcenter",
        "telefon",
        "telefonicznie",
        "telefoniczny",
        "rozmowa",
        "polaczenie",
        "infolinia",
        "звонок",
        "звонки",
        "телефон",
        "тел",
        "голос",
        "телефонныйзвонок",
    ],
    "email": [
        "email",
        "emails",
        "mail",
        "mails",
        "eml",
        "poczta",
        "pocztaelektroniczna",
        "mejl",
        "emailowo",
        "электроннаяпочта",
        "почта",
        "элпочта",
        "емейл",
        "имейл",
        "емаил",
    ],
    "web": [
        "web",
        "online",
        "website",
        "webform",
        "form",
        "portal",
        "selfservice",
        "internet",
        "mobile",
        "app",
        "mobileapp",
        "www",
        "formularz",
        "formularzwww",
        "formularzkontaktowy",
        "strona",
        "serwis",
        "сайт",
        "веб",
        "вебформа",
        "форма",
        "личныйкабинет",
        "приложение",
        "онлайн",
    ],
    "chat": ["chat", "livechat", "webchat", "whatsapp", "czat", "чат", "онлайнчат"],
    "sms": ["sms", "text", "textmessage", "esemes", "смс"],
    "letter": ["letter", "post", "paper", "pismo", "list", "korespondencja", "письмо", "почтовоеписьмо"],
    "visit": [
        "visit",
        "walkin",
        "inperson",
        "branch",
        "counter",
        "office",
        "wizyta",
        "osobiscie",
        "oddzial",
        "визит",
        "лично",
        "офис",
        "личныйвизит",
    ],
    "social": [
        "social",
        "socialmedia",
        "facebook",
        "twitter",
        "instagram",
        "linkedin",
        "media spolecznosciowe",
        "mediaspolecznosciowe",
        "соцсети",
        "вконтакте",
        "vk",
        "telegram",
    ],
    "fax": ["fax", "faks", "telefax", "факс"],
    "unknown": ["unknown", "other", "na", "none", "inne", "inny", "brak", "другое", "прочее", "неизвестно"],
}
CHANNEL_LOOKUP = {norm_key(w): ch for ch, words in _CHANNEL_WORDS.items() for w in words}


def normalise_channel(raw: pd.Series, extra: dict[str, str] | None = None) -> tuple[pd.Series, dict[str, int]]:
    """Channel names in any of our languages to the contract's channels.

    Returns the channels and the count of each source value that was not recognised
    (those become ``unknown``; the mapping's ``channels:`` can name them).
    """
    lookup = dict(CHANNEL_LOOKUP)
    if extra:
        lookup.update({norm_key(str(k)): v for k, v in extra.items()})
    text = _as_text(raw)
    codes, uniques = pd.factorize(text)
    mapped = [lookup.get(norm_key(u)) for u in uniques]  # once per distinct value, not per row
    not_found = np.array([bool(pd.isna(v)) for v in mapped] + [False])[codes]  # missing cells are not counted
    unknown = {str(k): int(n) for k, n in text[not_found].value_counts().items()}
    channels = np.array([*mapped, None], dtype=object)
    channels[[bool(pd.isna(v)) for v in channels]] = "unknown"
    return pd.Series(channels[codes], index=raw.index, dtype=object), unknown


_HANDLING_WORDS = {
    "one_stop": ["onestop", "resolved", "firsttime", "jednokrotnie", "zalatwione", "одноокно", "решеносразу"],
    "pass_on": [
        "passon",
        "passedon",
        "handoff",
        "handedoff",
        "transferred",
        "escalated",
        "przekazane",
        "eskalacja",
        "передано",
        "эскалация",
    ],
    "pass_back": ["passback", "passedback", "sentback", "returnedtocustomer", "zwrocone", "возвращено"],
}
_HANDLING_LOOKUP = {norm_key(w): h for h, words in _HANDLING_WORDS.items() for w in words}


def normalise_handling(raw: pd.Series) -> Parsed:
    """one_stop / pass_on / pass_back from the usual words; anything else is bad."""
    codes, uniques = pd.factorize(_as_text(raw))
    mapped = np.array([*(_HANDLING_LOOKUP.get(norm_key(u)) for u in uniques), None], dtype=object)
    out = pd.Series(mapped[codes], index=raw.index, dtype=object)
    unread = pd.Series(np.array([v is None for v in mapped])[codes], index=raw.index)
    return Parsed(out, raw.notna() & unread)
