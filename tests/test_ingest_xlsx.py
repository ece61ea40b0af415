"""Workbooks: every contact sheet read, the others listed, uncalculated formulas named."""

from __future__ import annotations

from pathlib import Path

from flowkit.ingest import ingest, load_mapping

HOSTILE = Path(__file__).parent / "data" / "hostile"


def test_every_contact_sheet_is_read_and_the_others_are_listed():
    r = ingest(HOSTILE / "ingest_xlsx_several_sheets" / "input.xlsx")
    assert [Path(f.path).name for f in r.files] == ["input.xlsx[Calls]", "input.xlsx[Emails]"]
    assert r.reconciles and r.kept == 5
    assert any("sheets not read" in w and "Notes" in w for w in r.files[0].warnings)
    by_sheet = r.contacts.groupby("source_file")["source_line"].apply(list).to_dict()
    assert by_sheet == {"input.xlsx[Calls]": [2, 3, 4], "input.xlsx[Emails]": [2, 3]}


def test_sheet_in_the_mapping_reads_only_that_sheet():
    folder = HOSTILE / "ingest_xlsx_sheet_in_mapping"
    r = ingest(folder / "input.xlsx", load_mapping(folder / "mapping.yaml"))
    assert r.contacts["contact_id"].tolist() == ["E1", "E2"]
    assert not any("sheets not read" in w for f in r.files for w in f.warnings)


def test_formulas_without_cached_values_are_named_cell_by_cell():
    r = ingest(HOSTILE / "ingest_xlsx_formulas_no_cache" / "input.xlsx")
    warning = next(w for w in r.files[0].warnings if "formula" in w)
    assert "Calls!D2" in warning and "Calls!B3" in warning and "2 formula cells" in warning
    assert r.quarantine["source_line"].tolist() == [3]  # its date was a formula: no time, so no contact
    assert r.contacts["wait_s"].isna().tolist() == [True, False]


def test_serial_numbers_in_a_workbook_are_dates():
    r = ingest(HOSTILE / "ingest_xlsx_serial_numbers" / "input.xlsx")
    assert r.contacts["received_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2026-01-05 10:30", "2026-01-05 12:00"]
