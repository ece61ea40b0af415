"""Case stitching, checked against hand-built logs."""

import pandas as pd
import pytest

from flowkit import schema
from flowkit.cases import stitch


def log(rows):
    df = pd.DataFrame(
        rows, columns=["contact_id", "received_at", "channel", "customer_id", "reason_code", "case_id", "closed_at"]
    )
    df["received_at"] = pd.to_datetime(df["received_at"])
    df["closed_at"] = pd.to_datetime(df["closed_at"])
    df["source"] = "t.csv:" + df.index.astype(str)
    return schema.conform(df)


ROWS = [
    ("1", "2026-01-05 09:00", "phone", "A", "fault", None, None),
    ("2", "2026-01-06 10:00", "email", "A", "fault", None, None),  # 25 h later, other channel: same case
    ("3", "2026-01-08 10:00", "web", "A", "billing", None, "2026-01-09 10:00"),
    ("4", "2026-02-20 10:00", "phone", "A", "fault", None, None),  # 6 weeks later: new case
    ("5", "2026-01-05 09:30", "chat", None, "fault", None, None),  # nobody: own case
    ("6", "2026-01-05 09:31", "chat", None, "fault", None, None),
    ("7", "2026-01-07 12:00", "phone", "B", "fault", "SRC-9", None),  # source case id kept
]


def test_stitches_across_channels_within_the_window():
    r = stitch(log(ROWS), window="14D")
    case = dict(zip(r.contacts["contact_id"], r.contacts["case_id"], strict=True))
    assert case["1"] == case["2"] == case["3"]
    assert case["4"] != case["1"]
    assert case["5"] != case["6"]
    assert case["7"] == "SRC-9"
    assert r.contacts["case_id"].notna().all()


def test_case_summary_end_to_end_uses_closed_at_when_known():
    r = stitch(log(ROWS), window="14D")
    cases = r.cases.set_index("case_id")
    first = r.contacts.set_index("contact_id").loc["1", "case_id"]
    row = cases.loc[first]
    assert row["n_contacts"] == 3 and row["channels"] == "email;phone;web"
    assert row["first_at"] == pd.Timestamp("2026-01-05 09:00") and row["last_at"] == pd.Timestamp("2026-01-08 10:00")
    assert row["end_to_end_s"] == (pd.Timestamp("2026-01-09 10:00") - pd.Timestamp("2026-01-05 09:00")).total_seconds()
    # the log records closing times; SRC-9 has none, so it is open until the log's last moment (20 Feb 10:00)
    assert bool(cases.loc["SRC-9", "open"]) and not bool(cases.loc[first, "open"])
    assert (
        cases.loc["SRC-9", "end_to_end_s"]
        == (pd.Timestamp("2026-02-20 10:00") - pd.Timestamp("2026-01-07 12:00")).total_seconds()
    )
    assert len(r.cases) == 5 and r.cases["n_contacts"].sum() == len(ROWS)


def test_placeholder_customer_ids_are_not_one_customer():
    rows = [(str(i), f"2026-01-05 {8 + i // 60:02d}:{i % 60:02d}", "phone", "0", "x", None, None) for i in range(40)]
    rows += [
        ("a1", "2026-01-05 09:00", "phone", "C-1", "x", None, None),
        ("a2", "2026-01-06 09:00", "phone", "C-1", "x", None, None),
        ("u1", "2026-01-05 09:00", "phone", "unknown", "x", None, None),
        ("u2", "2026-01-05 09:05", "phone", "unknown", "x", None, None),
    ]
    r = stitch(log(rows), window="14D")
    assert r.placeholders == {"0": 40, "unknown": 2}
    assert r.cases["n_contacts"].max() == 2  # only C-1 has a repeat
    assert len(r.cases) == 40 + 1 + 2


def test_window_is_a_gap_between_consecutive_contacts():
    r = stitch(log(ROWS), window="1D")
    case = dict(zip(r.contacts["contact_id"], r.contacts["case_id"], strict=True))
    assert case["1"] != case["2"]  # 25 h > 1 day


def test_by_reason_separates_reasons():
    r = stitch(log(ROWS), window="14D", by_reason=True)
    case = dict(zip(r.contacts["contact_id"], r.contacts["case_id"], strict=True))
    assert case["1"] == case["2"] and case["3"] != case["1"]


def test_bad_window_is_refused():
    with pytest.raises(ValueError, match="window must be positive"):
        stitch(log(ROWS), window="0D")
