"""XLSX workbooks: every sheet shaped like a contact table, and formulas Excel never calculated.

A workbook often holds a notes sheet, a pivot and the export itself, or one sheet per month.
Every sheet whose first row names columns is returned; which of them are contact tables is
decided by the pipeline (it knows the mapping). A formula cell is read through its cached
value; a workbook written by a script has none, and such cells are named in a warning
instead of silently arriving empty.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowkit.errors import IngestError
from flowkit.ingest.raw import RawTable, cell_text, to_frame, unique_header

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

__all__ = ["read_workbook"]

_SHOWN = 10


def _open(path: Path, data_only: bool) -> Workbook:
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=data_only)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, AttributeError) as exc:
        # openpyxl raises these for a corrupt or mis-named file
        raise IngestError(
            f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc}); "
            "open it in Excel and save it as .xlsx, or export CSV"
        ) from exc


def read_workbook(path: Path, sheet: str | int | None) -> list[RawTable]:
    """One raw table per sheet asked for (``sheet``) or per non-empty sheet; formulas without values warned."""
    values_wb, formula_wb = _open(path, True), _open(path, False)
    try:
        names = values_wb.sheetnames
        if sheet is None:
            chosen = list(names)
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise IngestError(f"{path}: no sheet number {sheet}; it has {len(names)}: {', '.join(names)}")
            chosen = [names[sheet]]
        else:
            if sheet not in names:
                raise IngestError(
                    f"{path}: no sheet {sheet!r}; it has {', '.join(names)} (set 'sheet:' to one of them)"
                )
            chosen = [sheet]
        tables = [_read_sheet(values_wb[name], formula_wb[name], name) for name in chosen]
    finally:
        values_wb.close()
        formula_wb.close()
    return [t for t in tables if t is not None]


def _read_sheet(ws: Any, formulas: Any, name: str) -> RawTable | None:
    from openpyxl.utils import get_column_letter

    header = None
    rows: list[list] = []
    lines: list[int] = []
    blank: list[int] = []
    uncached: list[str] = []
    for number, (values, raw) in enumerate(
        zip(ws.iter_rows(values_only=True), formulas.iter_rows(values_only=True), strict=False), start=1
    ):
        cells = [cell_text(v) for v in values]
        for col, (v, f) in enumerate(zip(values, raw, strict=False), start=1):
            if v is None and isinstance(f, str) and f.startswith("="):
                uncached.append(f"{name}!{get_column_letter(col)}{number}")
        if not any(cells):
            if header is not None:
                blank.append(number)
            continue
        if header is None:
            header = unique_header([c or "" for c in cells])
            continue
        cells = (cells + [None] * len(header))[: len(header)]
        rows.append(cells)
        lines.append(number)
    if header is None:
        return None
    # openpyxl reports trailing formatted-but-empty rows; they are not records.
    while blank and blank[-1] > (lines[-1] if lines else 0):
        blank.pop()
    table = RawTable(to_frame(header, rows), lines, [], blank, position="line", sheet=name)
    if uncached:
        shown = ", ".join(uncached[:_SHOWN]) + (f" and {len(uncached) - _SHOWN} more" if len(uncached) > _SHOWN else "")
        table.warnings.append(
            f"{len(uncached)} formula cells have no saved value (the workbook was written by a program and never "
            f"recalculated): {shown}; they are read as empty. Open and save the file in Excel, or export values"
        )
    return table
