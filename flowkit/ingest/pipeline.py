"""Exports in, one contact table out, and an account of every input row.

Each row read ends in exactly one of three places: kept (a contact), dropped on purpose
(a rule the user asked for, a blank line, an exact duplicate, an event row collapsed into
its contact), or quarantined with the file, line, column and reason. The summary states
``read = kept + dropped + quarantined`` for every file and overall. A bad value in an
optional field (a wait, a closing date) does not cost the contact: the cell is emptied and
counted as *repaired*, with file, line and column, in a repairs table beside the quarantine.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from flowkit import schema
from flowkit.errors import FlowkitError, IngestError, MappingError
from flowkit.ingest.ledger import QUARANTINE_COLUMNS, REPAIR_COLUMNS, FileSummary, IngestResult, RowLedger
from flowkit.ingest.mapping import Mapping, load_mapping, resolve
from flowkit.ingest.readers import RawTable, format_of, read_tables
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

__all__ = ["ingest_file"]

_ID_TARGETS = ("contact_id", "customer_id", "case_id")  # several columns make one composite id
_STRING_TARGETS = ("contact_id", "customer_id", "text", "reason_code", "case_id", "agent_id", "team", "data_used")


def ingest_file(path: str | Path, mapping: Mapping | str | Path | None = None) -> IngestResult:
    """Ingest one export (every contact sheet of a workbook). Raises only for an unreadable file or a wrong mapping."""
    path = Path(path)
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    fmt = format_of(path, mapping.format if mapping else None)
    try:
        tables = read_tables(
            path,
            fmt=fmt,
            encoding=mapping.encoding if mapping else None,
            delimiter=mapping.delimiter if mapping else None,
            sheet=mapping.sheet if mapping else None,
            records=mapping.records if mapping else None,
            pad_short_rows=mapping.pad_short_rows if mapping else False,
        )
    except FlowkitError:
        raise
    except (OSError, ValueError, RecursionError, MemoryError) as exc:  # a library choking on hostile bytes
        raise IngestError(f"{path}: cannot be read as {fmt} ({type(exc).__name__}: {exc})") from exc
    if not tables:
        raise IngestError(f"{path}: the workbook has no sheet with a header row")
    if len(tables) == 1:
        return _ingest_table(path, tables[0], mapping, fmt, label=path.name)
    results, skipped = [], []
    for table in tables:
        try:
            m = resolve(mapping, list(table.frame.columns), f"{path}[{table.sheet}]")
        except MappingError:
            skipped.append(str(table.sheet))
            continue
        results.append(_ingest_table(path, table, m, fmt, label=f"{path.name}[{table.sheet}]"))
    if not results:
        raise IngestError(
            f"{path}: no sheet looks like a contact table (a header naming at least when each contact was "
            f"received); sheets: {', '.join(str(t.sheet) for t in tables)}. Set 'sheet:' and the columns in a mapping"
        )
    if skipped:
        results[0].files[0].warnings.append(
            f"sheets not read (no contact-table header): {', '.join(skipped)}; set 'sheet:' in a mapping to read one"
        )
    return IngestResult(
        pd.concat([r.contacts for r in results], ignore_index=True),
        pd.concat([r.quarantine for r in results], ignore_index=True),
        [f for r in results for f in r.files],
        pd.concat([r.repairs for r in results], ignore_index=True),
    )


def _ingest_table(path: Path, table: RawTable, mapping: Mapping | None, fmt: str, label: str) -> IngestResult:
    m = resolve(mapping, list(table.frame.columns), str(path) if label == path.name else str(path.parent / label))
    shown = str(path) if label == path.name else str(path.parent / label)
    summary = FileSummary(shown, fmt, table.encoding, table.delimiter, read=table.read, mapping=m.origin)
    summary.warnings.extend(table.warnings)
    summary.lines = dict(table.line_account)
    if table.replaced_bytes:
        summary.warnings.append(
            f"{table.replaced_bytes} bytes could not be decoded as {table.encoding} "
            "and were replaced by \ufffd; set 'encoding:' in the mapping if that is wrong"
        )
    quarantine = [
        {
            "source_file": label,
            "source_line": r.line,
            "column": None,
            "value": None,
            "reason": r.reason.split(":")[0],
            "detail": r.reason,
            "raw": r.raw,
        }
        for r in table.rejects
    ]
    undecodable = sum(r.reason.startswith("undecodable line") for r in table.rejects)
    if undecodable:
        summary.warnings.append(
            f"{undecodable:,} lines are not valid {table.encoding} and were quarantined with their line numbers; "
            "if the whole file is in another encoding, set 'encoding:' in the mapping (cp1250, cp1251, koi8-r, ...)"
        )
    if table.blank_lines:
        summary.dropped["blank line"] += len(table.blank_lines)

    contacts, ledger = _build(table, m, label, summary, shown)
    quarantine.extend(ledger.records)
    summary.dropped.update(ledger.drop_counts)
    summary.quarantined.update(Counter(q["reason"] for q in quarantine))
    summary.kept = len(contacts)
    repairs = ledger.repairs_of_kept()
    summary.repaired.update(Counter(f"{r['column']}: {r['reason']}" for r in repairs))
    qframe = pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS)
    return IngestResult(contacts, qframe, [summary], pd.DataFrame(repairs, columns=REPAIR_COLUMNS))


def _build(table: RawTable, m: Mapping, label: str, summary: FileSummary, shown: str) -> tuple[pd.DataFrame, RowLedger]:
    frame = table.frame.reset_index(drop=True)
    if len(frame):
        frame = frame.mask(frame.isin(list(m.na_values)), None)
        for col, values in m.na_by_column.items():
            frame[col] = frame[col].mask(frame[col].isin(list(values)))
    ledger = RowLedger(table, label)
    n = ledger.n

    for col, values in m.drop.items():
        cells = frame[col]
        for value in values:
            ledger.drop((cells == value).to_numpy(dtype=bool), f"{col}={value}")

    out: dict[str, object] = {}

    # received_at: required; joined from several columns when the export splits date and time
    ts = m.received_at
    assert ts is not None, "validate_mapping requires received_at"
    joined = _join([frame[c] for c in ts.columns])
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
    out["received_at"] = parsed.values
    offsets = utc_offsets(joined) if len(joined) else {}
    if offsets:
        summary.utc_offsets, summary.offsets = offsets, m.offsets
        listed = ", ".join(f"UTC{k} on {v:,} rows" for k, v in sorted(offsets.items(), key=lambda kv: -kv[1]))
        summary.warnings.append(
            f"times in {where!r} carry UTC offsets ({listed}): the source's local zone; kept as local wall-clock "
            "time as the mapping asks (offsets: local)"
            if local
            else f"times in {where!r} carry UTC offsets ({listed}): the source's local zone; stored as UTC (hours of day "
            "are UTC hours: add the offset back for local clock time, or set offsets: local in the mapping)"
        )

    def repair(mask, column, values, reason, detail_fn):
        hit = ledger.repair(mask, column, values, reason, detail_fn)
        return pd.Series(hit, index=range(n))

    for target, cols in m.columns.items():
        if target == "closed_at":  # several columns: the first that has a date (resolved, else closed)
            src = _coalesce([frame[c] for c in cols])
        else:
            src = _join([frame[c] for c in cols], sep="/" if target in _ID_TARGETS else " | ")
        name = "+".join(cols)
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
            channel, unknown = normalise_channel(src, m.channels)
            if unknown:
                listed = ", ".join(f"{k!r} x{v}" for k, v in sorted(unknown.items(), key=lambda kv: -kv[1])[:8])
                summary.warnings.append(
                    f"channel values not recognised, kept as 'unknown': {listed} "
                    "(name them under 'channels:' in the mapping)"
                )
            out["channel"] = channel
        elif target == "closed_at":
            p = parse_datetime(
                src, None, ts.dayfirst if ts.dayfirst is not None else format_dayfirst(parsed.note), local=local
            )
            _refuse_ambiguous(p, shown, name)
            bad = repair(
                p.bad.to_numpy(),
                name,
                src,
                "unparseable date",
                lambda v, name=name: f"{v!r} in column {name!r} is not a date; emptied (case counted as open)",
            )
            early = repair(
                (p.values < parsed.values).fillna(False).to_numpy(dtype=bool),
                name,
                src,
                "closed before received",
                lambda v, name=name: (
                    f"{v!r} in column {name!r} is before the contact was received; emptied (case counted as open)"
                ),
            )
            out["closed_at"] = p.values.mask((bad | early).to_numpy())
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
        src = frame[spec["column"]]
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
    for name, col in m.keep.items():
        out[name] = frame[col].astype(object)

    sep = ":" if table.position == "line" else "#"
    lines = pd.Series(table.lines, dtype="int64")
    out["source_file"] = pd.Series([label] * n, dtype=object)
    out["source_line"] = lines
    made = (label + sep) + lines.astype(str)  # an id for rows without one: unique, never parsed back
    if "contact_id" in out:
        ids = out["contact_id"]
        missing = pd.Series(ids).isna().to_numpy()
        if missing.any():
            ids = pd.Series(ids).where(~missing, made)
            summary.warnings.append(f"{int(missing.sum())} rows had no contact id; made from file and line")
        out["contact_id"] = ids
    else:
        out["contact_id"] = made

    contacts = pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in out.items()})
    contacts = schema.conform(contacts)

    if m.collapse:
        by = m.collapse["by"]
        keyed = frame[by].where(pd.Series(ledger.alive))
        if m.collapse.get("received_at") == "earliest":  # an event log: the case began at its first event
            first = contacts["received_at"].where(keyed.notna()).groupby(keyed).transform("min")
            contacts["received_at"] = first.where(keyed.notna(), contacts["received_at"]).astype("datetime64[ns]")
        dup = keyed.notna() & keyed.duplicated(keep="last" if m.collapse["keep"] == "last" else "first")
        ledger.drop(dup.to_numpy(dtype=bool), f"collapsed: one contact per {by}")

    if m.closed_when and "closed_at" in contacts:
        col, values = m.closed_when["column"], m.closed_when["values"]
        still_open = ~frame[col].isin(list(values)).to_numpy(dtype=bool)
        contacts.loc[still_open, "closed_at"] = pd.NaT

    alive = ledger.alive
    if "contact_id" in m.columns and alive.any():
        id_cols = m.columns["contact_id"]
        if contacts.loc[alive, "contact_id"].duplicated().any():
            summary.key_hint = _suggest_key(frame.loc[alive], id_cols)

    kept = contacts.loc[alive].reset_index(drop=True)
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
    return kept, ledger


def _refuse_ambiguous(parsed, shown: str, column: str) -> None:
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
            return (col, *id_cols)
    return ()


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
