"""Delimited text read a block at a time, so memory follows the block, not the file.

The file is cut into blocks at line ends. Each block is decoded on its own (a line that
does not decode is set aside with its number, as for a whole file) and its records are read
by the careful reader of :mod:`flowkit.ingest.delimited`, which carries a record still open
at a block's end into the next block. A block whose bytes prove that every line is one
plain record (no quoted line breaks, every quote a whole quoted cell, no stray carriage
returns, no NUL, valid text) is parsed by pyarrow's CSV reader instead: the cells are the
same, only found in C. Whether pyarrow may be used is decided block by block; the table is
the same either way, which ``tests/test_ingest_stream.py`` checks on dirty files.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from flowkit.errors import IngestError
from flowkit.ingest.delimited import RecordReader, check_delimiter, sniff_delimiter
from flowkit.ingest.encoding import BadLine, by_line, check_encoding, detect_encoding, nul_lines, refuse_binary
from flowkit.ingest.raw import RawTable
from flowkit.schema import STRING

__all__ = ["BLOCK_BYTES", "FAST_PATH", "detection_sample", "read_delimited_file", "stream_encoding"]

BLOCK_BYTES = 16 << 20  # bytes per block: a few times this is the reader's working memory
FAST_PATH = True  # pyarrow for blocks that prove safe; False reads every block with the csv module
_WHOLE_SAMPLE = 32 << 20  # files up to this size are detected on all their bytes
_SPREAD_BLOCKS, _SPREAD_BYTES = 32, 64 << 10  # larger files: the head and blocks spread over the rest


def detection_sample(path: Path) -> bytes:
    """Bytes to detect the encoding from: all of a small file, else its head and spread slices."""
    size = path.stat().st_size
    if path.suffix.lower() == ".gz":
        try:
            with gzip.open(path, "rb") as fh:
                return fh.read(_WHOLE_SAMPLE)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise _not_gzip(path, exc) from exc
    with path.open("rb") as fh:
        if size <= _WHOLE_SAMPLE:
            return fh.read()
        parts = [fh.read(1 << 20)]
        for offset in np.linspace(1 << 20, size - _SPREAD_BYTES, _SPREAD_BLOCKS).astype(int):
            fh.seek(int(offset))
            piece = fh.read(_SPREAD_BYTES)
            start, end = piece.find(b"\n") + 1, piece.rfind(b"\n") + 1  # whole lines only
            if 0 < start < end:
                parts.append(piece[start:end])
    head = parts[0]
    parts[0] = head[: head.rfind(b"\n") + 1] or head
    return b"".join(parts)


def _blocks(fh: BinaryIO, size: int) -> Iterator[bytes]:
    """The file's bytes in blocks that end at a line end (the last block ends where the file does)."""
    rest = b""
    while True:
        data = fh.read(size)
        if not data:
            if rest:
                yield rest
            return
        data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            rest = data
            continue
        rest = data[cut:]
        yield data[:cut]


def stream_encoding(path: Path, encoding: str | None) -> str:
    """The mapping's encoding (checked), else the one detected on :func:`detection_sample`."""
    return check_encoding(encoding, str(path)) if encoding else detect_encoding(detection_sample(path))


def read_delimited_file(path: Path, enc: str, delimiter: str | None, pad_short_rows: bool) -> RawTable:
    """A CSV/TSV file (``.gz`` too) in encoding ``enc`` into raw cells, a block at a time (not UTF-16)."""
    check_delimiter(path, delimiter)
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    reader: RecordReader | None = None
    lines_before, has_text = 0, False
    carry: list[str] = []  # the lines of a record still open at the end of the last block
    try:
        with opener(path, "rb") as fh:
            for data in _blocks(fh, BLOCK_BYTES):  # type: ignore[arg-type]
                block = data
                has_text = has_text or bool(data.strip())
                if reader is None:  # the first block: decoded whole (binary check), read to its header line
                    text, bad = _decode(data, enc, 0, True, str(path))
                    reader = RecordReader(path, delimiter or sniff_delimiter(text), pad_short_rows)
                    reader.set_aside(bad)
                    lines = _lines(text)
                    k = 0
                    while k < len(lines) and (reader.header is None or carry):
                        carry = reader.feed([*carry, lines[k]], k - len(carry), final=False)
                        k += 1
                    lines_before = k
                    rest = _after_lines(data, k) if not bad and k < len(lines) else None
                    if rest is None:
                        carry = reader.feed(carry + lines[k:], k - len(carry), final=False)
                        lines_before = len(lines)
                        continue
                    block = rest
                if FAST_PATH and reader.header is not None and not carry and _plain(block, reader.delim, enc):
                    frame = _fast(block, reader, enc)
                    if frame is not None:
                        reader.add_frame(frame, lines_before + 1)
                        lines_before += len(frame)  # one record per line: _fast checked
                        continue
                text, bad = _decode(block, enc, lines_before, False, str(path))
                lines = _lines(text)
                reader.set_aside(bad)
                base = lines_before - len(carry)
                lines_before += len(lines)
                carry = reader.feed(carry + lines, base, final=False)
            if reader is not None and carry:
                reader.feed(carry, lines_before - len(carry), final=True)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise _not_gzip(path, exc) from exc
    if reader is None:
        raise IngestError(f"{path}: the file is empty (no header, no records); export it again")
    table = reader.finish(has_text)
    table.encoding = enc
    pa.default_memory_pool().release_unused()  # pyarrow's parse buffers, freed, go back to the system
    return table


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final newline ends the last line, it does not start another
    return lines


def _after_lines(data: bytes, k: int) -> bytes | None:
    """The bytes after the first ``k`` lines (None when nothing is left)."""
    cut = 0
    for _ in range(k):
        cut = data.index(b"\n", cut) + 1
    return data[cut:] or None


def _not_gzip(path: Path, exc: Exception) -> IngestError:
    return IngestError(
        f"{path}: the file is named .gz but is not a complete gzip file ({exc}); "
        "decompress it yourself, or rename it without .gz if it is plain text"
    )


def _decode(block: bytes, enc: str, lines_before: int, first: bool, name: str) -> tuple[str, list[BadLine]]:
    """One block's text; lines that do not decode or hold NUL bytes are emptied and returned."""
    try:
        text = block.decode(enc)
        bad: list[BadLine] = []
    except UnicodeDecodeError:
        text, bad = by_line(block, enc, lines_before)
    if first:
        text = text.lstrip("\ufeff")
        refuse_binary(text, name)
    if "\x00" in text:
        text, nul = nul_lines(text, lines_before)
        bad = sorted(bad + nul, key=lambda b: b.line)
    return text, bad


_QUOTE, _CR, _LF = 34, 13, 10


def _plain(block: bytes, delim: str, enc: str) -> bool:
    """Every line of ``block`` is one record that pyarrow and the csv module read alike.

    No NUL, no carriage return but before a line feed, and every quote is one end of a
    quoted cell: the opening one at a cell's start, the closing one at its end, nothing
    (no line break, no doubled quote) in between. Anything else is the careful reader's.
    """
    if len(delim) != 1 or not delim.isascii() or enc.startswith("utf-16") or b"\x00" in block:
        return False
    if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
        return False
    if b'"' not in block:
        return True
    arr = np.frombuffer(block, dtype=np.uint8)
    quotes = np.flatnonzero(arr == _QUOTE)
    if quotes.size % 2:
        return False
    opens, closes = quotes[0::2], quotes[1::2]
    sep = ord(delim)
    before = arr[np.maximum(opens - 1, 0)]
    if not np.all((opens == 0) | (before == sep) | (before == _LF)):
        return False
    after = arr[np.minimum(closes + 1, arr.size - 1)]
    if not np.all((closes == arr.size - 1) | (after == sep) | (after == _CR) | (after == _LF)):
        return False
    breaks = np.flatnonzero(arr == _LF)
    return bool(np.array_equal(np.searchsorted(breaks, opens), np.searchsorted(breaks, closes)))


def _fast(block: bytes, reader: RecordReader, enc: str) -> pd.DataFrame | None:
    """The block's rows through pyarrow, or None when they are not one plain record per line."""
    header = reader.header
    assert header is not None
    lines = block.count(b"\n") + (not block.endswith(b"\n"))
    if enc not in ("utf-8", "utf-8-sig", "ascii"):
        try:
            block = block.decode(enc).encode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(block),
            read_options=pacsv.ReadOptions(column_names=header, block_size=4 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter=reader.delim, double_quote=True, newlines_in_values=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):  # a ragged line, bytes that are not UTF-8: careful path
        return None
    if table.num_rows != lines:
        return None
    empty = pa.scalar(None, pa.large_string())
    columns = {}
    nonempty = None
    for name in header:
        col = pc.utf8_trim_whitespace(table.column(name))
        col = pc.if_else(pc.equal(col, pa.scalar("", pa.large_string())), empty, col)
        present = pc.is_valid(col)
        nonempty = present if nonempty is None else pc.or_(nonempty, present)
        columns[name] = pd.Series(pd.arrays.ArrowStringArray(col), dtype=STRING, copy=False)
    if nonempty is not None and not pc.all(nonempty).as_py():
        return None  # a line of empty cells is blank, which the careful reader counts
    return pd.DataFrame(columns, columns=header)
