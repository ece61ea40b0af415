"""The account of every input record: kept, dropped on purpose, or quarantined with its reason.

Each record read ends in exactly one of three places, and the summary states
``read = kept + dropped + quarantined`` for every file and overall. A bad value in an
optional field does not cost the contact: the cell is emptied and counted as *repaired*.
Provenance is two columns, ``source_file`` and ``source_line``, never a string parsed back.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flowkit.ingest.raw import RawTable

__all__ = ["QUARANTINE_COLUMNS", "REPAIR_COLUMNS", "FileSummary", "IngestResult", "RowLedger", "raw_json"]

QUARANTINE_COLUMNS = ["source_file", "source_line", "column", "value", "reason", "detail", "raw"]
REPAIR_COLUMNS = ["source_file", "source_line", "column", "value", "reason", "detail"]


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
    lines: dict = field(default_factory=dict)  # a text file's physical lines by kind (header, records, blank, ...)

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


class RowLedger:
    """Per-row fate for one file: kept until a reason says otherwise (first reason wins)."""

    def __init__(self, table: RawTable, label: str):
        self.n = len(table.lines)
        self.table = table
        self.label = label
        self.bad = np.zeros(self.n, dtype=bool)
        self.dropped = np.zeros(self.n, dtype=bool)
        self.records: list[dict] = []
        self.repairs: list[dict] = []
        self.drop_counts: Counter[str] = Counter()
        self._seq = 0  # the order of repair calls within a slice: repairs are sorted back into it

    def quarantine(
        self, mask: np.ndarray, column: str, values: Any, reason: str, detail_fn: Callable[..., str]
    ) -> None:
        idx = np.flatnonzero(mask & ~self.bad & ~self.dropped)
        if idx.size == 0:
            return
        self.bad[idx] = True
        vals = pd.Series(values).iloc[idx].astype(object).tolist() if values is not None else [None] * idx.size
        for i, value in zip(idx.tolist(), vals, strict=True):
            value = None if value is None or value is pd.NA else value
            self.records.append(
                {
                    "source_file": self.label,
                    "source_line": self.table.lines[i],
                    "column": column,
                    "value": None if value is None else str(value),
                    "reason": reason,
                    "detail": detail_fn(value),
                    "raw": raw_json(self.table.frame, i),
                }
            )

    def repair(
        self, mask: np.ndarray, column: str, values: Any, reason: str, detail_fn: Callable[..., str], offset: int = 0
    ) -> np.ndarray:
        """An optional field's cells that cannot be read: emptied, the row kept, the cell recorded.

        ``mask`` and ``values`` cover rows ``offset`` to ``offset + len(mask)`` (a slice of the table).
        """
        mask = np.asarray(mask, dtype=bool)
        seq = self._seq
        self._seq += 1
        rows = slice(offset, offset + mask.size)
        idx = np.flatnonzero(mask & ~self.bad[rows] & ~self.dropped[rows])
        if idx.size == 0:
            return mask
        vals = pd.Series(values).iloc[idx].astype(object).tolist()
        for i, value in zip(idx, vals, strict=True):
            value = None if value is None or value is pd.NA else value
            self.repairs.append(
                {
                    "_row": offset + int(i),
                    "_seq": seq,
                    "source_file": self.label,
                    "source_line": self.table.lines[offset + int(i)],
                    "column": column,
                    "value": None if value is None else str(value),
                    "reason": reason,
                    "detail": detail_fn(value),
                }
            )
        return mask

    def begin_slice(self) -> None:
        """A new slice of rows: its repair calls are numbered again, as the first slice's were."""
        self._seq = 0

    def repairs_of_kept(self) -> list[dict[str, Any]]:
        """Repairs on rows that ended up kept (a row dropped later needs no repair), field by field, row by row."""
        alive = self.alive
        kept = sorted((r for r in self.repairs if alive[r["_row"]]), key=lambda r: (r["_seq"], r["_row"]))
        return [{k: v for k, v in r.items() if k not in ("_row", "_seq")} for r in kept]

    def drop(self, mask: np.ndarray, rule: str) -> None:
        idx = mask & ~self.bad & ~self.dropped
        n = int(idx.sum())
        if n:
            self.dropped |= idx
            self.drop_counts[rule] += n

    @property
    def alive(self) -> np.ndarray:
        return ~(self.bad | self.dropped)


def raw_json(frame: pd.DataFrame, i: int) -> str:
    row = frame.iloc[i]
    return json.dumps({k: v for k, v in row.items() if not pd.isna(v)}, ensure_ascii=False)
