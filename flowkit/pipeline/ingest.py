"""Ingest exports and write what a consultant keeps: the contact table, the quarantine, repaired cells."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowkit.ingest import IngestResult


@dataclass
class IngestWritten:
    """The ingest ledger and where each output went (``repairs`` is None when no cell was repaired)."""

    result: IngestResult
    contacts: Path
    quarantine: Path
    repairs: Path | None


def ingest_to(
    out: Path, exports: Sequence[Path] = (), mapping: Path | None = None, manifest: Path | None = None
) -> IngestWritten:
    """Ingest ``exports`` (with ``mapping``) or a ``manifest`` and write the table to ``out``.

    The quarantine goes beside it (stem + ``.quarantine.csv``, owner-only: it keeps raw rows), and repaired cells to stem +
    ``.repaired.csv``; a repairs file left by an earlier run is removed, since it would describe
    cells this table does not have.
    """
    from flowkit.ingest import ingest, ingest_manifest, load_mapping
    from flowkit.safewrite import write_csv
    from flowkit.store import quarantine_path, repairs_path, write_quarantine, write_table

    result = (
        ingest_manifest(manifest) if manifest else ingest(list(exports), load_mapping(mapping) if mapping else None)
    )
    write_table(result.contacts, out)
    q = quarantine_path(out)
    write_quarantine(result.quarantine, q)
    repairs = repairs_path(out)
    if len(result.repairs):
        write_csv(result.repairs, repairs)
    elif repairs.is_file():
        repairs.unlink()
    return IngestWritten(result, Path(out), q, repairs if len(result.repairs) else None)
