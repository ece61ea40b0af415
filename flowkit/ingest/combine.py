"""Several exports into one contact table: per-file ledgers, repeated ids, manifests.

One file per system, one command for the whole organisation. A contact id seen twice is
dropped when the rows are identical in every mapped field, and renamed ``id#2`` when not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from flowkit import schema
from flowkit.ingest.build import repeats
from flowkit.ingest.ledger import FileSummary, IngestResult
from flowkit.ingest.mapping import Mapping, load_mapping
from flowkit.ingest.pipeline import ingest_file

__all__ = ["ingest", "ingest_manifest"]


def ingest(
    paths: str | Path | Sequence[str | Path],
    mapping: Mapping | str | Path | None = None,
    mappings: dict[str, Mapping] | None = None,
) -> IngestResult:
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
    if not repeats(ids):
        return contacts
    content = [c for c in schema.COLUMNS if c not in ("source_file", "source_line")]
    digest = pd.util.hash_pandas_object(contacts[content].astype(str), index=False)
    exact = pd.DataFrame({"id": ids.to_numpy(), "d": digest.to_numpy()}).duplicated(keep="first").to_numpy()
    by_label = {Path(f.path).name: f for f in files}  # source_file is the file's name (and [sheet])
    labels = contacts["source_file"].astype(str)
    for label, n in labels[exact].value_counts().items():
        by_label[str(label)].kept -= int(n)
        by_label[str(label)].dropped["exact duplicate contact"] += int(n)
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
        f = by_label[str(label)]
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
