"""Parsing raw cells: dates in the shapes exports really use, durations, yes/no, channels."""

import pandas as pd
import pytest

from flowkit.ingest.values import normalise_channel, parse_bool, parse_datetime, parse_duration, utc_offsets


def s(*values):
    return pd.Series(list(values), dtype=object)


def test_us_twelve_hour_timestamps_from_nyc311():
    p = parse_datetime(s("03/01/2011 02:27:57 PM", "03/14/2011 12:05:00 AM", "12/31/2011 11:59:59 PM"))
    assert list(p.values) == [
        pd.Timestamp("2011-03-01 14:27:57"),
        pd.Timestamp("2011-03-14 00:05:00"),
        pd.Timestamp("2011-12-31 23:59:59"),
    ]
    assert not p.bad.any()


def test_day_first_is_settled_by_a_day_above_twelve_anywhere_in_the_column():
    values = ["03-04-2016 10:00"] * 5000 + ["29-02-2016 01:16"]  # the telling row is the last one
    p = parse_datetime(pd.Series(values, dtype=object))
    assert p.values.iloc[0] == pd.Timestamp("2016-04-03 10:00")
    assert p.values.iloc[-1] == pd.Timestamp("2016-02-29 01:16")


def test_month_first_is_settled_the_same_way():
    p = parse_datetime(s("03/04/2016 10:00", "12/25/2016 10:00"))
    assert p.values.iloc[0] == pd.Timestamp("2016-03-04 10:00")


def test_iso_with_offsets_is_stored_as_utc_across_dst_and_the_offsets_are_reported():
    raw = s("2026-10-24T10:00:00+02:00", "2026-10-26T10:00:00+01:00", "2026-10-26T10:30:00Z")
    p = parse_datetime(raw)
    assert list(p.values) == [
        pd.Timestamp("2026-10-24 08:00"),
        pd.Timestamp("2026-10-26 09:00"),
        pd.Timestamp("2026-10-26 10:30"),
    ]
    assert utc_offsets(raw) == {"+02:00": 1, "+01:00": 1, "+00:00": 1}


def test_out_of_range_years_are_bad_dates_not_a_crash():
    # "990201" read year-first is 9902-01-01, beyond pandas' nanosecond range
    p = parse_datetime(s("9902-01-01", "1999-02-01", "990201 7:02:47"), fmt="ISO8601")
    assert list(p.bad) == [True, False, True]
    p = parse_datetime(s("9902-01-01 00:00:00", "2262-05-01"), fmt="%Y-%m-%d %H:%M:%S")
    assert p.bad.all()


def test_mixed_precision_iso_and_impossible_dates():
    p = parse_datetime(s("2024-01-05 08:13", "2024-01-06", "2024-02-31 10:00", "brak", None))
    assert p.values.iloc[0] == pd.Timestamp("2024-01-05 08:13")
    assert p.values.iloc[1] == pd.Timestamp("2024-01-06")
    assert list(p.bad) == [False, False, True, True, False]  # empty is missing, not bad


def test_explicit_format_for_compact_bank_dates():
    p = parse_datetime(s("990101 0:00:31", "991231 23:59:59"), fmt="%y%m%d %H:%M:%S")
    assert p.values.iloc[0] == pd.Timestamp("1999-01-01 00:00:31")


@pytest.mark.parametrize(
    "raw,seconds",
    [
        ("90", 90.0),
        ("12,5", 12.5),
        ("01:30", 90.0),
        ("1:02:03", 3723.0),
        ("00:00", 0.0),
        ("2 min", 120.0),
        ("-00:07", -7.0),
    ],
)
def test_durations(raw, seconds):
    assert parse_duration(s(raw)).values.iloc[0] == seconds


def test_duration_units_and_bad_cells():
    assert parse_duration(s("2,5"), unit="minutes").values.iloc[0] == 150.0
    p = parse_duration(s("abc", "1:75", "", None))
    assert list(p.bad) == [True, True, True, False]


def test_booleans_in_three_languages_and_from_codes():
    p = parse_bool(s("tak", "NIE", "да", "нет", "Yes", "0", "maybe", None))
    assert list(p.values.iloc[:6]) == [True, False, True, False, True, False]
    assert list(p.bad) == [False] * 6 + [True, False]
    hang = parse_bool(s("HANG", "AGENT", "HANG"), true=["HANG"], false=["AGENT"])
    assert list(hang.values) == [True, False, True]


def test_channel_names_in_many_spellings():
    raw = s(
        "Telefon",
        "звонок",
        "PHONE",
        "e-mail",
        "E-Mail",
        "Formularz WWW",
        "czat",
        "SMS",
        "Письмо",
        "walk-in",
        "Self service",
        None,
    )
    channels, unknown = normalise_channel(raw)
    assert list(channels) == [
        "phone",
        "phone",
        "phone",
        "email",
        "email",
        "web",
        "chat",
        "sms",
        "letter",
        "visit",
        "web",
        "unknown",
    ]
    assert unknown == {}


def test_unrecognised_channels_are_counted_and_can_be_mapped():
    channels, unknown = normalise_channel(s("Pigeon", "Pigeon", "phone"))
    assert list(channels) == ["unknown", "unknown", "phone"] and unknown == {"Pigeon": 2}
    channels, unknown = normalise_channel(s("Pigeon"), {"pigeon": "letter"})
    assert list(channels) == ["letter"] and unknown == {}
