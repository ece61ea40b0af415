"""Turn raw text cells into typed contact-table values, column at a time.

Every parser is vectorised and returns the parsed values *and* a mask of the cells it
could not read, so the pipeline can quarantine exactly those rows with a reason instead of
guessing. Nothing here drops or invents a value.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

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


@dataclass
class Parsed:
    """Values parsed from one column, and which non-empty cells could not be read."""

    values: pd.Series
    bad: pd.Series  # bool, True where the cell had text we could not interpret
    note: str = ""  # e.g. the date format chosen


def norm_key(text: str) -> str:
    """Fold a header or code for matching: lower case, no accents, no spaces or punctuation."""
    text = text.replace("ł", "l").replace("Ł", "L").lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("ё", "е")  # NFKD leaves Cyrillic ё intact on some builds
    return re.sub(r"[\W_]+", "", text)


def _as_text(raw: pd.Series) -> pd.Series:
    """Cells as pyarrow strings with NA for missing (whatever dtype they came in)."""
    return raw if raw.dtype == STRING else raw.astype(object).where(raw.notna(), None).astype(STRING)


def map_distinct(raw: pd.Series, fn) -> pd.Series:
    """``fn`` applied once per distinct value, not per row: codes are few, rows are millions."""
    codes, uniques = pd.factorize(_as_text(raw))
    mapped = np.asarray([fn(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=raw.index, dtype=object)


# --------------------------------------------------------------------------- dates

_TIMES = ("%H:%M:%S.%f", "%H:%M:%S", "%H:%M", "")
_TIMES_12 = ("%I:%M:%S %p", "%I:%M %p")


def _with_times(dates: tuple[str, ...], times=_TIMES) -> list[str]:
    return [f"{d} {t}".strip() for d in dates for t in times]


#: candidate formats, in order of preference when several parse a sample equally well.
DATE_FORMATS: list[str] = [
    "ISO8601",
    *_with_times(("%m/%d/%Y", "%m/%d/%y"), _TIMES_12),
    *_with_times(("%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%y", "%d-%m-%y", "%d/%m/%y")),
    *_with_times(("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")),
    *_with_times(("%Y/%m/%d", "%Y.%m.%d", "%y%m%d", "%Y%m%d")),
    *_with_times(("%d.%m.%Y", "%d/%m/%Y"), _TIMES_12),
]


_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"


def _to_datetime(values: pd.Series, fmt: str, local: bool = False) -> pd.Series:
    """Parse with one format; what it cannot read (or what lies outside 1677-2262) is NaT.

    Timestamps that carry a UTC offset are converted to UTC (naive): a log that spans a
    daylight-saving change, or several zones, stays in one order. Which offsets the source
    used is reported by :func:`utc_offsets`, so the local zone can be stated.
    """
    text = values.astype(str)
    has_offset = text.str.contains(_OFFSET, regex=True)
    if local and has_offset.any():  # wall-clock time as written: the offset is dropped, not applied
        text = text.str.replace(_OFFSET, "", regex=True)
        has_offset = has_offset & False
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for part, utc in ((text[~has_offset], False), (text[has_offset], True)):
        if part.empty:
            continue
        try:
            parsed = pd.to_datetime(part, format=fmt, errors="coerce", utc=utc)
            if isinstance(parsed.dtype, pd.DatetimeTZDtype):
                parsed = parsed.dt.tz_localize(None)
            parsed = parsed.astype("datetime64[ns]")
        except (ValueError, TypeError, OverflowError):
            # out of bounds for nanoseconds (a year like 9902) or a format pandas refuses as a
            # whole: one distinct value at a time, each failure is simply not a date
            parsed = map_distinct(part, lambda v, fmt=fmt, utc=utc: _one_datetime(v, fmt, utc)).astype("datetime64[ns]")
        out.loc[part.index] = parsed
    return out


def _one_datetime(value, fmt: str, utc: bool):
    if value is None:
        return pd.NaT
    try:
        ts = pd.to_datetime(value, format=fmt, utc=utc)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.as_unit("ns")
    except (ValueError, TypeError, OverflowError):
        return pd.NaT


def utc_offsets(raw: pd.Series) -> dict[str, int]:
    """The UTC offsets written in timestamp text, with counts (empty when the log has none)."""
    text = _as_text(raw).dropna()
    found = text.str.extract(r"(Z|[+-]\d\d:?\d\d)$")[0].dropna()
    found = found.replace("Z", "+00:00").str.replace(r"^([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
    return {str(k): int(v) for k, v in found.value_counts().items()}


def _sample(values: pd.Series, k: int = 3000) -> pd.Series:
    """A sample spread over the whole column: day > 12 somewhere settles day/month order."""
    if len(values) <= k:
        return values
    idx = np.linspace(0, len(values) - 1, k).astype(int)
    return values.iloc[np.unique(idx)]


def parse_datetime(raw: pd.Series, fmt: str | None = None, dayfirst: bool | None = None, local: bool = False) -> Parsed:
    """Parse timestamps; with no ``fmt`` choose the candidate format that reads most of a sample.

    Rows the chosen format cannot read are retried with the other formats that read part of
    the sample (exports sometimes mix "2024-01-05" and "2024-01-05 08:13"); only what no
    plausible format reads is reported bad. ``dayfirst`` restricts the candidates when the
    sample cannot tell 03/04 from 04/03. Times with a UTC offset become UTC, unless ``local``:
    then the wall-clock time as written is kept (for a log whose other exports are local time).
    """
    text = _as_text(raw)
    present = text.notna()
    values = text[present].str.strip()
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if values.empty:
        return Parsed(result, present & False, fmt or "")
    if fmt:
        formats = [fmt]
    else:
        sample = _sample(values)
        candidates = DATE_FORMATS
        if dayfirst is not None:
            candidates = [f for f in candidates if format_dayfirst(f) in (None, dayfirst)]
        scores = [(int(_to_datetime(sample, f, local).notna().sum()), -i, f) for i, f in enumerate(candidates)]
        scores = [s for s in scores if s[0] > 0]
        scores.sort(reverse=True)
        formats = [f for _, _, f in scores]
        if formats:
            best_dayfirst = format_dayfirst(formats[0])
            formats = [f for f in formats if format_dayfirst(f) in (None, best_dayfirst)]
    pending = values
    for f in formats:
        if pending.empty:
            break
        parsed = _to_datetime(pending, f, local)
        ok = parsed.notna()
        result.loc[ok[ok].index] = parsed[ok]
        pending = pending[~ok]
    bad = present & result.isna()
    return Parsed(result, bad, formats[0] if formats else "")


def format_dayfirst(fmt: str) -> bool | None:
    """True/False for day-first/month-first formats; None when the format has no such question."""
    if not fmt or fmt == "ISO8601" or fmt.startswith(("%Y", "%y")):
        return None
    return fmt.startswith("%d")


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
    present = text.notna()
    s = text[present].str.strip()
    out = pd.Series(np.nan, index=raw.index, dtype="float64")
    clock = s.str.contains(":", regex=False)
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
    bad = present & out.isna()
    return Parsed(out.astype("Float64"), bad)


# --------------------------------------------------------------------------- booleans

TRUE_WORDS = {"true", "t", "yes", "y", "1", "tak", "prawda", "да", "д", "истина", "x", "✓"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "nie", "fałsz", "falsz", "нет", "н", "ложь", ""}


def parse_bool(raw: pd.Series, true: list[str] | None = None, false: list[str] | None = None) -> Parsed:
    """Booleans from yes/no words in English, Polish and Russian, or from the mapping's codes."""
    t = {str(v).strip().lower() for v in true} if true is not None else TRUE_WORDS
    f = {str(v).strip().lower() for v in false} if false is not None else FALSE_WORDS
    only_true = true is not None and false is None  # only true codes listed: anything else is False

    def read(v):
        if v is None:
            return None
        k = v.strip().lower()
        return True if k in t else False if (k in f or only_true) else None

    out = map_distinct(raw, read).astype("boolean")
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
    mapped = map_distinct(text, lambda v: None if v is None else lookup.get(norm_key(v)))
    unknown = {str(k): int(n) for k, n in text[text.notna() & mapped.isna()].value_counts().items()}
    mapped = mapped.astype(object)
    return mapped.where(mapped.notna(), "unknown"), unknown


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
    out = map_distinct(raw, lambda v: None if v is None else _HANDLING_LOOKUP.get(norm_key(v)))
    return Parsed(out, raw.notna() & out.isna())
