"""The ledger counts the file's own records: quoted newlines, unterminated quotes, undecodable lines.

The inputs are the hostile corpus's files (tests/data/hostile/ingest_*), so each expectation
here is about the same bytes the corpus runner reconciles; these tests pin *where* each
record went (its line), which the runner's totals cannot see.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from flowkit.errors import IngestError
from flowkit.ingest import ingest, load_mapping
from flowkit.ingest.encoding import decode_lines, detect_encoding

HOSTILE = Path(__file__).parent / "data" / "hostile"
PL = [
    "Zgłoszenie reklamacji żółć gęślą jaźń",
    "Gdzie jest moja przesyłka w Łodzi",
    "Proszę o zwrot pieniędzy z Krakowa",
]
RU = ["Где мой заказ? Жду уже неделю", "Прошу вернуть деньги за товар", "Не работает личный кабинет помогите"]


def case(name: str) -> Path:
    folder = HOSTILE / f"ingest_{name}"
    return next(p for p in folder.iterdir() if p.name not in ("case.yaml", "mapping.yaml"))


def test_unterminated_quote_quarantines_its_line_and_reads_on():
    r = ingest(case("unterminated_quote_mid_file"))
    q = r.quarantine
    assert q["source_line"].tolist() == [5] and q["reason"].tolist() == ["unterminated quote"]
    assert "swallowed lines 5-8" in q["detail"].iloc[0]
    assert r.contacts["source_line"].tolist() == [2, 3, 4, 6, 7, 8]
    assert r.files[0].lines == {"header": 1, "records": 6, "quarantined": 1}


def test_quoted_newlines_are_one_record_each_and_every_line_is_accounted():
    r = ingest(case("quoted_newlines"))
    assert r.contacts["source_line"].tolist() == [2, 5, 6]
    assert r.contacts["text"].iloc[0] == "first line\nsecond line\nthird line"
    assert r.files[0].lines == {"header": 1, "records": 6}  # 3 records on 6 lines + the header = 7 lines


TEXT_CASES = sorted(
    p.parent.name[len("ingest_") :]
    for p in HOSTILE.glob("ingest_*/*.csv*")
    if (p.parent / "case.yaml").read_text(encoding="utf-8").count("expect: ok")
)


@pytest.mark.parametrize("name", TEXT_CASES)
def test_physical_lines_of_every_readable_text_case_add_up(name):
    path = case(name)
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    text = decode_lines(data, None, path.name).text
    physical = len(text.split("\n")) - (1 if text.endswith("\n") else 0)
    mapping = path.parent / "mapping.yaml"
    r = ingest(path, load_mapping(mapping) if mapping.is_file() else None)
    f = r.files[0]
    assert sum(f.lines.values()) == physical, f.lines
    assert f.lines.get("records", 0) + f.lines.get("quarantined", 0) + f.lines.get("set aside", 0) >= f.read


def test_lines_that_do_not_decode_are_quarantined_by_number_not_garbled():
    r = ingest(case("mixed_utf8_cp1250"))
    assert r.files[0].encoding == "utf-8"
    q = r.quarantine
    assert q["source_line"].tolist() == [4] and q["reason"].iloc[0] == "undecodable line"
    assert r.contacts["text"].tolist() == [PL[0], PL[1], "Dziękuję"]


def test_nul_bytes_quarantine_their_line():
    r = ingest(case("nul_bytes"))
    assert r.quarantine["source_line"].tolist() == [3] and r.quarantine["reason"].iloc[0] == "NUL byte in line"


@pytest.mark.parametrize(
    "name,encoding,texts",
    [
        ("utf16le_bom", "utf-16", PL),
        ("utf16be_bom", "utf-16", RU),
        ("utf16le_no_bom", "utf-16-le", PL),
        ("utf16be_no_bom", "utf-16-be", RU),
        ("cp1250_polish", "cp1250", PL),
        ("cp1251_russian", "cp1251", RU),
        ("koi8r_russian", "koi8-r", RU),
    ],
)
def test_encodings_are_detected_and_the_text_comes_back_exactly(name, encoding, texts):
    data = case(name).read_bytes()
    assert detect_encoding(data) == encoding
    r = ingest(case(name))
    assert r.contacts["text"].tolist() == texts


def test_binary_bytes_are_refused_as_not_text():
    with pytest.raises(IngestError, match="does not look like a text export"):
        decode_lines(case("binary_garbage").read_bytes(), None, "input.csv")


def test_provenance_columns_survive_a_colon_and_a_hash_in_the_file_name():
    for name, label in (("colon_in_filename", "calls:2026-01.csv"), ("hash_in_filename", "calls#12.csv")):
        r = ingest(case(name))
        assert set(r.contacts["source_file"]) == {label}
        assert r.contacts["source_line"].tolist() == [2, 3, 4, 5]
        assert r.contacts["contact_id"].tolist() == ["1", "2", "3", "3#2"]  # same id, other content: renamed
        assert r.files[0].renamed_ids == 1


def test_double_semicolon_file_reads_its_columns_without_the_empty_ones():
    r = ingest(case("delimiter_double_semicolon_sniffed"))
    assert r.contacts["customer_id"].tolist() == ["C1", "C2"]
    assert r.contacts["channel"].astype(str).tolist() == ["phone", "email"]
