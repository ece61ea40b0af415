"""Every measure pinned to values computed by hand on small logs."""

import numpy as np
import pandas as pd
import pytest

from flowkit import analyse as A
from flowkit import schema
from flowkit.cases import summarise_cases


def log(rows):
    cols = [
        "contact_id",
        "received_at",
        "channel",
        "customer_id",
        "case_id",
        "demand",
        "demand_type",
        "failure_type",
        "resolved",
        "handle_s",
        "abandoned",
        "closed_at",
    ]
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
    (
        "3",
        "2026-01-07 09:00",
        "phone",
        "A",
        "A",
        "failure",
        "chasing",
        "progress_chasing",
        True,
        300.0,
        False,
        "2026-01-08 09:00",
    ),
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
    assert ch.loc["phone", "failure_share"] == pytest.approx(2 / 4)  # 1,3,5,6 classified; 3 and 6 failure
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
    assert (
        cases.loc["A", "end_to_end_s"]
        == (pd.Timestamp("2026-01-08 09:00") - pd.Timestamp("2026-01-05 09:00")).total_seconds()
    )
    # the log records closing times and only A has one: B, C and D are open, running to the log's end (13 Jan 10:00)
    assert cases["open"].tolist() == [False, True, True, True]
    assert cases.loc["C", "end_to_end_s"] == 86400 and cases.loc["B", "end_to_end_s"] == 8 * 86400
    pct, _ = A.end_to_end(cases.reset_index())
    # Kaplan-Meier by hand: the one closing (A, 3 days) happens with A and B at risk -> S(3) = 1/2
    assert pct["p50"] == 3 and np.isinf(pct["p80"]) and pct["open"] == 3 and np.isnan(pct["mean"])
    no_closing = summarise_cases(c.assign(closed_at=pd.NaT)).set_index("case_id")
    assert no_closing["open"].isna().all() and no_closing.loc["C", "end_to_end_s"] == 6 * 3600  # to the last contact
    pct, _ = A.end_to_end(no_closing.reset_index())
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
    assert chart.lower == 0.0  # 14.5 - 2.66*6.8 < 0: floored
    assert chart.mr_upper == pytest.approx(3.268 * mr_bar)
    steady = A.xmr(pd.Series([10, 11, 10, 11, 10, 11, 10, 40]))
    assert steady.signals.tolist() == [False] * 7 + [True]
    assert steady.predictable is None and "too few points" in steady.verdict  # 8 points: no verdict
    longer = A.xmr(pd.Series([10, 11] * 12 + [40]))
    assert longer.predictable is False and longer.verdict.startswith("signals outside the limits (1 of 25")
    assert A.xmr(pd.Series([10, 11] * 10)).predictable is True
    with pytest.raises(ValueError, match="at least 2 points"):
        A.xmr(pd.Series([1.0]))


def test_weekly_by_type_drops_partial_weeks():
    rows = [
        (str(i), f"2026-01-{d:02d} 10:00", "phone", "X", str(i), "value", "order", None, True, 60.0, False, None)
        for i, d in enumerate([7, 12, 13, 19, 20, 26, 27, 28])
    ]  # Wed 7 Jan starts mid-week
    weekly = A.weekly_by_type(log(rows))
    assert list(weekly.index) == [pd.Timestamp("2026-01-12"), pd.Timestamp("2026-01-19")]
    assert weekly["order"].tolist() == [2, 2]


def test_data_use_effects_find_a_planted_difference():
    rng = np.random.default_rng(0)
    n = 400
    used = rng.random(n) < 0.5
    df = pd.DataFrame(
        {
            "contact_id": [str(i) for i in range(n)],
            "received_at": pd.Timestamp("2026-01-05"),
            "channel": "phone",
            "source": "x",
            "demand": "value",
            "demand_type": "fault",
            "agent_id": "a",
            "handle_s": np.where(used, rng.normal(200, 20, n), rng.normal(300, 20, n)),
            "resolved": np.where(used, rng.random(n) < 0.9, rng.random(n) < 0.6),
            "data_used": np.where(used, "equipment_config;account", "account"),
        }
    )
    eff = A.field_effects(schema.conform(df)).set_index(["demand_type", "field"]).loc[("fault", "equipment_config")]
    assert eff["handle_diff_high"] < -80 and eff["handle_diff_low"] > -120
    assert (
        eff["resolved_diff_low"] > 0.05
        and eff["resolved_diff_low"] <= eff["resolved_diff"] <= eff["resolved_diff_high"]
    )
    usage = A.field_usage(schema.conform(df)).set_index("field")
    assert usage.loc["account", "share_of_recorded"] == 1.0


def test_end_to_end_with_open_cases_recovers_a_planted_median():
    """Durations drawn with a known median; cases still open at the log's end are censored."""
    rng = np.random.default_rng(11)
    n = 3000
    start = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.uniform(0, 60, n), unit="D")
    days = rng.exponential(10 / np.log(2), n)  # true median 10 days, p90 = 10*log(10)/log(2) = 33.2
    log_end = pd.Timestamp("2026-03-05")
    closed = start + pd.to_timedelta(days, unit="D")
    is_open = closed > log_end
    df = schema.conform(
        pd.DataFrame(
            {
                "contact_id": [f"c{i}" for i in range(n)],
                "received_at": start,
                "channel": "web",
                "source": "x",
                "case_id": [f"k{i}" for i in range(n)],
                "closed_at": pd.Series(closed).where(~is_open),
            }
        )
    )
    cases = summarise_cases(df)
    assert cases["open"].sum() == is_open.sum() > 400  # many still open: the trap is real
    pct, chart = A.end_to_end(cases)
    assert pct["open"] == is_open.sum()
    assert pct["p50"] == pytest.approx(10, rel=0.08)
    assert pct["p90"] == pytest.approx(10 * np.log(10) / np.log(2), rel=0.12)
    # what the old reading gave: open cases as finished at the log's end (or at zero days) is far off
    naive = (cases["end_to_end_s"] / 86400).quantile(0.9)
    assert naive < 0.85 * 10 * np.log(10) / np.log(2)
    assert len(chart.values) == n - is_open.sum()  # the capability chart shows finished cases


def test_phone_service_over_offered_calls_by_hand():
    rows = pd.DataFrame(
        {
            "contact_id": list("abcdefgh"),
            "channel": ["phone"] * 7 + ["email"],
            "received_at": pd.to_datetime(
                [
                    "2026-01-05 09:10",
                    "2026-01-05 09:20",
                    "2026-01-05 09:40",
                    "2026-01-05 10:05",
                    "2026-01-06 10:30",
                    "2026-01-06 10:45",
                    "2026-01-06 11:00",
                    "2026-01-05 09:00",
                ]
            ),
            #          answered fast, answered slow, abandoned in queue, hung up in IVR, answered 0 s, no outcome, no wait
            "wait_s": [5.0, 60.0, 100.0, 0.0, 0.0, 30.0, None, 999.0],
            "abandoned": [False, False, True, True, False, None, False, None],
            "source": "x",
        }
    )
    s = A.phone_service(schema.conform(rows))
    assert s["offered"] == 7 and s["abandoned"] == 2 and s["abandoned_before_queue"] == 1
    assert s["abandon_rate"] == pytest.approx(2 / 6)  # the row with no outcome is left out
    assert s["mean_wait_s"] == pytest.approx((5 + 60 + 100 + 0 + 0 + 30) / 6)
    assert s["service_level"] == pytest.approx(2 / 5)  # a and e within 20 s, of rows with both
    by_hour = A.phone_profile(schema.conform(rows), "hour")
    assert by_hour["offered"].to_dict() == {9: 3, 10: 3, 11: 1}
    assert by_hour.loc[9, "abandon_rate"] == pytest.approx(1 / 3)
    by_day = A.phone_profile(schema.conform(rows), "weekday")
    assert by_day["offered"].to_dict() == {"Mon": 4, "Tue": 3}
    assert A.phone_service(schema.conform(rows[rows["channel"] == "email"])) is None


def test_contacts_without_a_customer_stay_out_of_one_stop_and_nth_contact():
    anonymous = [
        (f"z{i}", "2026-01-06 12:00", "phone", None, f"Z{i}", "value", "order", None, True, 60.0, i % 2 == 0, None)
        for i in range(10)
    ]
    c = log(ROWS + anonymous)
    assert A.one_stop(c) == A.one_stop(log(ROWS))  # ten "perfect" anonymous calls change nothing
    pd.testing.assert_frame_equal(A.nth_contact_effect(c), A.nth_contact_effect(log(ROWS)))
    assert A.phone_service(c)["offered"] == 5 + 10  # but they are calls offered all the same


def test_phone_service_leaves_out_calls_the_centre_made_and_names_calls_to_a_closed_line():
    """Outbound callbacks are not offered demand; a call at 21:00 that met a closed line is offered and
    abandoned with no wait, and the summary says so instead of calling it an IVR exit."""
    from flowkit.report.summary import phone_sentences

    days = pd.date_range("2026-01-05", periods=28, freq="D")
    days = days[days.day_of_week < 5]  # four working weeks, open 09:00-17:00
    rows = [
        {"received_at": d + pd.Timedelta(hours=h, minutes=m), "wait_s": 10.0, "abandoned": False, "agent_id": "A1"}
        for d in days
        for h in range(9, 17)
        for m in (5, 35)
    ]
    answered = len(rows)
    rows += [{"received_at": d + pd.Timedelta(hours=21), "wait_s": 0.0, "abandoned": True} for d in days[:6]]
    rows += [{"received_at": days[0] + pd.Timedelta(hours=10, minutes=30), "wait_s": 0.0, "abandoned": True}]
    out = [
        {"received_at": d + pd.Timedelta(hours=12, minutes=30), "wait_s": 0.0, "abandoned": False, "direction": "OUT"}
        for d in days[:4]
    ]
    df = pd.DataFrame(rows + out).assign(channel="phone", source="x")
    df["contact_id"] = [f"c{i}" for i in range(len(df))]
    s = A.phone_service(schema.conform(df).assign(direction=df["direction"].to_numpy()))
    assert s["offered"] == answered + 6 + 1 and s["outbound"] == 4
    assert s["abandoned_before_queue"] == 7 and s["closed_line"] == 6
    open_calls = answered + 1  # the answered ones (10 s each) and the IVR exit (0 s)
    assert s["mean_wait_open_s"] == pytest.approx(10.0 * answered / open_calls)
    words = " ".join(phone_sentences(s))
    assert "6 called while the line was closed, 1 in the IVR" in words
    assert "The 4 calls the centre made itself" in words
