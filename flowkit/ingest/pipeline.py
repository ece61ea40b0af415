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
import pyarrow as pa

from flowkit.errors import FlowkitError, IngestError, MappingError
from flowkit.ingest.build import build
from flowkit.ingest.ledger import QUARANTINE_COLUMNS, REPAIR_COLUMNS, FileSummary, IngestResult
from flowkit.ingest.mapping import Mapping, load_mapping, resolve
from flowkit.ingest.readers import RawTable, format_of, read_tables

__all__ = ["ingest_file"]


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

    contacts, ledger = build(table, m, label, summary, shown)
    pa.default_memory_pool().release_unused()  # the raw cells' buffers go back to the system, not to a pool
    quarantine.extend(ledger.records)
    summary.dropped.update(ledger.drop_counts)
    summary.quarantined.update(Counter(q["reason"] for q in quarantine))
    summary.kept = len(contacts)
    repairs = ledger.repairs_of_kept()
    summary.repaired.update(Counter(f"{r['column']}: {r['reason']}" for r in repairs))
    qframe = pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS)
    return IngestResult(contacts, qframe, [summary], pd.DataFrame(repairs, columns=REPAIR_COLUMNS))
