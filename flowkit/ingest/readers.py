"""Read an export of any supported format into raw cells, keeping every record's place.

This module picks the reader by format and unpacks ``.gz``; the shape every reader returns
is :mod:`flowkit.ingest.raw`. Delimited text lives in :mod:`flowkit.ingest.delimited`,
workbooks in :mod:`flowkit.ingest.workbook`. Interpretation is :mod:`flowkit.ingest.pipeline`'s job.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

from flowkit.errors import IngestError
from flowkit.ingest.delimited import read_delimited
from flowkit.ingest.encoding import decode_lines
from flowkit.ingest.raw import RawTable, Reject, cell_text, to_frame
from flowkit.ingest.stream import read_delimited_file, stream_encoding
from flowkit.ingest.workbook import read_workbook

__all__ = ["FORMATS", "RawTable", "Reject", "format_of", "read_raw", "read_tables"]

FORMATS = ("csv", "tsv", "xlsx", "json", "jsonl", "parquet", "xes")
_EXT = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xes": "xes",
}
_FLATTEN_DEPTH = 20  # nested objects below this stay one JSON text cell


def format_of(path: Path, declared: str | None = None) -> str:
    """The export's format, from the mapping or the file extension (``.gz`` looked through)."""
    if declared:
        if declared not in FORMATS:
            raise IngestError(f"{path}: unknown format {declared!r}; use one of {', '.join(FORMATS)}")
        return declared
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext not in _EXT:
        raise IngestError(
            f"{path}: cannot tell the format from the extension {ext or '(none)'!r}; "
            f"rename the file or set 'format:' ({', '.join(FORMATS)}) in its mapping"
        )
    return _EXT[ext]


def read_tables(
    path: Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    records: str | None = None,
    pad_short_rows: bool = False,
) -> list[RawTable]:
    """Read ``path`` as raw cells: one table, or one per workbook sheet. Raises :class:`IngestError` only if nothing can be read."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    kind = format_of(path, fmt)
    if kind == "xlsx":
        return read_workbook(path, sheet)
    if kind == "parquet":
        return [_read_parquet(path)]
    if kind == "xes":
        return [_read_xes(path)]
    if kind in ("csv", "tsv"):
        enc = stream_encoding(path, encoding)
        if not enc.startswith("utf-16"):  # UTF-16 lines cannot be cut at a newline byte: read whole
            return [
                read_delimited_file(path, enc, "\t" if kind == "tsv" and not delimiter else delimiter, pad_short_rows)
            ]
        encoding = enc
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        data = _gunzip(path, data)
    if not data.strip():
        raise IngestError(f"{path}: the file is empty (no header, no records); export it again")
    decoded = decode_lines(data, encoding, str(path))
    if kind in ("json", "jsonl"):
        table = _read_json(path, decoded.text, kind, records)
        table.rejects = sorted(
            table.rejects + [Reject(b.line, b.reason, b.raw) for b in decoded.bad], key=lambda r: r.line
        )
    else:
        table = read_delimited(
            path, decoded.text, "\t" if kind == "tsv" and not delimiter else delimiter, pad_short_rows, decoded.bad
        )
    table.encoding, table.replaced_bytes = decoded.encoding, decoded.replaced
    return [table]


def read_raw(path: Path, **options: Any) -> RawTable:
    """The first table of :func:`read_tables` (the one a non-workbook file has)."""
    return read_tables(path, **options)[0]


def _gunzip(path: Path, data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise IngestError(
            f"{path}: the file is named .gz but is not a complete gzip file ({exc}); "
            "decompress it yourself, or rename it without .gz if it is plain text"
        ) from exc


def _flatten(record: dict, prefix: str = "", depth: int = 0) -> dict:
    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < _FLATTEN_DEPTH:
            out.update(_flatten(value, name + ".", depth + 1))
        elif isinstance(value, (dict, list)):
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = cell_text(value) if not isinstance(value, bool) else str(value).lower()
    return out


def _read_json(path: Path, text: str, kind: str, records_key: str | None) -> RawTable:
    stripped = text.lstrip("\ufeff").lstrip()
    rejects: list[Reject] = []
    blank: list[int] = []
    items: list[tuple[int, dict]] = []
    position = "line"
    if kind == "json" and stripped[:1] in ("[", "{"):
        try:
            doc = json.loads(stripped)
        except RecursionError as exc:
            raise IngestError(
                f"{path}: the JSON is nested too deeply to be a log of records; export it as an array of flat records"
            ) from exc
        except json.JSONDecodeError as exc:
            if stripped[:1] == "{" and "\n" in stripped.strip():
                return _read_json(path, text, "jsonl", records_key)
            raise IngestError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
        if isinstance(doc, dict):
            doc = _records_of(path, doc, records_key)
        if not isinstance(doc, list):
            raise IngestError(
                f"{path}: the JSON is a {type(doc).__name__}, not an array of records; "
                "export the log as [{...}, {...}] or JSON lines"
            )
        position = "record"
        for number, item in enumerate(doc, start=1):
            if isinstance(item, dict):
                items.append((number, _flatten(item)))
            else:
                rejects.append(
                    Reject(number, f"record is a {type(item).__name__}, not an object", json.dumps(item)[:500])
                )
    else:
        for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
            if not line.strip():
                blank.append(number)
                continue
            try:
                item = json.loads(line)
            except RecursionError:
                rejects.append(Reject(number, "invalid JSON: nested too deeply", line[:500]))
                continue
            except json.JSONDecodeError as exc:
                rejects.append(Reject(number, f"invalid JSON: {exc.msg} at column {exc.colno}", line[:500]))
                continue
            if isinstance(item, dict):
                items.append((number, _flatten(item)))
            else:
                rejects.append(Reject(number, f"record is a {type(item).__name__}, not an object", line[:500]))
        # trailing blank lines of a JSON-lines file are not records
        while blank and blank[-1] > (items[-1][0] if items else 0):
            blank.pop()
    columns: dict[str, None] = {}
    for _, rec in items:
        columns.update(dict.fromkeys(rec))
    header = list(columns)
    rows = [[rec.get(c) for c in header] for _, rec in items]
    return RawTable(to_frame(header, rows), [n for n, _ in items], rejects, blank, position=position)


def _records_of(path: Path, doc: dict[str, Any], key: str | None) -> Any:
    """The records under ``key`` (or the one array of objects); the caller checks it is a list."""
    if key:
        node: Any = doc
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise IngestError(f"{path}: no records at {key!r}; top-level keys are {', '.join(doc)}")
            node = node[part]
        return node
    lists = [k for k, v in doc.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
    if len(lists) == 1:
        return doc[lists[0]]
    if not lists:
        return [doc]
    raise IngestError(f"{path}: several arrays of records ({', '.join(lists)}); set 'records:' in the mapping")


def _read_parquet(path: Path) -> RawTable:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise IngestError(f"{path}: not a readable Parquet file ({type(exc).__name__}: {exc})") from exc
    header = [str(c) for c in df.columns]
    rows = [[cell_text(v) for v in row] for row in df.itertuples(index=False, name=None)]
    return RawTable(to_frame(header, rows), list(range(1, len(df) + 1)), position="record")


def _read_xes(path: Path) -> RawTable:
    """An XES event log, streamed: one row per event, the trace's attributes as ``case:<key>``.

    lxml's iterparse reads one trace at a time and each is cleared once its events are
    rows, so memory grows with the rows kept, not with the XML tree (a million-event log
    is a few hundred MB of XML). Each row's place is the event's line in the file.
    A file cut short keeps the events before the break and records the break as a reject.
    """
    from lxml import etree

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    rows: list[dict] = []
    lines: list[int] = []
    rejects: list[Reject] = []
    event_tag, trace_tag = "{http://www.xes-standard.org/}event", "{http://www.xes-standard.org/}trace"
    pending: list[tuple[int, dict]] = []
    try:
        with opener(path, "rb") as fh:
            for _, el in etree.iterparse(
                fh, events=("end",), tag=(event_tag, trace_tag, "event", "trace"), huge_tree=True, remove_comments=True
            ):
                # direct children only: a nested attribute (inside a list or another attribute) is not the event's
                attrs = {child.get("key"): child.get("value") for child in el if child.get("key") is not None}
                if etree.QName(el).localname == "event":
                    pending.append((el.sourceline or 0, attrs))
                    continue
                case = {f"case:{k}": v for k, v in attrs.items()}  # trace attributes, wherever they stand
                for line, ev in pending:
                    rows.append({**case, **ev})
                    lines.append(line)
                pending = []
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
    except etree.XMLSyntaxError as exc:
        if not rows:
            raise IngestError(f"{path}: not a readable XES log (line {exc.lineno}: {exc.msg})") from exc
        rejects.append(
            Reject(exc.lineno or 0, f"XES log cut short: {exc.msg}; events after this line are not read", "")
        )
    except (OSError, EOFError) as exc:  # a truncated .gz
        if not rows:
            raise IngestError(f"{path}: not a readable XES log ({exc})") from exc
        rejects.append(Reject(lines[-1] if lines else 0, f"XES log cut short: {exc}", ""))
    header = list(dict.fromkeys(k for r in rows for k in r))
    table = to_frame(header, [[r.get(c) for c in header] for r in rows])
    return RawTable(table, lines, rejects, [], encoding="utf-8", position="line")
