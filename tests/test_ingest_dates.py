"""Dates: Excel serials against Excel's own calendar, and day/month order never guessed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowkit.errors import MappingError
from flowkit.ingest import ingest, load_mapping
from flowkit.ingest.dates import excel_serials, parse_datetime
from flowkit.schema import STRING

HOSTILE = Path(__file__).parent / "data" / "hostile"


def text(values) -> pd.Series:
    return pd.Series(values, dtype=STRING)


def test_excel_serials_follow_excels_1900_calendar_including_its_phantom_leap_day():
    # Excel's documented values: 1 = 1900-01-01, 59 = 1900-02-28, 60 = "1900-02-29", 61 = 1900-03-01,
    # 25569 = 1970-01-01 (the Unix epoch), 46027.4375 = 2026-01-05 10:30 (a column of mostly current dates:
    # the typical value must be a plausible date for the column to count as serials at all)
    got = excel_serials(
        text(["1", "59", "60", "61", "25569", "46027.4375", "46027", "46028", "46029", "46030", "46031"])
    )
    assert got is not None
    expected = [
        "1900-01-01",
        "1900-02-28",
        None,
        "1900-03-01",
        "1970-01-01",
        "2026-01-05 10:30",
        "2026-01-05",
        "2026-01-06",
        "2026-01-07",
        "2026-01-08",
        "2026-01-09",
    ]
    shown = got.dt.strftime("%Y-%m-%d %H:%M").str.replace(" 00:00", "")
    assert shown.where(got.notna(), None).tolist() == expected


@pytest.mark.parametrize(
    "values",
    [["1001", "1002", "1003"], ["20260105", "20260106"], ["1767600000", "1767603600"], ["46027", "x"]],
    ids=["ids", "yyyymmdd", "unix-seconds", "not-all-numbers"],
)
def test_numbers_that_are_not_excel_dates_are_left_alone(values):
    assert excel_serials(text(values)) is None


def test_serial_dates_in_a_log_and_the_phantom_day_quarantined():
    r = ingest(HOSTILE / "ingest_excel_serial_dates" / "input.csv")
    assert r.contacts["received_at"].tolist() == [
        pd.Timestamp("2026-01-05 10:30"),
        pd.Timestamp("2026-01-05 12:00"),
        pd.Timestamp("2026-01-06"),
    ]
    assert r.quarantine["source_line"].tolist() == [5] and r.quarantine["value"].tolist() == ["60"]


def test_one_late_day_above_twelve_decides_the_whole_column():
    days = [f"{d:02d}/{m:02d}/2026" for d in range(1, 13) for m in range(1, 13) if d != m] * 40
    late = [*days, "13/01/2026", "02/03/2026"]
    p = parse_datetime(text(late))
    assert not p.ambiguous and not p.bad.any()
    assert p.values.iloc[-1] == pd.Timestamp("2026-03-02")  # day first: 2 March, not 3 February
    month_first = [*days, "01/13/2026", "02/03/2026"]
    assert parse_datetime(text(month_first)).values.iloc[-1] == pd.Timestamp("2026-02-03")


def test_a_column_with_both_orders_quarantines_the_minority_rather_than_swapping_it():
    p = parse_datetime(text(["13/01/2026", "14/01/2026", "25/12/2026", "01/13/2026"]))
    assert p.bad.tolist() == [False, False, False, True]
    assert p.values.iloc[2] == pd.Timestamp("2026-12-25")


def test_an_undecidable_column_asks_for_dayfirst_and_the_mapping_settles_it():
    case = HOSTILE / "ingest_dayfirst_undecidable" / "input.csv"
    with pytest.raises(MappingError, match=r"column 'date'.*dayfirst: true"):
        ingest(case)
    settled = HOSTILE / "ingest_dayfirst_from_mapping"
    r = ingest(settled / "input.csv", load_mapping(settled / "mapping.yaml"))
    assert r.contacts["received_at"].dt.month.tolist() == [4, 6, 2]  # 03/04 is 3 April


def test_iso_dates_and_same_day_month_are_not_ambiguous():
    assert not parse_datetime(text(["2026-01-05 10:00", "2026-02-03 11:00"])).ambiguous
    p = parse_datetime(text(["01/01/2026", "02/02/2026"]))  # either order gives the same day
    assert not p.ambiguous and p.values.dt.day.tolist() == [1, 2]
