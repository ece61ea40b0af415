"""Exports in, one contact table out, and an account of every input row.

Each row read ends in exactly one of three places: kept (a contact), dropped on purpose
(a rule the user asked for, a blank line, an exact duplicate, an event row collapsed into
its contact), or quarantined with the file, line, column and reason. The summary states
``read = kept + dropped + quarantined`` for every file and overall. A bad value in an
optional field (a wait, a closing date) does not cost the contact: the cell is emptied and
counted as *repaired*, with file, line and column, in a repairs table beside the quarantine.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from flowkit import schema
from flowkit.ingest.mapping import Mapping, load_mapping, resolve
from flowkit.ingest.readers import RawTable, format_of, read_raw
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

__all__ = [
    "QUARANTINE_COLUMNS",
    "REPAIR_COLUMNS",
    "FileSummary",
    "IngestResult",
    "ingest",
    "ingest_file",
    "ingest_manifest",
]

QUARANTINE_COLUMNS = ["source", "file", "line", "column", "value", "reason", "detail", "raw"]
REPAIR_COLUMNS = ["source", "file", "line", "column", "value", "reason", "detail"]
_ID_TARGETS = ("contact_id", "customer_id", "case_id")  # several columns make one composite id
_STRING_TARGETS = ("contact_id", "customer_id", "text", "reason_code", "case_id", "agent_id", "team", "data_used")


@dataclass
class FileSummary:
    """What happened to one export's rows."""

    path: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    read: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)  # rule -> rows
    quarantined: Counter = field(default_factory=Counter)  # reason -> rows
    warnings: list[str] = field(default_factory=list)
    mapping: str = ""
    repaired: Counter = field(default_factory=Counter)  # "column: reason" -> cells emptied (row kept)
    placeholders: dict = field(default_factory=dict)  # placeholder customer id -> rows
    utc_offsets: dict = field(default_factory=dict)  # UTC offset written in the source -> rows
    offsets: str = "utc"  # what was done with them: to UTC, or kept local
    key_hint: tuple = ()  # columns that together identify a row
    renamed_ids: int = 0  # rows given a disambiguated contact id

    @property
    def n_dropped(self) -> int:
        return sum(self.dropped.values())

    @property
    def n_quarantined(self) -> int:
        return sum(self.quarantined.values())

    @property
    def n_repaired(self) -> int:
        return sum(self.repaired.values())

    @property
    def reconciles(self) -> bool:
        return self.read == self.kept + self.n_dropped + self.n_quarantined


@dataclass
class IngestResult:
    """The contacts, the quarantined rows, and a per-file account that reconciles."""

    contacts: pd.DataFrame
    quarantine: pd.DataFrame
    files: list[FileSummary]
    repairs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPAIR_COLUMNS))

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def kept(self) -> int:
        return sum(f.kept for f in self.files)

    @property
    def dropped(self) -> Counter:
        total: Counter = Counter()
        for f in self.files:
            total.update(f.dropped)
        return total

    @property
    def quarantined(self) -> Counter:
        total: Counter = Counter()
        for f in self.files:
            total.update(f.quarantined)
        return total

    @property
    def reconciles(self) -> bool:
        return (
            all(f.reconciles for f in self.files)
            and self.read == self.kept + sum(self.dropped.values()) + sum(self.quarantined.values())
            and self.kept == len(self.contacts)
            and sum(self.quarantined.values()) == len(self.quarantine)
        )


class _Ledger:
    """Per-row fate for one file: kept until a reason says otherwise (first reason wins)."""

    def __init__(self, table: RawTable, label: str):
        self.n = len(table.lines)
        self.table = table
        self.label = label
        self.bad = np.zeros(self.n, dtype=bool)
        self.dropped = np.zeros(self.n, dtype=bool)
        self.records: list[dict] = []
        self.repairs: list[dict] = []
        self.drop_counts: Counter = Counter()

    def where(self, i: int) -> str:
        sep = ":" if self.table.position == "line" else "#"
        return f"{self.label}{sep}{self.table.lines[i]}"

    def quarantine(self, mask: np.ndarray, column: str, values, reason: str, detail_fn) -> None:
        idx = np.flatnonzero(mask & ~self.bad & ~self.dropped)
        if idx.size == 0:
            return
        self.bad[idx] = True
        vals = pd.Series(values).iloc[idx].astype(object).tolist() if values is not None else [None] * idx.size
        for i, value in zip(idx, vals, strict=True):
            value = None if value is None or value is pd.NA else value
            self.records.append(
                {
                    "source": self.where(i),
                    "file": self.label,
                    "line": self.table.lines[i],
                    "column": column,
                    "value": None if value is None else str(value),
                    "reason": reason,
                    "detail": detail_fn(value),
                    "raw": _raw_json(self.table.frame, i),
                }
            )

    def repair(self, mask: np.ndarray, column: str, values, reason: str, detail_fn) -> np.ndarray:
        """An optional field's cells that cannot be read: emptied, the row kept, the cell recorded."""
        mask = np.asarray(mask, dtype=bool)
        idx = np.flatnonzero(mask & ~self.bad & ~self.dropped)
        if idx.size == 0:
            return mask
        vals = pd.Series(values).astype(object)
        for i in idx:
            value = vals.iat[i]
            value = None if value is None or value is pd.NA else value
            self.repairs.append(
                {
                    "_row": i,
                    "source": self.where(i),
                    "file": self.label,
                    "line": self.table.lines[i],
                    "column": column,
                    "value": None if value is None else str(value),
                    "reason": reason,
                    "detail": detail_fn(value),
                }
            )
        return mask

    def repairs_of_kept(self) -> list[dict]:
        """Repairs on rows that ended up kept (a row dropped later needs no repair)."""
        alive = self.alive
        return [{k: v for k, v in r.items() if k != "_row"} for r in self.repairs if alive[r["_row"]]]

    def drop(self, mask: np.ndarray, rule: str) -> None:
        idx = mask & ~self.bad & ~self.dropped
        n = int(idx.sum())
        if n:
            self.dropped |= idx
            self.drop_counts[rule] += n

    @property
    def alive(self) -> np.ndarray:
        return ~(self.bad | self.dropped)


def _raw_json(frame: pd.DataFrame, i: int) -> str:
    row = frame.iloc[i]
    return json.dumps({k: v for k, v in row.items() if not pd.isna(v)}, ensure_ascii=False)


def ingest_file(path: str | Path, mapping: Mapping | str | Path | None = None) -> IngestResult:
    """Ingest one export. Raises only for a file that cannot be read at all or a wrong mapping."""
    path = Path(path)
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    fmt = format_of(path, mapping.format if mapping else None)
    table = read_raw(
        path,
        fmt=fmt,
        encoding=mapping.encoding if mapping else None,
        delimiter=mapping.delimiter if mapping else None,
        sheet=mapping.sheet if mapping else None,
        records=mapping.records if mapping else None,
        pad_short_rows=mapping.pad_short_rows if mapping else False,
    )
    m = resolve(mapping, list(table.frame.columns), str(path))
    label = path.name
    summary = FileSummary(str(path), fmt, table.encoding, table.delimiter, read=table.read, mapping=m.origin)
    if table.replaced_bytes:
        summary.warnings.append(
            f"{table.replaced_bytes} bytes could not be decoded as {table.encoding} "
            "and were replaced by \ufffd; set 'encoding:' in the mapping if that is wrong"
        )
    sep = ":" if table.position == "line" else "#"
    quarantine = [
        {
            "source": f"{label}{sep}{r.line}",
            "file": label,
            "line": r.line,
            "column": None,
            "value": None,
            "reason": r.reason.split(":")[0],
            "detail": r.reason,
            "raw": r.raw,
        }
        for r in table.rejects
    ]
    if table.blank_lines:
        summary.dropped["blank line"] += len(table.blank_lines)

    contacts, ledger = _build(table, m, label, summary)
    quarantine.extend(ledger.records)
    summary.dropped.update(ledger.drop_counts)
    summary.quarantined.update(Counter(q["reason"] for q in quarantine))
    summary.kept = len(contacts)
    repairs = ledger.repairs_of_kept()
    summary.repaired.update(Counter(f"{r['column']}: {r['reason']}" for r in repairs))
    qframe = pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS)
    return IngestResult(contacts, qframe, [summary], pd.DataFrame(repairs, columns=REPAIR_COLUMNS))


def _build(table: RawTable, m: Mapping, label: str, summary: FileSummary) -> tuple[pd.DataFrame, _Ledger]:
    frame = table.frame.reset_index(drop=True)
    if len(frame):
        frame = frame.mask(frame.isin(list(m.na_values)), None)
        for col, values in m.na_by_column.items():
            frame[col] = frame[col].mask(frame[col].isin(list(values)))
    ledger = _Ledger(table, label)
    n = ledger.n

    for col, values in m.drop.items():
        cells = frame[col]
        for value in values:
            ledger.drop((cells == value).to_numpy(dtype=bool), f"{col}={value}")

    out: dict[str, object] = {}

    # received_at: required; joined from several columns when the export splits date and time
    ts = m.received_at
    joined = _join([frame[c] for c in ts.columns])
    local = m.offsets == "local"
    parsed = parse_datetime(joined, ts.format, ts.dayfirst, local=local)
    where = "+".join(ts.columns)
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
    lines = pd.Series(table.lines, dtype="int64").astype(str)
    out["source"] = (label + sep) + lines
    if "contact_id" in out:
        ids = out["contact_id"]
        missing = pd.Series(ids).isna().to_numpy()
        if missing.any():
            ids = pd.Series(ids).where(~missing, (label + sep) + lines)
            summary.warnings.append(f"{int(missing.sum())} rows had no contact id; made from file and line")
        out["contact_id"] = ids
    else:
        out["contact_id"] = (label + sep) + lines

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


def ingest(paths, mapping=None, mappings: dict | None = None) -> IngestResult:
    """Ingest several exports (one per channel or system) into one contact table.

    ``mapping`` applies to every file; ``mappings`` maps a path to its own mapping.
    A contact id seen twice is dropped when the rows are identical in every mapped field;
    when they differ both are kept, the later one as ``id#2`` (``#3``, ...), with a warning
    that the id is not unique, across files as well as within one.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise ValueError("ingest needs at least one export")
    results = []
    for p in paths:
        own = (mappings or {}).get(str(p), (mappings or {}).get(Path(p).name, mapping))
        results.append(ingest_file(p, own))
    contacts = pd.concat([r.contacts for r in results], ignore_index=True) if results else schema.empty()
    contacts = schema.conform(contacts)
    quarantine = pd.concat(
        [r.quarantine for r in results if len(r.quarantine)] or [results[0].quarantine], ignore_index=True
    )
    repairs = pd.concat([r.repairs for r in results if len(r.repairs)] or [results[0].repairs], ignore_index=True)
    files = [f for r in results for f in r.files]
    naive = [Path(f.path).name for f in files if not f.utc_offsets]
    for f in files:
        if f.utc_offsets and naive and f.offsets == "utc":
            f.warnings.append(
                f"{', '.join(naive)} {'has' if len(naive) == 1 else 'have'} no UTC offsets (times kept as "
                "written) while this file is stored as UTC: if those are local times, hours differ "
                "between the files; set offsets: local in this file's mapping"
            )
    contacts = _deduplicate(contacts, files)
    stored_utc: Counter = Counter()
    for f in files:
        if f.utc_offsets and f.offsets == "utc":
            stored_utc.update(f.utc_offsets)
    if stored_utc:  # saved with the table (Parquet keeps it), so a report can state the local zone
        contacts.attrs["utc_offsets"] = dict(stored_utc)
    return IngestResult(contacts, quarantine.reset_index(drop=True), files, repairs.reset_index(drop=True))


def _deduplicate(contacts: pd.DataFrame, files: list[FileSummary]) -> pd.DataFrame:
    """Exact repeats of a contact are dropped; the same id with other content is kept under ``id#2``.

    An id that names two different calls is a key problem of the export, not dirt: dropping
    either call would lose real demand (the Technion bank log repeats ``call_id`` across VRU
    lines: with ``call_id`` alone, 17,615 real calls would go).
    """
    ids = contacts["contact_id"]
    if not ids.duplicated().any():
        return contacts
    content = [c for c in schema.COLUMNS if c not in ("source",)]
    digest = pd.util.hash_pandas_object(contacts[content].astype(str), index=False)
    exact = pd.DataFrame({"id": ids.to_numpy(), "d": digest.to_numpy()}).duplicated(keep="first").to_numpy()
    by_label = {Path(f.path).name: f for f in files}
    labels = contacts["source"].astype(str).str.replace(r"[:#]\d+$", "", regex=True)
    for label, n in labels[exact].value_counts().items():
        by_label[label].kept -= int(n)
        by_label[label].dropped["exact duplicate contact"] += int(n)
    kept = contacts.loc[~exact].reset_index(drop=True)
    labels = labels[~exact].reset_index(drop=True)
    k = kept["contact_id"].astype(str)
    nth = k.groupby(k.to_numpy()).cumcount()
    again = (nth > 0).to_numpy()
    if not again.any():
        return kept
    new = k + "#" + (nth + 1).astype(str)
    taken = set(k)
    clash = again & new.isin(taken).to_numpy()
    if clash.any():  # an export that already uses "#n" ids: go on counting until free
        new[clash] = new[clash] + "#" + pd.Series(range(1, int(clash.sum()) + 1), index=new[clash].index).astype(str)
    kept.loc[again, "contact_id"] = new[again].astype(schema.STRING)
    shared_ids = k[again].nunique()
    for label, n in labels[again].value_counts().items():
        f = by_label[label]
        f.renamed_ids = int(n)
        hint = (
            (f"; the columns [{', '.join(f.key_hint)}] are unique together: map contact_id: [{', '.join(f.key_hint)}]")
            if f.key_hint
            else "; map contact_id to a list of columns that are unique together"
        )
        f.warnings.append(
            f"contact_id is not unique: {int(n):,} rows reuse an id already seen with other content "
            f"({shared_ids:,} ids in all); kept as separate contacts named id#2, id#3, ...{hint}"
        )
    return kept


def ingest_manifest(path: str | Path) -> IngestResult:
    """Ingest the exports a manifest YAML lists, each with its own mapping.

    ``exports: [{file: exports/a.csv, mapping: mappings/a.yaml}, ...]``; paths are relative
    to the manifest. One file per system, one command for the whole organisation.
    """
    from flowkit.errors import MappingError
    from flowkit.yamlfile import load_yaml

    path = Path(path)
    doc = load_yaml(path, MappingError, "manifest") or {}
    entries = doc.get("exports") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise MappingError(f"{path}: exports: needs a list of {{file: ..., mapping: ...}}")
    files, mappings = [], {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "file" not in entry or set(entry) - {"file", "mapping"}:
            raise MappingError(f"{path}: exports[{i}]: give file: and optionally mapping:, nothing else")
        file = path.parent / entry["file"]
        files.append(file)
        if entry.get("mapping"):
            mappings[str(file)] = load_mapping(path.parent / entry["mapping"])
    return ingest(files, mappings=mappings)
