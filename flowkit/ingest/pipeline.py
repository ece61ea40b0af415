"""Exports in, one contact table out, and an account of every input row.

Each row read ends in exactly one of three places: kept (a contact), dropped on purpose
(a rule the user asked for, a blank line, an exact duplicate, an event row collapsed into
its contact), or quarantined with the file, line, column and reason. The summary states
``read = kept + dropped + quarantined`` for every file and overall.
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
)

__all__ = ["FileSummary", "IngestResult", "ingest", "ingest_file", "ingest_manifest", "QUARANTINE_COLUMNS"]

QUARANTINE_COLUMNS = ["source", "file", "line", "column", "value", "reason", "detail", "raw"]
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
    dropped: Counter = field(default_factory=Counter)       # rule -> rows
    quarantined: Counter = field(default_factory=Counter)   # reason -> rows
    warnings: list[str] = field(default_factory=list)
    mapping: str = ""

    @property
    def n_dropped(self) -> int:
        return sum(self.dropped.values())

    @property
    def n_quarantined(self) -> int:
        return sum(self.quarantined.values())

    @property
    def reconciles(self) -> bool:
        return self.read == self.kept + self.n_dropped + self.n_quarantined


@dataclass
class IngestResult:
    """The contacts, the quarantined rows, and a per-file account that reconciles."""

    contacts: pd.DataFrame
    quarantine: pd.DataFrame
    files: list[FileSummary]

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
        for i, value in zip(idx, vals):
            value = None if value is None or value is pd.NA else value
            self.records.append({
                "source": self.where(i), "file": self.label, "line": self.table.lines[i], "column": column,
                "value": None if value is None else str(value), "reason": reason, "detail": detail_fn(value),
                "raw": _raw_json(self.table.frame, i),
            })

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
        path, fmt=fmt, encoding=mapping.encoding if mapping else None,
        delimiter=mapping.delimiter if mapping else None, sheet=mapping.sheet if mapping else None,
        records=mapping.records if mapping else None, pad_short_rows=mapping.pad_short_rows if mapping else False,
    )
    m = resolve(mapping, list(table.frame.columns), str(path))
    label = path.name
    summary = FileSummary(str(path), fmt, table.encoding, table.delimiter, read=table.read, mapping=m.origin)
    if table.replaced_bytes:
        summary.warnings.append(f"{table.replaced_bytes} bytes could not be decoded as {table.encoding} "
                                "and were replaced by \ufffd; set 'encoding:' in the mapping if that is wrong")
    sep = ":" if table.position == "line" else "#"
    quarantine = [
        {"source": f"{label}{sep}{r.line}", "file": label, "line": r.line, "column": None, "value": None,
         "reason": r.reason.split(":")[0], "detail": r.reason, "raw": r.raw}
        for r in table.rejects
    ]
    if table.blank_lines:
        summary.dropped["blank line"] += len(table.blank_lines)

    contacts, ledger = _build(table, m, label, summary)
    quarantine.extend(ledger.records)
    summary.dropped.update(ledger.drop_counts)
    summary.quarantined.update(Counter(q["reason"] for q in quarantine))
    summary.kept = len(contacts)
    qframe = pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS)
    return IngestResult(contacts, qframe, [summary])


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
    parsed = parse_datetime(joined, ts.format, ts.dayfirst)
    where = "+".join(ts.columns)
    ledger.quarantine(joined.isna().to_numpy(), where, None, "missing received_at",
                      lambda v: f"column {where!r} is empty; every contact needs a time")
    ledger.quarantine(parsed.bad.to_numpy(), where, joined, "unparseable date",
                      lambda v: f"{v!r} in column {where!r} is not a date"
                      + (f" in format {parsed.note}" if parsed.note else ""))
    out["received_at"] = parsed.values

    for target, cols in m.columns.items():
        src = _join([frame[c] for c in cols], sep=" | ")
        name = "+".join(cols)
        if target in _STRING_TARGETS:
            out[target] = src
        elif target in ("wait_s", "handle_s"):
            p = parse_duration(src, m.durations.get(target, "seconds"))
            ledger.quarantine(p.bad.to_numpy(), name, src, "unreadable duration",
                              lambda v, name=name: f"{v!r} in column {name!r} is not seconds, mm:ss or hh:mm:ss")
            neg = (p.values < 0).fillna(False).to_numpy(dtype=bool)
            ledger.quarantine(neg, name, src, "negative duration",
                              lambda v, name=name: f"{v!r} in column {name!r} is a negative duration")
            out[target] = p.values
        elif target in ("abandoned", "resolved"):
            p = parse_bool(src)
            ledger.quarantine(p.bad.to_numpy(), name, src, "unreadable boolean",
                              lambda v, name=name: f"{v!r} in column {name!r} is not yes/no")
            out[target] = p.values
        elif target == "channel":
            channel, unknown = normalise_channel(src, m.channels)
            if unknown:
                listed = ", ".join(f"{k!r} x{v}" for k, v in sorted(unknown.items(), key=lambda kv: -kv[1])[:8])
                summary.warnings.append(f"channel values not recognised, kept as 'unknown': {listed} "
                                        "(name them under 'channels:' in the mapping)")
            out["channel"] = channel
        elif target == "closed_at":
            p = parse_datetime(src, None, ts.dayfirst if ts.dayfirst is not None else format_dayfirst(parsed.note))
            ledger.quarantine(p.bad.to_numpy(), name, src, "unparseable date",
                              lambda v, name=name: f"{v!r} in column {name!r} is not a date")
            early = (p.values < parsed.values).fillna(False).to_numpy(dtype=bool)
            ledger.quarantine(early, name, src, "closed before received",
                              lambda v, name=name: f"{v!r} in column {name!r} is before the contact was received")
            out["closed_at"] = p.values
        elif target == "handling":
            p = normalise_handling(src)
            ledger.quarantine(p.bad.to_numpy(), name, src, "unreadable handling",
                              lambda v, name=name: f"{v!r} in column {name!r} is not one_stop, pass_on or pass_back")
            out["handling"] = p.values

    for target, spec in m.booleans.items():
        src = frame[spec["column"]]
        p = parse_bool(src, spec["true"], spec["false"])
        ledger.quarantine(p.bad.to_numpy(), spec["column"], src, "unreadable boolean",
                          lambda v, spec=spec: f"{v!r} in column {spec['column']!r} is none of the codes "
                                               f"listed under booleans ({spec['true']} / {spec['false']})")
        out[target] = p.values

    for target, value in m.constants.items():
        out[target] = pd.Series([value] * n, dtype=object)
    if "channel" not in out:
        out["channel"] = pd.Series(["unknown"] * n, dtype=object)

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
        keyed = frame[m.collapse["by"]].where(pd.Series(ledger.alive))
        dup = keyed.notna() & keyed.duplicated(keep="last" if m.collapse["keep"] == "last" else "first")
        ledger.drop(dup.to_numpy(dtype=bool), f"collapsed: one contact per {m.collapse['by']}")

    return contacts.loc[ledger.alive].reset_index(drop=True), ledger


def _join(parts: list[pd.Series], sep: str = " ") -> pd.Series:
    """Join cells of several columns; missing cells are skipped, all missing stays missing."""
    result = parts[0].astype(schema.STRING)
    for part in parts[1:]:
        s = part.astype(schema.STRING)
        both = result.notna() & s.notna()
        result = (result + sep + s).where(both, result.fillna(s))
    return result


def ingest(paths, mapping=None, mappings: dict | None = None) -> IngestResult:
    """Ingest several exports (one per channel or system) into one contact table.

    ``mapping`` applies to every file; ``mappings`` maps a path to its own mapping.
    A contact id seen twice is dropped when the rows are identical and quarantined when
    they differ, across files as well as within one.
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
    quarantine = pd.concat([r.quarantine for r in results if len(r.quarantine)] or [results[0].quarantine],
                           ignore_index=True)
    files = [f for r in results for f in r.files]
    contacts, dup_q = _deduplicate(contacts, files)
    if len(dup_q):
        quarantine = pd.concat([quarantine, dup_q], ignore_index=True) if len(quarantine) else dup_q
    return IngestResult(contacts, quarantine.reset_index(drop=True), files)


def _deduplicate(contacts: pd.DataFrame, files: list[FileSummary]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exact repeats of a contact are dropped; same id with other content is quarantined."""
    ids = contacts["contact_id"]
    dup = ids.duplicated(keep="first").to_numpy()
    if not dup.any():
        return contacts, pd.DataFrame(columns=QUARANTINE_COLUMNS)
    content = [c for c in schema.COLUMNS if c not in ("source",)]
    digest = pd.util.hash_pandas_object(contacts[content].astype(str), index=False)
    first_digest = digest.groupby(ids.to_numpy()).transform("first")
    first_source = contacts["source"].groupby(ids.to_numpy()).transform("first")
    same = (digest == first_digest).to_numpy()
    by_label = {Path(f.path).name: f for f in files}
    records = []
    for i in np.flatnonzero(dup):
        src = contacts["source"].iat[i]
        label = _label_of(src)
        summary = by_label[label]
        summary.kept -= 1
        if same[i]:
            summary.dropped["exact duplicate contact"] += 1
        else:
            summary.quarantined["duplicate contact_id with different content"] += 1
            records.append({
                "source": src, "file": label, "line": _line_of(src), "column": "contact_id",
                "value": str(ids.iat[i]), "reason": "duplicate contact_id with different content",
                "detail": f"contact_id {ids.iat[i]!r} was first seen at {first_source.iat[i]} with other content",
                "raw": contacts.iloc[i].astype(str).to_json(force_ascii=False),
            })
    return contacts.loc[~dup].reset_index(drop=True), pd.DataFrame(records, columns=QUARANTINE_COLUMNS)


def _label_of(source: str) -> str:
    for sep in (":", "#"):
        if sep in source:
            return source.rsplit(sep, 1)[0]
    return source


def _line_of(source: str) -> int:
    for sep in (":", "#"):
        if sep in source:
            return int(source.rsplit(sep, 1)[1])
    return 0


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
