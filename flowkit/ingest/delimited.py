"""Delimited text (CSV/TSV) into raw cells, counted by the file's own records.

A record is what the file says it is: one physical line, or several when a quoted cell holds
line breaks. Each record keeps the line it starts on, so ``read`` is the file's record count,
not the parser's row count, and every physical line is accounted for (header, record, blank,
or set aside). A quote that never closes would swallow the rest of the file: the line that
opened it is quarantined with the reason and reading starts again on the next line.
"""

from __future__ import annotations

import csv
import sys
from array import array
from collections import Counter
from itertools import islice
from pathlib import Path

import pandas as pd

from flowkit.errors import IngestError
from flowkit.ingest.encoding import BadLine
from flowkit.ingest.raw import RawTable, Reject, check_header, to_frame, unique_header

__all__ = ["read_delimited", "sniff_delimiter"]

_SNIFF_DELIMITERS = ",;\t|"
_BLOCK = 100_000  # rows per block turned into columns

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def sniff_delimiter(text: str) -> str:
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
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(lines: list[str], start: int, delim: str):
    """(first line, last line, cells) per record from ``lines[start:]``; line numbers are 1-based."""
    reader = csv.reader((ln + "\n" for ln in islice(lines, start, None)), delimiter=delim, strict=False)
    prev = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            first, prev = prev + 1, reader.line_num
            yield start + first, start + prev, None, f"unreadable CSV record: {exc}"
            continue
        first, prev = prev + 1, reader.line_num
        yield start + first, start + prev, cells, None


def read_delimited(path: Path, text: str, delimiter: str | None, pad_short_rows: bool, bad: list[BadLine]) -> RawTable:
    """Cells of every record, rejects with their lines, blank lines; ``bad`` lines were set aside by decoding."""
    if delimiter is not None and len(delimiter) != 1:
        raise IngestError(
            f"{path}: the delimiter {delimiter!r} is not one character; set 'delimiter:' in the mapping to a single "
            "character (for a file separated by ';;' use ';' — the empty columns in between are ignored)"
        )
    delim = delimiter or sniff_delimiter(text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line, it does not start another
    set_aside = {b.line: b for b in bad}
    header: list[str] | None = None
    rows: list[list[str]] = []
    blocks: list[pd.DataFrame] = []  # rows become pyarrow columns a block at a time: no million-list of lists
    starts = array("q")
    rejects: list[Reject] = [Reject(b.line, b.reason, b.raw) for b in bad]
    blank: list[int] = []
    account: Counter = Counter()  # physical lines by what they were: the check that nothing is unaccounted
    position = 0
    while position < len(lines):
        restart = None
        for first, last, cells, error in _records(lines, position, delim):
            span = last - first + 1
            if first in set_aside:
                account["set aside"] += span
                continue
            if error is not None:
                rejects.append(Reject(first, error, _raw(lines, first, last)))
                account["quarantined"] += span
                continue
            if last == len(lines) and _unterminated([ln + "\n" for ln in lines[first - 1 : last]], delim):
                # a quote opened on `first` ran to the end of the file: quarantine that line, read on after it
                rejects.append(
                    Reject(
                        first,
                        f"unterminated quote: the quote opened on line {first} never closes (it swallowed lines "
                        f"{first}-{last}); this line is quarantined and the lines after it read again",
                        lines[first - 1][:500],
                    )
                )
                account["quarantined"] += 1
                restart = first
                break
            if not cells or not "".join(cells).strip():
                if header is not None:
                    blank.append(first)
                account["blank" if header is not None else "before header"] += span
                continue
            if header is None:
                names = unique_header(cells)
                check_header(path, names)
                header = names
                account["header"] += span
                continue
            n = len(header)
            if len(cells) != n:
                if len(cells) > n and not any(c.strip() for c in cells[n:]):
                    cells = cells[:n]
                elif len(cells) < n and pad_short_rows:
                    cells = cells + [""] * (n - len(cells))
                else:
                    where = f"line {first}" if first == last else f"lines {first}-{last}"
                    rejects.append(
                        Reject(
                            first,
                            f"ragged line: {len(cells)} fields, the header has {n} ({where})",
                            _raw(lines, first, last),
                        )
                    )
                    account["quarantined"] += span
                    continue
            rows.append(cells)
            starts.append(first)
            account["records"] += span
            if len(rows) == _BLOCK:
                blocks.append(to_frame(header, rows))
                rows = []
        if restart is None:
            break
        position = restart  # lines[restart:] is the line after the one that opened the quote
    if header is None:
        if not text.strip():
            raise IngestError(f"{path}: the file is empty (no header, no records); export it again")
        raise IngestError(f"{path}: no header row found (every line was blank or could not be read)")
    blocks.append(to_frame(header, rows))
    frame = blocks[0] if len(blocks) == 1 else pd.concat(blocks, ignore_index=True)
    # columns with no name and no value anywhere (a ';;'-separated export) are not columns
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("column_") and frame[c].isna().all()])
    rejects.sort(key=lambda r: r.line)
    table = RawTable(frame, starts, rejects, blank, delimiter=delim, physical_lines=len(lines))
    table.line_account = account
    if sum(account.values()) != len(lines):  # a parser surprise: say so rather than claim a reconciliation
        table.warnings.append(
            f"the file has {len(lines):,} lines but {sum(account.values()):,} were accounted for "
            f"({dict(account)}); please report this file"
        )
    return table


def _unterminated(record_lines: list[str], delim: str) -> bool:
    """The record ends inside a quoted cell (the csv module only says so in strict mode)."""
    try:
        for _ in csv.reader(record_lines, delimiter=delim, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _raw(lines: list[str], first: int, last: int) -> str:
    return "\n".join(lines[first - 1 : last]).rstrip("\r\n")[:500]
