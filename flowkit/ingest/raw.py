"""What every reader returns: cells as strings, each row's place in the file, and the rejects.

Readers do no interpretation: every cell stays a string (or missing), every record keeps
the line (CSV, JSON lines) or record number (XLSX row, JSON array, Parquet) it came from,
and a record that cannot become a row (ragged line, invalid JSON, undecodable bytes) is
returned as a reject with its reason instead of being skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.errors import IngestError
from flowkit.schema import STRING

__all__ = ["RawTable", "Reject", "cell_text", "check_header", "to_frame", "unique_header"]


@dataclass
class Reject:
    """A record that could not become a row, with where it was and why."""

    line: int
    reason: str
    raw: str


@dataclass
class RawTable:
    """Cells as strings, the position of each row, and everything that did not fit."""

    frame: pd.DataFrame  # one column per source column, pyarrow strings, NA = empty
    lines: Sequence[int]  # position of each frame row in the file (its first line)
    rejects: list[Reject] = field(default_factory=list)
    blank_lines: list[int] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    replaced_bytes: int = 0
    position: str = "line"  # "line" (text line) or "record" (row/record number)
    sheet: str | None = None  # the XLSX sheet the rows came from
    physical_lines: int | None = None  # a text file's own line count, the records' check
    warnings: list[str] = field(default_factory=list)
    line_account: dict[str, int] = field(default_factory=dict)  # physical lines: header, records, blank, ...

    @property
    def read(self) -> int:
        """Records seen: rows + rejects + blank lines; the left side of the reconciliation."""
        return len(self.lines) + len(self.rejects) + len(self.blank_lines)


def to_frame(header: list[str], rows: list[list]) -> pd.DataFrame:
    """Rows of cells -> one pyarrow string column per header name; blank cells become NA."""
    if not rows:
        return pd.DataFrame({name: pd.Series([], dtype=STRING) for name in header})
    columns = list(zip(*rows, strict=True))
    data = {}
    for name, cells in zip(header, columns, strict=True):
        # pyarrow builds and trims the column in C: 3-5x faster than pandas' per-element path
        arr = pc.utf8_trim_whitespace(pa.array(cells, type=pa.large_string()))
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)
        data[name] = pd.Series(pd.arrays.ArrowStringArray(arr), dtype=STRING)
    return pd.DataFrame(data, columns=header)


def unique_header(names: list[str]) -> list[str]:
    """Header names made unique (``note``, ``note.1``) and never blank (``column_3``)."""
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names):
        name = raw.strip().lstrip("\ufeff") or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


_DATA_LIKE = re.compile(
    r"^\s*(?:[+-]?\d+(?:[.,]\d+)?|\d{4}-\d\d-\d\d.*|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}.*|\d{1,2}:\d\d(?::\d\d)?)\s*$"
)


def check_header(path: Path | str, names: list[str]) -> None:
    """Refuse a first row that is data (a date, or mostly numbers): the export has no header."""
    cells = [n for n in names if n and n.strip()]
    if not cells:
        return
    data_like = [n for n in cells if _DATA_LIKE.match(n)]
    dated = any(re.match(r"^\s*(\d{4}-\d\d-\d\d|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})", n) for n in cells)
    if dated or len(data_like) * 2 > len(cells):
        shown = ", ".join(repr(n) for n in cells[:4])
        raise IngestError(
            f"{path}: the first line holds data ({shown}), not column names: the export has no header row; "
            "add a header line naming the columns (e.g. id,date,channel) and ingest again"
        )


def cell_text(value: object) -> str | None:
    """One cell as text: whole floats without '.0', datetimes in ISO form, blanks as missing."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") and hasattr(value, "date") else value.isoformat()
    text = str(value).strip()
    return text or None
