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
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from flowkit.errors import IngestError
from flowkit.ingest.encoding import BadLine
from flowkit.ingest.raw import RawTable, Reject, check_header, to_frame, unique_header

__all__ = ["RecordReader", "check_delimiter", "read_delimited", "sniff_delimiter"]

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


def _records(lines: list[str], start: int, delim: str) -> Iterator[tuple[int, int, list[str] | None, str | None]]:
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
    reader = RecordReader(path, delimiter or sniff_delimiter(text), pad_short_rows)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line, it does not start another
    reader.set_aside(bad)
    reader.feed(lines, 0, final=True)
    return reader.finish(bool(text.strip()))


def check_delimiter(path: Path, delimiter: str | None) -> None:
    """A delimiter the csv module can use: one character."""
    if delimiter is not None and len(delimiter) != 1:
        raise IngestError(
            f"{path}: the delimiter {delimiter!r} is not one character; set 'delimiter:' in the mapping to a single "
            "character (for a file separated by ';;' use ';' — the empty columns in between are ignored)"
        )


class RecordReader:
    """Records from lines fed a block at a time; a record still open at a block's end waits for the next.

    Lines come with the number of lines before them, so every record keeps its first line
    however the file was cut. Blocks of rows the caller parsed itself (a fast path that
    proved one record per line) are added with :meth:`add_frame` in their place.
    """

    def __init__(self, path: Path, delim: str, pad_short_rows: bool) -> None:
        check_delimiter(path, delim)
        self.path, self.delim, self.pad = path, delim, pad_short_rows
        self.header: list[str] | None = None
        self.rows: list[list[str]] = []
        self.blocks: list[pd.DataFrame] = []  # rows become pyarrow columns a block at a time
        self.starts = array("q")
        self.rejects: list[Reject] = []
        self.blank: list[int] = []
        self.account: Counter[str] = Counter()  # physical lines by what they were
        self.lines_seen = 0
        self._aside: dict[int, BadLine] = {}

    def set_aside(self, bad: list[BadLine]) -> None:
        """Lines decoding set aside (undecodable, NUL bytes): rejects already, not records."""
        self.rejects.extend(Reject(b.line, b.reason, b.raw) for b in bad)
        self._aside.update((b.line, b) for b in bad)

    def add_frame(self, frame: pd.DataFrame, first_line: int) -> None:
        """Rows parsed elsewhere, one per physical line from ``first_line`` on."""
        self._flush()
        self.blocks.append(frame)
        self.starts.frombytes(np.arange(first_line, first_line + len(frame), dtype=np.int64).tobytes())
        self.account["records"] += len(frame)
        self.lines_seen = max(self.lines_seen, first_line + len(frame) - 1)

    def feed(self, lines: list[str], base: int, final: bool) -> list[str]:
        """Read the records of ``lines`` (line ``base + 1`` on); returns the lines of a record left open."""
        if lines:
            self.lines_seen = max(self.lines_seen, base + len(lines))
        position = 0
        while position < len(lines):
            restart = None
            for first, last, cells, error in _records(lines, position, self.delim):
                span = last - first + 1
                if base + first in self._aside:
                    self.account["set aside"] += span
                    continue
                if error is not None or cells is None:
                    self.rejects.append(
                        Reject(base + first, error or "unreadable CSV record", _raw(lines, first, last))
                    )
                    self.account["quarantined"] += span
                    continue
                if last == len(lines) and _unterminated([ln + "\n" for ln in lines[first - 1 : last]], self.delim):
                    if not final:  # the next block may close it
                        return lines[first - 1 :]
                    # a quote opened on `first` ran to the end of the file: quarantine that line, read on after it
                    self.rejects.append(
                        Reject(
                            base + first,
                            f"unterminated quote: the quote opened on line {base + first} never closes (it "
                            f"swallowed lines {base + first}-{base + last}); this line is quarantined and the "
                            "lines after it read again",
                            lines[first - 1][:500],
                        )
                    )
                    self.account["quarantined"] += 1
                    restart = first
                    break
                self._record(base, first, last, cells, lines)
            if restart is None:
                break
            position = restart  # lines[restart:] is the line after the one that opened the quote
        return []

    def _record(self, base: int, first: int, last: int, cells: list[str], lines: list[str]) -> None:
        span = last - first + 1
        if not cells or not "".join(cells).strip():
            if self.header is not None:
                self.blank.append(base + first)
            self.account["blank" if self.header is not None else "before header"] += span
            return
        if self.header is None:
            names = unique_header(cells)
            check_header(self.path, names)
            self.header = names
            self.account["header"] += span
            return
        n = len(self.header)
        if len(cells) != n:
            if len(cells) > n and not any(c.strip() for c in cells[n:]):
                cells = cells[:n]
            elif len(cells) < n and self.pad:
                cells = cells + [""] * (n - len(cells))
            else:
                where = f"line {base + first}" if first == last else f"lines {base + first}-{base + last}"
                self.rejects.append(
                    Reject(
                        base + first,
                        f"ragged line: {len(cells)} fields, the header has {n} ({where})",
                        _raw(lines, first, last),
                    )
                )
                self.account["quarantined"] += span
                return
        self.rows.append(cells)
        self.starts.append(base + first)
        self.account["records"] += span
        if len(self.rows) == _BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self.rows and self.header is not None:
            self.blocks.append(to_frame(self.header, self.rows))
            self.rows = []

    def finish(self, has_text: bool) -> RawTable:
        """The table of every record fed; raises when the file had no header."""
        if self.header is None:
            if not has_text:
                raise IngestError(f"{self.path}: the file is empty (no header, no records); export it again")
            raise IngestError(f"{self.path}: no header row found (every line was blank or could not be read)")
        self._flush()
        blocks = self.blocks or [to_frame(self.header, [])]
        frame = blocks[0] if len(blocks) == 1 else pd.concat(blocks, ignore_index=True)
        # columns with no name and no value anywhere (a ';;'-separated export) are not columns
        frame = frame.drop(columns=[c for c in frame.columns if c.startswith("column_") and frame[c].isna().all()])
        self.rejects.sort(key=lambda r: r.line)
        total = self.lines_seen
        table = RawTable(frame, self.starts, self.rejects, self.blank, delimiter=self.delim, physical_lines=total)
        table.line_account = dict(self.account)
        if sum(self.account.values()) != total:  # a parser surprise: say so rather than claim a reconciliation
            table.warnings.append(
                f"the file has {total:,} lines but {sum(self.account.values()):,} were accounted for "
                f"({dict(self.account)}); please report this file"
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
