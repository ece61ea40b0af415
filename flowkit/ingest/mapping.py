"""How one export's columns become contact-table columns: the mapping file, or a guess.

A consultant writes a short YAML per export (see DESIGN.md, "Source mappings"); when
there is none, common column names in English, Polish and Russian are recognised. Either
way the result is a :class:`Mapping`, checked against the file's real header so a typo
is reported with the columns the file does have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowkit.contract import check
from flowkit.errors import MappingError
from flowkit.ingest.mapping_file import Booleans, Columns, Constants, Durations, MappingFile
from flowkit.schema import COLUMNS
from flowkit.yamlfile import load_yaml

__all__ = ["Mapping", "TimestampSpec", "load_mapping", "recognise", "resolve"]

#: cell texts that mean "no value" in every export (the mapping's na_values adds more).
DEFAULT_NA = ("", "NULL", "null", "None", "NaN", "nan", "N/A", "n/a", "#N/A")


@dataclass(frozen=True)
class TimestampSpec:
    """received_at from one column, or several joined with spaces, with an optional format."""

    columns: tuple[str, ...]
    format: str | None = None
    dayfirst: bool | None = None


@dataclass(frozen=True)
class Mapping:
    """Everything needed to turn one export into contacts. Field names follow the YAML keys."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # target -> source column(s)
    received_at: TimestampSpec | None = None
    format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    records: str | None = None
    constants: dict[str, str] = field(default_factory=dict)
    booleans: dict[str, dict] = field(default_factory=dict)  # target -> {column, true, false}
    drop: dict[str, tuple[str, ...]] = field(default_factory=dict)  # source column -> values
    collapse: dict | None = None  # {by: column, keep: first|last, received_at: earliest|kept}
    closed_when: dict | None = None  # {column, values}: closed_at only where the row says closed
    offsets: str = "utc"  # times with a UTC offset: to UTC, or "local" (wall clock as written)
    channels: dict[str, str] = field(default_factory=dict)  # source value -> channel
    durations: dict[str, str] = field(default_factory=dict)  # target -> unit
    pad_short_rows: bool = False
    reason_demand: dict[str, str] = field(default_factory=dict)  # reason code -> value|failure
    na_values: tuple[str, ...] = DEFAULT_NA  # cell texts that mean empty
    na_by_column: dict[str, tuple[str, ...]] = field(default_factory=dict)  # more, for one source column
    keep: dict[str, str] = field(default_factory=dict)  # extra column name -> source column, carried as is
    origin: str = "recognised column names"  # where the mapping came from


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping YAML. Unknown keys and bad values name the key and file."""
    doc = load_yaml(path, MappingError, "mapping file")
    return mapping_from_dict(doc if doc is not None else {}, str(path))


def mapping_from_dict(doc: dict, origin: str = "mapping") -> Mapping:
    """Check ``doc`` (parsed YAML) against the mapping contract and build the :class:`Mapping`."""
    mf = check(MappingFile, doc, origin, MappingError)
    cols = mf.columns or Columns()
    columns = {
        target: _tuple(src) for target, src in cols.model_dump(exclude_none=True, exclude={"received_at"}).items()
    }
    ts = mf.received_at if mf.received_at is not None else cols.received_at
    received = None
    if isinstance(ts, str):
        received = TimestampSpec((ts,))
    elif ts is not None:
        received = TimestampSpec(_tuple(ts.columns if ts.columns is not None else ts.column), ts.format, ts.dayfirst)
    booleans = {
        target: {
            "column": spec.column,
            "true": list(_tuple(spec.true)) if spec.true is not None else None,
            "false": list(_tuple(spec.false)) if spec.false is not None else None,
        }
        for target, spec in (
            ("abandoned", (mf.booleans or Booleans()).abandoned),
            ("resolved", (mf.booleans or Booleans()).resolved),
        )
        if spec is not None
    }
    collapse = mf.collapse.model_dump() if mf.collapse else None
    closed_when = {"column": mf.closed_when.column, "values": _tuple(mf.closed_when.values)} if mf.closed_when else None
    na_values: tuple[str, ...] = DEFAULT_NA
    na_by_column: dict[str, tuple[str, ...]] = {}
    if isinstance(mf.na_values, dict):  # per source column: {customer_id: ["0"]}
        na_by_column = {c: _tuple(v) for c, v in mf.na_values.items()}
    elif mf.na_values is not None:
        na_values = DEFAULT_NA + _tuple(mf.na_values)
    return Mapping(
        columns=columns,
        received_at=received,
        format=mf.format,
        delimiter=mf.delimiter,
        encoding=mf.encoding,
        sheet=mf.sheet,
        records=mf.records,
        constants=(mf.constants or Constants()).model_dump(exclude_none=True),
        booleans=booleans,
        drop={c: _tuple(v) for c, v in (mf.drop or {}).items()},
        collapse=collapse,
        closed_when=closed_when,
        offsets=mf.offsets,
        channels=dict(mf.channels or {}),
        durations=(mf.durations or Durations()).model_dump(exclude_none=True),
        pad_short_rows=mf.pad_short_rows,
        reason_demand=dict(mf.reason_demand or {}),
        na_values=na_values,
        na_by_column=na_by_column,
        keep=_keep(origin, _tuple(mf.keep) if mf.keep is not None else ()),
        origin=origin,
    )


def _tuple(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _keep(origin: str, columns: tuple[str, ...]) -> dict[str, str]:
    """``keep: [reopen_count, priority]``: source columns carried into the contact table as extra
    columns (snake-case names), for signals the contract has no column for (a ticket's reopen count)."""
    out = {}
    for col in columns:
        name = re.sub(r"[^0-9a-z]+", "_", col.strip().lower()).strip("_")
        if not name:
            raise MappingError(f"{origin}: keep: {col!r} is not a usable column name")
        if name in COLUMNS or name == "source":
            raise MappingError(
                f"{origin}: keep: {col!r} would overwrite the contract column {name!r}; map it under columns:"
            )
        out[name] = col
    return out


def recognise(header: list[str]) -> Mapping:
    """A mapping from a known export layout or well-known column names (see :mod:`flowkit.ingest.recognise`)."""
    from flowkit.ingest.recognise import recognise as from_header

    return from_header(header)


def resolve(mapping: Mapping | None, header: list[str], path: str) -> Mapping:
    """Complete ``mapping`` with recognised names and check every named column exists."""
    if mapping is None:
        mapping = recognise(header)
    else:
        from flowkit.ingest.recognise import recognise_names

        auto = recognise_names(header)
        # fill what the mapping leaves out from recognised names it does not already use
        taken = {c for cols in mapping.columns.values() for c in cols}
        taken |= {spec["column"] for spec in mapping.booleans.values()}
        taken |= set(mapping.received_at.columns if mapping.received_at else ())
        decided = set(mapping.columns) | set(mapping.constants) | set(mapping.booleans)
        extra = {t: cols for t, cols in auto.columns.items() if t not in decided and not set(cols) & taken}
        received = mapping.received_at
        if received is None and auto.received_at is not None and not set(auto.received_at.columns) & taken:
            received = auto.received_at
        mapping = _replace(mapping, columns={**mapping.columns, **extra}, received_at=received)
    if mapping.received_at is None:
        raise MappingError(
            f"{path}: no column for received_at (when the customer made contact); the file has columns: "
            f"{_names(header)}. Name it in a mapping file: received_at: {{columns: [..], format: ..}}"
        )
    needed: list[tuple[str, str]] = [("received_at", c) for c in mapping.received_at.columns]
    needed += [(f"columns.{t}", c) for t, cols in mapping.columns.items() for c in cols]
    needed += [(f"booleans.{t}", spec["column"]) for t, spec in mapping.booleans.items()]
    needed += [(f"drop.{c}", c) for c in mapping.drop]
    needed += [(f"na_values.{c}", c) for c in mapping.na_by_column]
    needed += [("keep", c) for c in mapping.keep.values()]
    if mapping.collapse:
        needed.append(("collapse.by", mapping.collapse["by"]))
    if mapping.closed_when:
        needed.append(("closed_when.column", mapping.closed_when["column"]))
    missing = [(key, col) for key, col in needed if col not in header]
    if missing:
        what = "; ".join(f"{key} names {col!r}" for key, col in missing)
        raise MappingError(
            f"{path}: column not found ({what}) [mapping: {mapping.origin}]; the file has columns: {_names(header)}"
        )
    return mapping


def _names(header: list[str]) -> str:
    """Column names for a one-line message: a name with control characters (a line break) is quoted."""
    return ", ".join(h if h.isprintable() else repr(h) for h in header)


def _replace(mapping: Mapping, **changes: Any) -> Mapping:
    from dataclasses import replace

    return replace(mapping, **changes)
