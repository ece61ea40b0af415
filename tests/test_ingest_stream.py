"""Streaming ingest reads the same table as reading the file whole, whichever path a block takes.

Three readings of each file are compared: the whole-file reference (the careful csv-module
reader over the file's decoded text), the streaming reader with pyarrow allowed on blocks
that prove plain, and the streaming reader forced onto the careful path, both with tiny
blocks so that quoted line breaks, unterminated quotes and undecodable lines fall on block
boundaries. Frames, line numbers, rejects, blank lines and the line account must be equal,
and so must the ingest results (contacts, quarantine, repairs, ledger).
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from flowkit.errors import FlowkitError
from flowkit.ingest import build, ingest, stream
from flowkit.ingest.delimited import read_delimited
from flowkit.ingest.encoding import decode_lines
from flowkit.ingest.raw import RawTable
from flowkit.ingest.readers import read_raw

HOSTILE = Path(__file__).parent / "data" / "hostile"
DELIMITED = sorted(
    p
    for p in HOSTILE.glob("ingest_*/*")
    if p.suffix in (".csv", ".tsv", ".txt")
    and "utf16" not in p.parent.name
    and "binary" not in p.parent.name
    and p.read_bytes().strip()  # an empty file has no blocks to compare: the corpus runner checks its clean error
)


def _reference(path: Path, encoding: str | None = None) -> RawTable:
    """The whole file decoded at once and read by the careful reader: what streaming must equal."""
    decoded = decode_lines(path.read_bytes(), encoding, str(path))
    table = read_delimited(path, decoded.text, "\t" if path.suffix == ".tsv" else None, False, decoded.bad)
    table.encoding = decoded.encoding
    return table


def _same(a: RawTable, b: RawTable) -> None:
    pd.testing.assert_frame_equal(a.frame.reset_index(drop=True), b.frame.reset_index(drop=True))
    assert list(a.lines) == list(b.lines)
    assert [(r.line, r.reason, r.raw) for r in a.rejects] == [(r.line, r.reason, r.raw) for r in b.rejects]
    assert a.blank_lines == b.blank_lines
    assert a.line_account == b.line_account
    assert (a.physical_lines, a.encoding, a.delimiter, a.warnings) == (
        b.physical_lines,
        b.encoding,
        b.delimiter,
        b.warnings,
    )


def _streamed(path: Path, monkeypatch, fast: bool, block: int, **options) -> RawTable:
    monkeypatch.setattr(stream, "FAST_PATH", fast)
    monkeypatch.setattr(stream, "BLOCK_BYTES", block)
    return read_raw(path, **options)


def _encoding_of(path: Path) -> str | None:
    mapping = path.parent / "mapping.yaml"
    if mapping.is_file() and "encoding:" in mapping.read_text(encoding="utf-8"):
        return next(
            ln.split(":", 1)[1].strip().strip("'\"")
            for ln in mapping.read_text(encoding="utf-8").splitlines()
            if ln.startswith("encoding:")
        )
    return None


@pytest.mark.parametrize("path", DELIMITED, ids=[p.parent.name for p in DELIMITED])
@pytest.mark.parametrize("block", [16, 1 << 20])
def test_hostile_files_read_alike_on_both_paths(path: Path, block: int, monkeypatch) -> None:
    block = max(block, path.stat().st_size // 40)  # a few dozen blocks at most: pyarrow has a cost per call
    enc = _encoding_of(path)
    try:
        reference = _reference(path, enc)
    except FlowkitError as exc:  # the same clean error, however the file is read
        for fast in (True, False):
            with pytest.raises(type(exc)) as raised:
                _streamed(path, monkeypatch, fast, block, encoding=enc)
            assert str(raised.value) == str(exc)
        return
    fast = _streamed(path, monkeypatch, True, block, encoding=enc)
    careful = _streamed(path, monkeypatch, False, block, encoding=enc)
    _same(fast, reference)
    _same(careful, reference)


_PLAIN = [
    "where is my order",
    "quoted, with a comma",
    "Zgłoszenie reklamacji: przesyłka",
    "Где мой заказ?",
    "  padded  ",
]
_HOSTILE = ['said "hello" twice', "line one\nline two", "two\n\nbreaks, and a comma"]


def _dirty_log(path: Path, n: int = 600, seed: int = 3) -> None:
    """A contact log with every kind of dirt, some of it late in the file; bytes in UTF-8 but one cp1250 line."""
    rng = random.Random(seed)
    n = n * 2 if seed % 2 == 0 else n
    out = [b"id,date,channel,customer,text,wait\r\n" if seed % 2 else b"id,date,channel,customer,text,wait\n"]
    for i in range(n):
        text = rng.choice(_HOSTILE if rng.random() < 0.04 else _PLAIN)
        day = rng.randint(1, 28)
        cells = [
            f"C{i}",
            f"2026-02-{day:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
            rng.choice(["phone", "email", "chat", ""]),
            f"K{rng.randint(1, 50)}",
            '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text,
            rng.choice([str(rng.randint(0, 900))] * 20 + ["abc", "-5", "1:75"]),
        ]
        line = ",".join(cells)
        roll = rng.random()
        if roll < 0.01:
            line = ""  # blank line
        elif roll < 0.02:
            line = line + ",extra"  # ragged
        elif roll < 0.025:
            line = line + ",  "  # an empty extra cell: cut, not ragged
        elif roll < 0.03:
            line = ",,,,,"  # a line of empty cells
        elif roll < 0.04:
            line = line.replace("2026", "31/02/2026")  # an unparseable date
        data = line.encode("utf-8")
        if i == n - 50:
            data = "C-late,2026-02-03 10:00,phone,K1,Zażółć gęślą,5".encode("cp1250")  # undecodable late line
        if i == n - 40:
            data = b"C-nul,2026-02-03 10:00,phone,K1,bin\x00ary,5"
        out.append(data + (b"\r\n" if seed % 2 else b"\n"))
    out.append(b'C-open,2026-02-04 09:00,chat,K9,"never closed,5\n')
    out.append(b"C-after,2026-02-04 09:05,chat,K9,read again,5\n")
    path.write_bytes(b"".join(out))


@pytest.mark.parametrize("seed", [3, 4])
@pytest.mark.parametrize("block", [128, 1 << 20])
def test_dirty_generated_log_reads_alike(tmp_path: Path, seed: int, block: int, monkeypatch) -> None:
    path = tmp_path / "dirty.csv"
    _dirty_log(path, seed=seed)
    used: list[int] = []
    real_fast = stream._fast

    def spy(data: bytes, reader, enc: str):
        frame = real_fast(data, reader, enc)
        used.append(0 if frame is None else len(frame))
        return frame

    monkeypatch.setattr(stream, "_fast", spy)
    reference = _reference(path)
    fast = _streamed(path, monkeypatch, True, block)
    _same(fast, reference)
    if block < 1 << 20:  # a whole-file block holds dirt somewhere, so it is read carefully
        assert sum(used) > 0, "no block took the pyarrow path: the test would not compare the two paths"
    if block == 128:
        assert 0 in used, "no block fell back to the careful path"
    careful = _streamed(path, monkeypatch, False, block)
    _same(careful, reference)
    reasons = {r.reason.split(":")[0] for r in reference.rejects}
    assert {"unterminated quote", "undecodable line", "NUL byte in line", "ragged line"} <= reasons

    monkeypatch.setattr(stream, "FAST_PATH", True)
    a = ingest(path)
    monkeypatch.setattr(stream, "FAST_PATH", False)
    b = ingest(path)
    pd.testing.assert_frame_equal(a.contacts, b.contacts)
    pd.testing.assert_frame_equal(a.quarantine, b.quarantine)
    pd.testing.assert_frame_equal(a.repairs, b.repairs)
    assert [vars(f) for f in a.files] == [vars(f) for f in b.files]
    assert a.reconciles and b.reconciles
    assert len(a.repairs) > 0 and len(a.quarantine) > 0

    monkeypatch.setattr(build, "SLICE_ROWS", 97)  # the same result from slices of rows as from whole columns
    c = ingest(path)
    pd.testing.assert_frame_equal(a.contacts, c.contacts)
    pd.testing.assert_frame_equal(a.quarantine, c.quarantine)
    pd.testing.assert_frame_equal(a.repairs, c.repairs)
    assert [vars(f) for f in a.files] == [vars(f) for f in c.files]


def test_late_undecodable_line_in_a_large_file_is_quarantined_by_number(tmp_path: Path, monkeypatch) -> None:
    """Beyond the detection sample the encoding is not re-guessed: a foreign line is set aside by its number."""
    monkeypatch.setattr(stream, "_WHOLE_SAMPLE", 4096)
    monkeypatch.setattr(stream, "BLOCK_BYTES", 2048)
    rows = [f"C{i},2026-03-{1 + i % 28:02d} 10:00,phone,K{i % 7},Zgłoszenie {i},{i % 90}" for i in range(3000)]
    late = 2900
    body = "\n".join(rows[:late]).encode("utf-8") + b"\n"
    body += "C-late,2026-03-02 10:00,phone,K1,Zażółć gęślą,5\n".encode("cp1250")
    body += "\n".join(rows[late:]).encode("utf-8") + b"\n"
    path = tmp_path / "big.csv"
    path.write_bytes(b"id,date,channel,customer,text,wait\n" + body)
    r = ingest(path)
    assert r.files[0].encoding == "utf-8"
    undecodable = r.quarantine[r.quarantine["reason"] == "undecodable line"]
    assert undecodable["source_line"].tolist() == [late + 2]
    assert r.kept == 3000 and r.reconciles
    assert r.contacts["source_line"].iloc[-1] == 3002


def test_parquet_written_in_row_groups_is_the_file_to_parquet_writes(tmp_path: Path, monkeypatch) -> None:
    from flowkit import safewrite

    path = tmp_path / "dirty.csv"
    _dirty_log(path, seed=3)
    contacts = ingest(path).contacts
    contacts.attrs["utc_offsets"] = {"+01:00": 3}
    monkeypatch.setattr(safewrite, "PARQUET_ROWS", 50)
    safewrite.write_parquet(contacts, tmp_path / "groups.parquet")
    contacts.to_parquet(tmp_path / "whole.parquet", index=False)
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "groups.parquet").num_row_groups > 1
    assert pq.read_schema(tmp_path / "groups.parquet").equals(pq.read_schema(tmp_path / "whole.parquet"), True)
    a, b = pd.read_parquet(tmp_path / "groups.parquet"), pd.read_parquet(tmp_path / "whole.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs == {"utc_offsets": {"+01:00": 3}}
