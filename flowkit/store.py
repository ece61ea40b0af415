"""Save and load contact tables (Parquet keeps dtypes; CSV for people and spreadsheets)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from flowkit import schema
from flowkit.errors import FlowkitError
from flowkit.privacy import Privacy
from flowkit.safewrite import unescape_formulas, write_csv, write_parquet

if TYPE_CHECKING:
    from flowkit.ingest import IngestResult

__all__ = [
    "QUARANTINE_NOTE",
    "load_any",
    "load_with_ledger",
    "quarantine_path",
    "read_contacts",
    "repairs_path",
    "write_quarantine",
    "write_table",
]

#: said beside the quarantine file's path: it is the one output that keeps rows as read
QUARANTINE_NOTE = "raw rows as read, personal data included: readable by the owner only (mode 0600)"


def write_table(df: pd.DataFrame, path: str | Path, privacy: Privacy | None = None) -> Path:
    """Write by extension: ``.parquet`` or ``.csv``, atomically (CSV formula-escaped).

    With ``privacy``, customer ids are pseudonymised and free text masked first; without it
    the table is written as it is (ingest's working copy, a simulated log).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise FlowkitError(f"{path}: write .parquet or .csv (got {suffix or 'no extension'!r})")
    if privacy is not None:
        df = privacy.protect(df)
    if suffix == ".csv":
        return write_csv(df, path, index=False)
    return write_parquet(df, path, index=False)


def write_quarantine(rows: pd.DataFrame, path: str | Path) -> Path:
    """The quarantine file: rows as read (that is its point), so owner-only and formula-escaped."""
    return write_csv(rows, path, index=False, mode=0o600)


def quarantine_path(out: str | Path) -> Path:
    """Where the quarantine file goes: beside the output, same stem, always CSV (people read it)."""
    out = Path(out)
    return out.with_name(out.stem + ".quarantine.csv")


def repairs_path(out: str | Path) -> Path:
    """Where the repaired-cells file goes: beside the output, same stem, CSV."""
    out = Path(out)
    return out.with_name(out.stem + ".repaired.csv")


def read_contacts(path: str | Path) -> pd.DataFrame:
    """Load a contact table written by :func:`write_table` back with the contract's dtypes."""
    path = Path(path)
    if not path.is_file():
        raise FlowkitError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        df = pd.read_parquet(path)
    elif suffix == ".csv":
        df = unescape_formulas(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]))
        df["received_at"] = pd.to_datetime(df["received_at"], format="ISO8601")
        for col in ("wait_s", "handle_s", "confidence"):
            if col in df:
                df[col] = pd.to_numeric(df[col])
        for col in ("abandoned", "resolved"):
            if col in df:
                df[col] = df[col].map({"True": True, "False": False}).astype("boolean")
    else:
        raise FlowkitError(f"{path}: read .parquet or .csv contact tables (got {suffix!r})")
    return schema.conform(df)


def load_any(path: str | Path, mapping: str | Path | None = None) -> pd.DataFrame:
    """A contact table from a saved table, a manifest (.yaml) or any export ingest reads.

    Commands after ingest accept all three, so a consultant can go straight from an export.
    """
    return load_with_ledger(path, mapping)[0]


def load_with_ledger(path: str | Path, mapping: str | Path | None = None) -> tuple[pd.DataFrame, IngestResult | None]:
    """Like :func:`load_any`, and the ingest result (the ledger) when the file had to be ingested.

    A saved contact table has no ledger here (its ingest printed one); an export or a manifest
    does, and every command that reads one prints it, so no row is lost out of sight.
    """
    from flowkit.ingest import ingest, ingest_manifest, load_mapping

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        result = ingest_manifest(path)
        return result.contacts, result
    if suffix in (".parquet", ".pq", ".csv") and mapping is None and path.is_file():
        try:
            head = set(pd.read_parquet(path).columns if suffix != ".csv" else pd.read_csv(path, nrows=0).columns)
        except (ValueError, OSError):  # not a saved contact table (bad bytes, not parquet): read it as an export
            head = set()
        if {"contact_id", "received_at", "channel"} <= head and ({"source_file", "source"} & head):
            return read_contacts(path), None
    result = ingest(path, load_mapping(mapping) if mapping else None)
    return result.contacts, result
