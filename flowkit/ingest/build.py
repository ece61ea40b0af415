"""Raw cells into contact rows, a slice of rows at a time, with every row's fate in the ledger.

What is decided over the whole column stays whole: the date format and day/month order
(:mod:`flowkit.ingest.dates`), drop rules, missing or unreadable received_at, collapsing
event rows, placeholder ids. What is one cell at a time (durations, booleans, channels,
ids, the repairs of optional fields) runs on slices of :data:`SLICE_ROWS` rows, so the
working copies a parser makes follow the slice and not the file. The result is the same
for any slice size; repairs are put back in whole-column order (field by field, row by row).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit import schema
from flowkit.errors import MappingError
from flowkit.ingest.ledger import FileSummary, RowLedger
from flowkit.ingest.mapping import Mapping, TimestampSpec
from flowkit.ingest.parsed import Parsed
from flowkit.ingest.raw import RawTable
from flowkit.ingest.values import (
    format_dayfirst,
    normalise_channel,
    normalise_handling,
    parse_bool,
    parse_datetime,
    parse_duration,
    utc_offsets,
)
from flowkit.placeholders import blank_no_agent, blank_placeholders
from flowkit.placeholders import describe as describe_placeholders

__all__ = ["SLICE_ROWS", "build", "repeats"]

SLICE_ROWS = 250_000  # rows parsed together: the parsers' working copies are a few times this
_ID_TARGETS = ("contact_id", "customer_id", "case_id")  # several columns make one composite id
_STRING_TARGETS = ("contact_id", "customer_id", "text", "reason_code", "case_id", "agent_id", "team", "data_used")


def build(table: RawTable, m: Mapping, label: str, summary: FileSummary, shown: str) -> tuple[pd.DataFrame, RowLedger]:
    """The kept contacts of ``table`` and the ledger of all its rows."""
    frame = table.frame.reset_index(drop=True)
    ledger = RowLedger(table, label)
    n = ledger.n
    for col, values in m.drop.items():
        cells = _na(frame[col], col, m)
        for value in values:
            ledger.drop((cells == value).to_numpy(dtype=bool), f"{col}={value}")

    # received_at: required; joined from several columns when the export splits date and time
    ts = m.received_at
    assert ts is not None  # resolve() refuses a mapping without one
    joined = _join([_na(frame[c], c, m) for c in ts.columns])
    local = m.offsets == "local"
    parsed = parse_datetime(joined, ts.format, ts.dayfirst, local=local)
    where = "+".join(ts.columns)
    _refuse_ambiguous(parsed, shown, where)
    ledger.quarantine(
        joined.isna().to_numpy(),
        where,
        None,
        "missing received_at",
        lambda v: f"column {where!r} is empty; every contact needs a time",
    )
    ledger.quarantine(
        parsed.bad.to_numpy(),
        where,
        joined,
        "unparseable date",
        lambda v: f"{v!r} in column {where!r} is not a date" + (f" in format {parsed.note}" if parsed.note else ""),
    )
    _offsets_warning(utc_offsets(joined) if len(joined) else {}, summary, m, where)
    del joined
    closed = _closed_at(frame, m, ts, parsed, shown)

    unknown: Counter[str] = Counter()
    missing_ids = 0
    parts = []
    for start in range(0, max(n, 1), SLICE_ROWS):
        stop = min(n, start + SLICE_ROWS)
        part = frame.iloc[start:stop]
        ledger.begin_slice()
        out = _targets(part, m, ledger, start, parsed.values.iloc[start:stop], closed, unknown)
        sep = ":" if table.position == "line" else "#"
        lines = pd.Series(np.asarray(table.lines[start:stop], dtype="int64"), dtype="int64")
        out["source_file"] = pd.Series(
            pd.arrays.ArrowStringArray(pa.repeat(pa.scalar(label, pa.large_string()), stop - start))
        )
        out["source_line"] = lines
        if "contact_id" in out:
            ids = pd.Series(out["contact_id"]).reset_index(drop=True)
            missing = ids.isna().to_numpy()
            if missing.any():
                ids = ids.where(~missing, (label + sep) + lines.astype(str))
                missing_ids += int(missing.sum())
            out["contact_id"] = ids
        else:  # an id for rows without one: unique, never parsed back
            out["contact_id"] = (label + sep) + lines.astype(str)
        piece = schema.conform(pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in out.items()}))
        if m.closed_when:  # closed only where the row says so
            col, values = m.closed_when["column"], m.closed_when["values"]
            piece.loc[~_na(part[col], col, m).isin(list(values)).to_numpy(dtype=bool), "closed_at"] = pd.NaT
        alive = ledger.alive[start:stop]
        if not m.collapse and not alive.all():  # every row's fate is known: keep the kept rows only, a slice at a time
            piece = piece.loc[alive].reset_index(drop=True)
        parts.append(piece)
    contacts = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)  # pyarrow strings: not copied
    del parts
    if unknown:
        listed = ", ".join(f"{k!r} x{v}" for k, v in sorted(unknown.items(), key=lambda kv: -kv[1])[:8])
        summary.warnings.append(
            f"channel values not recognised, kept as 'unknown': {listed} (name them under 'channels:' in the mapping)"
        )
    if missing_ids:
        summary.warnings.append(f"{missing_ids} rows had no contact id; made from file and line")

    if m.collapse:  # event rows into one contact per case: decided over the whole file
        by = m.collapse["by"]
        keyed = _na(frame[by], by, m).where(pd.Series(ledger.alive))
        if m.collapse.get("received_at") == "earliest":  # an event log: the case began at its first event
            first = contacts["received_at"].where(keyed.notna()).groupby(keyed).transform("min")
            contacts["received_at"] = first.where(keyed.notna(), contacts["received_at"]).astype("datetime64[ns]")
        dup = keyed.notna() & keyed.duplicated(keep="last" if m.collapse["keep"] == "last" else "first")
        ledger.drop(dup.to_numpy(dtype=bool), f"collapsed: one contact per {by}")
        contacts = contacts.loc[ledger.alive].reset_index(drop=True)
    kept = contacts

    alive = ledger.alive
    if "contact_id" in m.columns and alive.any() and repeats(kept["contact_id"]):
        rows = frame.loc[alive]
        hint = _suggest_key(pd.DataFrame({c: _na(rows[c], c, m) for c in rows.columns}), m.columns["contact_id"])
        summary.key_hint = hint
    _blank_nobody(kept, summary)
    return kept, ledger


def _targets(
    part: pd.DataFrame,
    m: Mapping,
    ledger: RowLedger,
    offset: int,
    received: pd.Series,
    closed: Parsed | None,
    unknown: Counter[str],
) -> dict[str, object]:
    """One slice's contact columns; unreadable optional cells emptied and recorded as repairs."""
    n = len(part)
    out: dict[str, object] = {"received_at": received}

    def repair(mask: np.ndarray, column: str, values: pd.Series, reason: str, detail: Callable[..., str]) -> pd.Series:
        hit = ledger.repair(mask, column, values, reason, detail, offset)
        return pd.Series(hit, index=range(n))

    for target, cols in m.columns.items():
        name = "+".join(cols)
        if target == "closed_at":  # parsed over the whole column before the slices
            assert closed is not None
            src = _coalesce([_na(part[c], c, m) for c in cols])
            bad = repair(
                closed.bad.to_numpy()[offset : offset + n],
                name,
                src,
                "unparseable date",
                lambda v, name=name: f"{v!r} in column {name!r} is not a date; emptied (case counted as open)",
            )
            values = closed.values.iloc[offset : offset + n]
            early = repair(
                (values.to_numpy() < received.to_numpy()),
                name,
                src,
                "closed before received",
                lambda v, name=name: (
                    f"{v!r} in column {name!r} is before the contact was received; emptied (case counted as open)"
                ),
            )
            out["closed_at"] = values.mask((bad | early).to_numpy())
            continue
        src = _join([_na(part[c], c, m) for c in cols], sep="/" if target in _ID_TARGETS else " | ")
        if target in _STRING_TARGETS:
            out[target] = src
        elif target in ("wait_s", "handle_s"):
            p = parse_duration(src, m.durations.get(target, "seconds"))
            bad = repair(
                p.bad.to_numpy(),
                name,
                src,
                "unreadable duration",
                lambda v, name=name: f"{v!r} in column {name!r} is not seconds, mm:ss or hh:mm:ss; emptied",
            )
            neg = repair(
                (p.values < 0).fillna(False).to_numpy(dtype=bool),
                name,
                src,
                "negative duration",
                lambda v, name=name: f"{v!r} in column {name!r} is a negative duration; emptied",
            )
            out[target] = p.values.mask((bad | neg).to_numpy())
        elif target in ("abandoned", "resolved"):
            p = parse_bool(src)
            repair(
                p.bad.to_numpy(),
                name,
                src,
                "unreadable boolean",
                lambda v, name=name: f"{v!r} in column {name!r} is not yes/no; emptied",
            )
            out[target] = p.values
        elif target == "channel":
            channel, found = normalise_channel(src, m.channels)
            unknown.update(found)
            out["channel"] = channel
        elif target == "handling":
            p = normalise_handling(src)
            repair(
                p.bad.to_numpy(),
                name,
                src,
                "unreadable handling",
                lambda v, name=name: f"{v!r} in column {name!r} is not one_stop, pass_on or pass_back; emptied",
            )
            out["handling"] = p.values

    for target, spec in m.booleans.items():
        src = _na(part[spec["column"]], spec["column"], m)
        p = parse_bool(src, spec["true"], spec["false"])
        repair(
            p.bad.to_numpy(),
            spec["column"],
            src,
            "unreadable boolean",
            lambda v, spec=spec: (
                f"{v!r} in column {spec['column']!r} is none of the codes "
                f"listed under booleans ({spec['true']} / {spec['false']}); emptied"
            ),
        )
        out[target] = p.values

    for target, value in m.constants.items():
        out[target] = pd.Series([value] * n, dtype=object)
    if "channel" not in out:
        out["channel"] = pd.Series(["unknown"] * n, dtype=object)
    for extra, col in m.keep.items():
        out[extra] = _na(part[col], col, m).astype(object)
    return out


def _closed_at(frame: pd.DataFrame, m: Mapping, ts: TimestampSpec, parsed: Parsed, shown: str) -> Parsed | None:
    """closed_at parsed over the whole column (its format, like received_at's, is the column's)."""
    cols = m.columns.get("closed_at")
    if not cols:
        return None
    src = _coalesce([_na(frame[c], c, m) for c in cols])  # the first column that has a date (resolved, else closed)
    dayfirst = ts.dayfirst if ts.dayfirst is not None else format_dayfirst(parsed.note)
    p = parse_datetime(src, None, dayfirst, local=m.offsets == "local")
    _refuse_ambiguous(p, shown, "+".join(cols))
    return p


def _na(cells: pd.Series, column: str, m: Mapping) -> pd.Series:
    """A source column with the texts that mean "no value" (the mapping's, then this column's) missing."""
    if not len(cells):
        return cells
    hit = _isin(cells, m.na_values)
    if hit.any():  # most columns have none: no copy then
        cells = cells.mask(hit, None)
    extra = m.na_by_column.get(column)
    if extra:
        hit = _isin(cells, extra)
        if hit.any():
            cells = cells.mask(hit)
    return cells


def repeats(values: pd.Series) -> bool:
    """``values.duplicated().any()``: for pyarrow strings, fewer distinct values than rows (no per-row codes)."""
    if values.dtype == schema.STRING:
        return len(pc.unique(values.array._pa_array)) < len(values)
    return bool(values.duplicated().any())


def _isin(cells: pd.Series, texts: tuple[str, ...]) -> np.ndarray:
    """``cells.isin(texts)``; for pyarrow strings only the cells no longer than the longest text are looked up."""
    if cells.dtype != schema.STRING or not texts or not all(isinstance(t, str) for t in texts):
        return cells.isin(list(texts)).to_numpy(dtype=bool)
    arr = cells.array._pa_array
    longest = max(len(t.encode("utf-8")) for t in texts)
    short = pc.fill_null(pc.less_equal(pc.binary_length(arr), longest), False).to_numpy(zero_copy_only=False)
    hit = np.zeros(len(cells), dtype=bool)
    if short.any():
        found = pc.is_in(arr.filter(pa.array(short)), value_set=pa.array(list(texts), type=arr.type))
        hit[np.flatnonzero(short)] = pc.fill_null(found, False).to_numpy(zero_copy_only=False)
    return hit


def _offsets_warning(offsets: dict[str, int], summary: FileSummary, m: Mapping, where: str) -> None:
    if not offsets:
        return
    summary.utc_offsets, summary.offsets = offsets, m.offsets
    listed = ", ".join(f"UTC{k} on {v:,} rows" for k, v in sorted(offsets.items(), key=lambda kv: -kv[1]))
    summary.warnings.append(
        f"times in {where!r} carry UTC offsets ({listed}): the source's local zone; kept as local wall-clock "
        "time as the mapping asks (offsets: local)"
        if m.offsets == "local"
        else f"times in {where!r} carry UTC offsets ({listed}): the source's local zone; stored as UTC (hours of day "
        "are UTC hours: add the offset back for local clock time, or set offsets: local in the mapping)"
    )


def _blank_nobody(kept: pd.DataFrame, summary: FileSummary) -> None:
    """Agent ids that mean nobody, and customer ids that are placeholders, emptied (decided on all kept rows)."""
    if kept["agent_id"].notna().any():
        cleaned, nobody = blank_no_agent(kept["agent_id"])
        if nobody:
            kept["agent_id"] = cleaned
            listed = ", ".join(f"{k!r} on {v:,} rows" for k, v in nobody.items())
            summary.warnings.append(
                f"agent id {listed} means nobody handled the contact: emptied, not counted as an agent"
            )
    if kept["customer_id"].notna().any():
        cleaned, found = blank_placeholders(kept["customer_id"])
        if found:
            kept["customer_id"] = cleaned
            summary.placeholders = found
            summary.warnings.append(describe_placeholders(found, len(kept)))


def _refuse_ambiguous(parsed: Parsed, shown: str, column: str) -> None:
    """Day/month order the column cannot settle is the user's decision, never a silent guess."""
    if parsed.ambiguous:
        raise MappingError(
            f"{shown}: column {column!r}: {parsed.ambiguous}; say which in the mapping: "
            "received_at: {columns: [" + column.split("+")[0] + "], dayfirst: true} for day/month (false for month/day)"
        )


def _suggest_key(frame: pd.DataFrame, id_cols: tuple[str, ...]) -> tuple[str, ...]:
    """The fewest-valued column that, with the id columns, names every row once (or nothing).

    In the Technion call layout ``call_id`` repeats across ``vru+line``; [vru+line, call_id] is unique.
    """
    others = [c for c in frame.columns if c not in id_cols]
    if not others or len(frame) == 0:
        return ()
    cardinality = frame[others].nunique(dropna=False).sort_values(kind="stable")
    for col in cardinality.index:
        if cardinality[col] >= len(frame):
            break
        sub = frame[[*id_cols, col]]
        if sub.notna().all(axis=None) and not sub.duplicated().any():
            return (_name(col), *id_cols)
    return ()


def _name(col: Hashable) -> str:
    return str(col)


def _join(parts: list[pd.Series], sep: str = " ") -> pd.Series:
    """Join cells of several columns; missing cells are skipped, all missing stays missing."""
    result = parts[0].astype(schema.STRING)
    for part in parts[1:]:
        s = part.astype(schema.STRING)
        both = result.notna() & s.notna()
        result = (result + sep + s).where(both, result.fillna(s))
    return result


def _coalesce(parts: list[pd.Series]) -> pd.Series:
    """The first non-empty cell across several columns."""
    result = parts[0].astype(schema.STRING)
    for part in parts[1:]:
        result = result.fillna(part.astype(schema.STRING))
    return result
