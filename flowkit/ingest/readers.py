"""Read an export of any supported format into raw text cells, keeping every record's place.

Readers do no interpretation: every cell stays a string (or missing), every record keeps
the line (CSV, JSON lines) or record number (XLSX row, JSON array, Parquet) it came from,
and a record that cannot become a row (ragged line, invalid JSON) is returned as a reject
with its reason instead of being skipped. Interpretation is :mod:`flowkit.ingest.pipeline`'s job.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from flowkit.errors import IngestError
from flowkit.ingest.encoding import decode
from flowkit.schema import STRING

__all__ = ["FORMATS", "RawTable", "Reject", "format_of", "read_raw"]

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
_SNIFF_DELIMITERS = ",;\t|"

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


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
    lines: list[int]  # position of each frame row in the file
    rejects: list[Reject] = field(default_factory=list)
    blank_lines: list[int] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    replaced_bytes: int = 0
    position: str = "line"  # "line" (text line) or "record" (row/record number)

    @property
    def read(self) -> int:
        """Records seen: rows + rejects + blank lines; the left side of the reconciliation."""
        return len(self.lines) + len(self.rejects) + len(self.blank_lines)


def _to_frame(header: list[str], rows: list[list]) -> pd.DataFrame:
    """Rows of cells -> one pyarrow string column per header name; blank cells become NA."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(header)
    data = {}
    for name, cells in zip(header, columns, strict=True):
        col = pd.Series(pd.array(list(cells), dtype=STRING)).str.strip()
        data[name] = col.mask(col == "")
    return (
        pd.DataFrame(data, columns=header)
        if rows
        else pd.DataFrame({name: pd.Series([], dtype=STRING) for name in header})
    )


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


def read_raw(
    path: Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    records: str | None = None,
    pad_short_rows: bool = False,
) -> RawTable:
    """Read ``path`` as raw cells. Raises :class:`IngestError` only if nothing can be read."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    kind = format_of(path, fmt)
    if kind == "xlsx":
        return _read_xlsx(path, sheet)
    if kind == "parquet":
        return _read_parquet(path)
    if kind == "xes":
        return _read_xes(path)
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        data = gzip.decompress(data)
    text, enc, replaced = decode(data, encoding)
    if kind in ("json", "jsonl"):
        table = _read_json(path, text, kind, records)
    else:
        table = _read_delimited(path, text, "\t" if kind == "tsv" and not delimiter else delimiter, pad_short_rows)
    table.encoding, table.replaced_bytes = enc, replaced
    return table


def _sniff_delimiter(text: str) -> str:
    """The delimiter of a delimited text; the csv module's Sniffer, checked against the header."""
    sample = text[: 64 * 1024]
    first = next((ln for ln in sample.splitlines() if ln.strip()), "")
    try:
        found = csv.Sniffer().sniff(sample, delimiters=_SNIFF_DELIMITERS).delimiter
        if first.count(found) >= 1:
            return found
    except csv.Error:
        pass
    counts = {d: first.count(d) for d in _SNIFF_DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _unique_header(names: list[str]) -> list[str]:
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


def _read_delimited(path: Path, text: str, delimiter: str | None, pad_short_rows: bool) -> RawTable:
    delim = delimiter or _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    rejects: list[Reject] = []
    blank: list[int] = []
    prev = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            start = prev + 1
            prev = reader.line_num
            rejects.append(Reject(start, f"unreadable CSV record: {exc}", ""))
            continue
        start, prev = prev + 1, reader.line_num
        if not record or all(not cell.strip() for cell in record):
            if header is not None:
                blank.append(start)
            continue
        if header is None:
            header = _unique_header(record)
            continue
        n = len(header)
        if len(record) != n:
            if len(record) > n and not any(c.strip() for c in record[n:]):
                record = record[:n]
            elif len(record) < n and pad_short_rows:
                record = record + [""] * (n - len(record))
            else:
                raw = delim.join(record)
                rejects.append(Reject(start, f"ragged line: {len(record)} fields, the header has {n}", raw[:500]))
                continue
        rows.append(record)
        lines.append(start)
    if header is None:
        raise IngestError(f"{path}: no header row found (the file is empty or blank)")
    return RawTable(_to_frame(header, rows), lines, rejects, blank, delimiter=delim)


def _cell_text(value) -> str | None:
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


def _read_xlsx(path: Path, sheet: str | int | None) -> RawTable:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise IngestError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from exc
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            ws = wb.worksheets[sheet]
        else:
            if sheet not in wb.sheetnames:
                raise IngestError(f"{path}: no sheet {sheet!r}; it has {', '.join(wb.sheetnames)}")
            ws = wb[sheet]
        header = None
        rows, lines, blank = [], [], []
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(cells):
                if header is not None:
                    blank.append(number)
                continue
            if header is None:
                header = _unique_header([c or "" for c in cells])
                continue
            cells = (cells + [None] * len(header))[: len(header)]
            rows.append(cells)
            lines.append(number)
    finally:
        wb.close()
    if header is None:
        raise IngestError(f"{path}: the sheet has no header row")
    # openpyxl reports trailing formatted-but-empty rows; they are not records.
    while blank and blank[-1] > (lines[-1] if lines else 0):
        blank.pop()
    return RawTable(_to_frame(header, rows), lines, [], blank, position="line")


def _flatten(record: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            out[name] = json.dumps(value, ensure_ascii=False)
        else:
            out[name] = _cell_text(value) if not isinstance(value, bool) else str(value).lower()
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
        except json.JSONDecodeError as exc:
            if stripped[:1] == "{" and "\n" in stripped.strip():
                return _read_json(path, text, "jsonl", records_key)
            raise IngestError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
        if isinstance(doc, dict):
            doc = _records_of(path, doc, records_key)
        if not isinstance(doc, list):
            raise IngestError(f"{path}: expected a JSON array of records")
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
    return RawTable(_to_frame(header, rows), [n for n, _ in items], rejects, blank, position=position)


def _records_of(path: Path, doc: dict, key: str | None) -> list:
    if key:
        node = doc
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
    rows = [[_cell_text(v) for v in row] for row in df.itertuples(index=False, name=None)]
    return RawTable(_to_frame(header, rows), list(range(1, len(df) + 1)), position="record")


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
    table = _to_frame(header, [[r.get(c) for c in header] for r in rows])
    return RawTable(table, lines, rejects, [], encoding="utf-8", position="line")
