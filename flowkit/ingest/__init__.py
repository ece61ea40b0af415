"""Ingest: exports from any channel into one contact table, with nothing silently lost.

``readers`` turns a file into raw cells (format, encoding, dialect), ``mapping`` says which
cells mean what, ``values`` parses them, and ``pipeline`` keeps the ledger of every row.
"""

from flowkit.ingest.combine import ingest, ingest_manifest
from flowkit.ingest.ledger import QUARANTINE_COLUMNS, FileSummary, IngestResult
from flowkit.ingest.mapping import Mapping, load_mapping, mapping_from_dict, recognise
from flowkit.ingest.pipeline import ingest_file

__all__ = [
    "QUARANTINE_COLUMNS",
    "FileSummary",
    "IngestResult",
    "Mapping",
    "ingest",
    "ingest_file",
    "ingest_manifest",
    "load_mapping",
    "mapping_from_dict",
    "recognise",
]
