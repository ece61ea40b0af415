"""Timestamps from any export: the format chosen from the whole column, never a silent swap.

Day/month order is decided by the whole column (one ``13/01`` anywhere settles it); a column
that cannot tell (every day and month 12 or below) is reported ambiguous, so the caller asks
for ``dayfirst`` in the mapping instead of guessing. Excel serial day numbers are read with
Excel's 1900 leap-year quirk: serial 60 is 1900-02-29, a day that never existed.
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.ingest.parsed import Parsed, _as_text, map_distinct

if TYPE_CHECKING:
    from pandas._libs.tslibs.nattype import NaTType

__all__ = ["DATE_FORMATS", "excel_serials", "format_dayfirst", "order_evidence", "parse_datetime", "utc_offsets"]


_TIMES = ("%H:%M:%S.%f", "%H:%M:%S", "%H:%M", "")
_TIMES_12 = ("%I:%M:%S %p", "%I:%M %p")


def _with_times(dates: tuple[str, ...], times: tuple[str, ...] = _TIMES) -> list[str]:
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
# the same in RE2 (pyarrow) for any Unicode digit and a trailing line break, as Python's \d and $ allow:
# every cell Python's pattern finds, this finds, so it can rule cells out before Python looks
_OFFSET_SUPERSET = r"(?:Z|[+-]\pN\pN:?\pN\pN)\n?$"
_SLICE = 200_000


def _to_datetime(values: pd.Series, fmt: str, local: bool = False, exact: bool = True) -> pd.Series:
    """Parse with one format; what it cannot read (or what lies outside 1677-2262) is NaT.

    Timestamps that carry a UTC offset are converted to UTC (naive): a log that spans a
    daylight-saving change, or several zones, stays in one order. Which offsets the source
    used is reported by :func:`utc_offsets`, so the local zone can be stated. Long columns
    are parsed a slice at a time (each cell on its own, so the result is the same), which
    keeps the Python strings pandas makes to a slice's worth.
    """
    fast = _exact_strptime(values, fmt) if exact else None
    if fast is not None:  # the plain cells read in C; pandas reads only what is left (same values)
        rest = fast.isna().to_numpy()
        if rest.any():
            fast[rest] = _to_datetime(values[rest], fmt, local, exact=False).to_numpy()
        return fast
    if len(values) <= _SLICE:
        return _to_datetime_slice(values, fmt, local)
    parts = [_to_datetime_slice(values.iloc[i : i + _SLICE], fmt, local) for i in range(0, len(values), _SLICE)]
    return pd.concat(parts)


_FIELDS = {
    "%Y": r"((?:1[7-9]|2[01])\d\d)",
    "%m": r"(\d\d)",
    "%d": r"(\d\d)",
    "%H": r"(\d\d)",
    "%M": r"(\d\d)",
    "%S": r"(\d\d)",
}
_ISO_PLAIN = r"^(?:1[7-9]|2[01])\d\d-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d)?)?$"
_EXACT_MIN = 2000  # below this many cells pandas alone is as quick
_CAST_ROWS = 1 << 16  # cells cast together: a cell pyarrow refuses leaves only its own run to pandas


def _exact_pattern(fmt: str) -> tuple[str, str] | None:
    """For a format of zero-padded %Y %m %d [%H %M [%S]]: an RE2 pattern of its cells (years 1700-2199)
    and the replacement that rewrites them as ISO 8601; None for any other format."""
    pieces = re.split(r"(%.)", fmt)
    fields = pieces[1::2]
    if sorted(fields) not in (
        sorted(["%Y", "%m", "%d"]),
        sorted(["%Y", "%m", "%d", "%H", "%M"]),
        sorted(["%Y", "%m", "%d", "%H", "%M", "%S"]),
    ):
        return None
    if any(p and not all(ch in " -./:T" for ch in p) for p in pieces[0::2]):
        return None
    pattern = "^" + "".join(_FIELDS[p] if i % 2 else p.replace(".", r"\.") for i, p in enumerate(pieces)) + "$"
    group = {f: "\\" + str(k + 1) for k, f in enumerate(fields)}
    iso = f"{group['%Y']}-{group['%m']}-{group['%d']}"
    if "%H" in group:
        iso += f" {group['%H']}:{group['%M']}" + (f":{group['%S']}" if "%S" in group else "")
    return pattern, iso


def _exact_strptime(values: pd.Series, fmt: str) -> pd.Series | None:
    """Cells written exactly in ``fmt`` (zero-padded, years 1700-2199) parsed by pyarrow; NaT elsewhere.

    The cells are rewritten as ISO 8601 and cast, which refuses a date that does not exist
    (31 April, second 60) rather than rolling it over: a run of cells holding one is left to
    pandas, as is every cell not in the plain form (single digits, offsets, fractions). None
    when the format has no plain form; then pandas reads the whole column as before.
    """
    if len(values) < _EXACT_MIN:
        return None
    rule = (_ISO_PLAIN, None) if fmt == "ISO8601" else _exact_pattern(fmt)
    if rule is None:
        return None
    cells = _arrow(values)
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    for start in range(0, len(cells), _CAST_ROWS):  # a run at a time: the copies follow the run, not the column
        run = cells.slice(start, _CAST_ROWS)
        plain = pc.fill_null(pc.match_substring_regex(run, rule[0]), False)
        iso = run if pc.all(plain).as_py() else run.filter(plain)
        if rule[1] is not None:
            iso = pc.replace_substring_regex(iso, rule[0], rule[1])
        try:
            stamps = pc.cast(iso, pa.timestamp("s"))
        except pa.ArrowInvalid:
            continue
        out[start + np.flatnonzero(plain.to_numpy(zero_copy_only=False))] = stamps.to_numpy().astype("datetime64[ns]")
    return pd.Series(out, index=values.index)


def _to_datetime_slice(values: pd.Series, fmt: str, local: bool) -> pd.Series:
    has_offset = pd.Series(_ends_with_offset(values), index=values.index)
    text = values.astype(str)
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
            parsed = map_distinct(part, partial(_one_datetime, fmt=fmt, utc=utc)).astype("datetime64[ns]")
        out.loc[part.index] = parsed
    return out


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    """The column's pyarrow strings (no copy when it already is one)."""
    chunks: pa.ChunkedArray = _as_text(values).array._pa_array
    return chunks


def _ends_with_offset(values: pd.Series) -> np.ndarray:
    """Which cells end in a UTC offset; pyarrow rules out most cells, Python's regex decides the rest."""
    maybe = pc.fill_null(pc.match_substring_regex(_arrow(values), _OFFSET_SUPERSET), False).to_numpy(
        zero_copy_only=False
    )
    out = np.zeros(len(values), dtype=bool)
    if maybe.any():
        candidates = values[maybe].astype(str)
        out[np.flatnonzero(maybe)] = candidates.str.contains(_OFFSET, regex=True).to_numpy(dtype=bool)
    return out


def _one_datetime(value: str | None, fmt: str, utc: bool) -> pd.Timestamp | NaTType:
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
    text = _as_text(raw)
    text = text[_ends_with_offset(text)]  # most logs have none: found without a Python string per cell
    found = text.str.extract(r"(Z|[+-]\d\d:?\d\d)$")[0].dropna()
    found = found.replace("Z", "+00:00").str.replace(r"^([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
    return {str(k): int(v) for k, v in found.value_counts().items()}


def _sample(values: pd.Series, k: int = 3000) -> pd.Series:
    """A sample spread over the whole column: day > 12 somewhere settles day/month order."""
    if len(values) <= k:
        return values
    idx = np.linspace(0, len(values) - 1, k).astype(int)
    return values.iloc[np.unique(idx)]


_ORDER = r"^\s*(\d{1,2})[/-](\d{1,2})[/-]\d{2,4}(?:\D|$)"
# a looser RE2 form (any Unicode digit or space, no end condition): a superset of _ORDER's matches
_ORDER_SUPERSET = r"^[\s\x{0b}\pZ\x{1c}-\x{1f}\x{85}]*\pN{1,2}[/-]\pN{1,2}[/-]\pN{2}"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_MAX = 2958465  # 9999-12-31


def order_evidence(values: pd.Series) -> tuple[int, int, list[str]]:
    """Over the whole column: dates that can only be day-first, only month-first, and undecided examples."""
    cells = _arrow(values)
    maybe = cells.filter(pc.fill_null(pc.match_substring_regex(cells, _ORDER_SUPERSET), False))
    # pyarrow ruled out the rest; the distinct candidates in order of first appearance, as Python strings
    distinct = pd.Series(pc.unique(maybe).to_pylist(), dtype=object)
    parts = distinct.str.extract(_ORDER)
    parts = parts.dropna()
    if parts.empty:
        return 0, 0, []
    a = parts[0].astype(int).to_numpy()
    b = parts[1].astype(int).to_numpy()
    day_first = int(((a > 12) & (b <= 12)).sum())
    month_first = int(((b > 12) & (a <= 12)).sum())
    undecided = (a <= 12) & (b <= 12) & (a != b)
    examples = distinct[parts.index[undecided]].head(3).tolist() if undecided.any() else []
    return day_first, month_first, [str(e) for e in examples]


def excel_serials(values: pd.Series) -> pd.Series | None:
    """Timestamps when the column is Excel serial day numbers, else None.

    Excel counts days from 1900-01-01 = 1 and believes 1900 was a leap year: serials from 61
    on are days since 1899-12-30, those below 60 days since 1899-12-31, and 60 (1900-02-29)
    is no date at all (NaT). A column is taken as serials only if every cell is a plain number
    and the typical one falls between 1970 and 2100, so ids and YYYYMMDD numbers are not.
    """
    serial = r"\d{1,7}(?:\.\d+)?"
    if not values.iloc[:1000].str.fullmatch(serial).all() or not values.str.fullmatch(serial).all():  # head first
        return None
    numbers = values.astype(float)
    if not 25569 <= float(numbers.median()) <= 73051 or float(numbers.max()) > _EXCEL_MAX:
        return None
    days = numbers.where(numbers >= 61, numbers + 1)  # below the phantom 29 February: one day later
    stamps = _EXCEL_EPOCH + pd.to_timedelta((days * 86400).round(), unit="s")
    return stamps.where((numbers >= 1) & ((numbers < 60) | (numbers >= 61))).astype("datetime64[ns]")


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
    if not fmt:
        serials = excel_serials(values)
        if serials is not None:
            result.loc[serials.index] = serials
            return Parsed(result, present & result.isna(), "Excel serial day numbers")
        if dayfirst is None:
            day_first, month_first, examples = order_evidence(values)
            if day_first and not month_first:
                dayfirst = True
            elif month_first and not day_first:
                dayfirst = False
            elif day_first and month_first:
                dayfirst = day_first >= month_first  # the minority cannot be read: quarantined, not swapped
            elif examples:
                return Parsed(
                    result,
                    present & False,
                    "",
                    ambiguous=f"every date in the column could be day/month or month/day (e.g. {', '.join(examples)})",
                )
    if fmt:
        formats = [fmt]
    else:
        candidates = DATE_FORMATS
        if dayfirst is not None:
            candidates = [f for f in candidates if format_dayfirst(f) in (None, dayfirst)]
        formats = _rank(_sample(values), candidates, local)
        if formats:
            best_dayfirst = format_dayfirst(formats[0])
            candidates = [f for f in candidates if format_dayfirst(f) in (None, best_dayfirst)]
            formats = [f for f in formats if f in candidates]
    chosen = formats[0] if formats else ""
    pending, tried = values, set()
    stamps = result.to_numpy(copy=True)
    where = np.flatnonzero(present.to_numpy(dtype=bool))  # the pending cells' rows (by position, not label)
    while formats and not pending.empty:
        f = formats.pop(0)
        tried.add(f)
        parsed = _to_datetime(pending, f, local)
        ok = parsed.notna().to_numpy()
        stamps[where[ok]] = parsed.to_numpy()[ok]
        pending, where = pending[~ok], where[~ok]
        if not formats and not pending.empty and not fmt:  # what is left: ranked again on what is left
            formats = _rank(_sample(pending), [c for c in candidates if c not in tried], local)
    result = pd.Series(stamps, index=raw.index)
    bad = present & result.isna()
    return Parsed(result, bad, chosen)


def _rank(sample: pd.Series, candidates: list[str], local: bool) -> list[str]:
    """Formats that read part of ``sample``, most first (earlier on a tie); stops at one that reads all."""
    scores = []
    for i, f in enumerate(candidates):
        k = int(_to_datetime(sample, f, local).notna().sum())
        if k:
            scores.append((k, -i, f))
        if k == len(sample):  # none after it can score higher, and a tie goes to the earlier
            break
    scores.sort(reverse=True)
    return [f for _, _, f in scores]


def format_dayfirst(fmt: str) -> bool | None:
    """True/False for day-first/month-first formats; None when the format has no such question."""
    if not fmt or fmt == "ISO8601" or fmt.startswith(("%Y", "%y")):
        return None
    return fmt.startswith("%d")
