"""Every measure pinned to values computed by hand on small logs."""

import numpy as np
import pandas as pd
import pytest

from flowkit import analyse as A, schema
from flowkit.cases import summarise_cases


def log(rows):
    cols = ["contact_id", "received_at", "channel", "customer_id", "case_id", "demand", "demand_type", "failure_type",
            "resolved", "handle_s", "abandoned", "closed_at"]
    df = pd.DataFrame(rows, columns=cols)
    df["received_at"] = pd.to_datetime(df["received_at"])
    df["closed_at"] = pd.to_datetime(df["closed_at"])
    df["source"] = "t.csv:" + df.index.astype(str)
    df["rule"] = "test"
    df["confidence"] = 1.0
    return schema.conform(df)


ROWS = [
    # case A: phone order, not resolved, chased by e-mail, then by phone, closed on 5 Jan 12:00
    ("1", "2026-01-05 09:00", "phone", "A", "A", "value", "order", None, False, 600.0, False, None),
    ("2", "2026-01-06 09:00", "email", "A", "A", "failure", "chasing", "progress_chasing", False, 300.0, None, None),
    ("3", "2026-01-07 09:00", "phone", "A", "A", "failure", "chasing", "progress_chasing", True, 300.0, False, "2026-01-08 09:00"),
    # case B: web payment resolved at once
    ("4", "2026-01-05 10:00", "web", "B", "B", "value", "payment", None, True, 120.0, None, None),
    # case C: phone fault resolved, then a complaint on contact 2
    ("5", "2026-01-12 10:00", "phone", "C", "C", "value", "fault", None, True, 480.0, False, None),
    ("6", "2026-01-12 16:00", "phone", "C", "C", "failure", "complaint", "complaint", False, 900.0, False, None),
    # an unknown, wordless abandoned call
    ("7", "2026-01-13 10:00", "phone", "D", "D", "unknown", None, None, None, None, True, None),
]


def test_failure_share_overall_and_by_channel():
    c = log(ROWS)
    t = A.failure_share(c).iloc[0]
    assert (t["contacts"], t["value"], t["failure"], t["unknown"]) == (7, 3, 3, 1)
    assert t["failure_share"] == pytest.approx(3 / 6)
    ch = A.failure_share(c, "channel")
    assert ch.loc["phone", "failure_share"] == pytest.approx(2 / 4)      # 1,3,5,6 classified; 3 and 6 failure
    assert ch.loc["email", "failure_share"] == 1.0 and ch.loc["web", "failure_share"] == 0.0


def test_pareto_and_links():
    c = log(ROWS)
    p = A.pareto(c)
    assert p.iloc[0]["type"] == "progress_chasing" and p.iloc[0]["contacts"] == 2
    assert p["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    links = A.value_failure_links(c).set_index(["value_type", "failure_type"])
    assert links.loc[("order", "progress_chasing"), "contacts"] == 2
    assert links.loc[("order", "progress_chasing"), "cases"] == 1
    assert links.loc[("fault", "complaint"), "contacts"] == 1


def test_end_to_end_one_stop_and_contacts_per_case():
    c = log(ROWS)
    cases = summarise_cases(c).set_index("case_id")
    assert cases.loc["A", "end_to_end_s"] == (pd.Timestamp("2026-01-08 09:00") - pd.Timestamp("2026-01-05 09:00")).total_seconds()
    assert cases.loc["C", "end_to_end_s"] == 6 * 3600
    assert cases.loc["B", "end_to_end_s"] == 0
    pct, chart = A.end_to_end(cases.reset_index())
    assert pct["p50"] == pytest.approx(np.median([3, 0.25, 0, 0]))
    os_ = A.one_stop(c)
    # value-first cases with resolution recorded: A (not resolved), B (resolved, 1 contact), C (resolved, but came back)
    assert os_["cases"] == 3
    assert os_["resolved_first_contact"] == pytest.approx(2 / 3) and os_["perfect"] == pytest.approx(1 / 3)
    assert A.contacts_per_case(cases).to_dict() == {1: 2, 2: 1, 3: 1}


def test_nth_contact_effect_table():
    nth = A.nth_contact_effect(log(ROWS))
    # contact 1 of each case: 1 (no), 4 (no), 5 (no), 7 (abandoned: yes) -> 1/4; contact 2: 2 (no), 6 (complaint) -> 1/2
    assert nth.loc[1].tolist() == [4, 1, 0.25]
    assert nth.loc[2].tolist() == [2, 1, 0.5]
    assert nth.loc[3].tolist() == [1, 0, 0.0]


def test_agent_hours_on_failure():
    h = A.agent_hours(log(ROWS))
    assert h.loc["failure", "agent_hours"] == pytest.approx((300 + 300 + 900) / 3600)
    assert h.loc["failure", "share"] == pytest.approx(1500 / 2700)


def test_xmr_limits_by_hand():
    x = pd.Series([10, 12, 11, 15, 9, 30])
    chart = A.xmr(x)
    mr_bar = np.mean([2, 1, 4, 6, 21])
    assert chart.mean == pytest.approx(87 / 6)
    assert chart.mr_bar == pytest.approx(mr_bar)
    assert chart.upper == pytest.approx(87 / 6 + 2.66 * mr_bar)
    assert chart.lower == 0.0                                    # 14.5 - 2.66*6.8 < 0: floored
    assert chart.mr_upper == pytest.approx(3.268 * mr_bar)
    steady = A.xmr(pd.Series([10, 11, 10, 11, 10, 11, 10, 40]))
    assert steady.signals.tolist() == [False] * 7 + [True] and not steady.predictable
    with pytest.raises(ValueError, match="at least 2 points"):
        A.xmr(pd.Series([1.0]))


def test_weekly_by_type_drops_partial_weeks():
    rows = [(str(i), f"2026-01-{d:02d} 10:00", "phone", "X", str(i), "value", "order", None, True, 60.0, False, None)
            for i, d in enumerate([7, 12, 13, 19, 20, 26, 27, 28])]   # Wed 7 Jan starts mid-week
    weekly = A.weekly_by_type(log(rows))
    assert list(weekly.index) == [pd.Timestamp("2026-01-12"), pd.Timestamp("2026-01-19")]
    assert weekly["order"].tolist() == [2, 2]


def test_data_use_effects_find_a_planted_difference():
    rng = np.random.default_rng(0)
    n = 400
    used = rng.random(n) < 0.5
    df = pd.DataFrame({
        "contact_id": [str(i) for i in range(n)], "received_at": pd.Timestamp("2026-01-05"), "channel": "phone",
        "source": "x", "demand": "value", "demand_type": "fault", "agent_id": "a",
        "handle_s": np.where(used, rng.normal(200, 20, n), rng.normal(300, 20, n)),
        "resolved": np.where(used, rng.random(n) < 0.9, rng.random(n) < 0.6),
        "data_used": np.where(used, "equipment_config;account", "account"),
    })
    eff = A.field_effects(schema.conform(df)).set_index(["demand_type", "field"]).loc[("fault", "equipment_config")]
    assert eff["handle_diff_high"] < -80 and eff["handle_diff_low"] > -120
    assert eff["resolved_diff_low"] > 0.05 and eff["resolved_diff_low"] <= eff["resolved_diff"] <= eff["resolved_diff_high"]
    usage = A.field_usage(schema.conform(df)).set_index("field")
    assert usage.loc["account", "share_of_recorded"] == 1.0
