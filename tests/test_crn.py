"""Common random numbers keyed by meaning: unrelated changes change nothing, related ones change little.

Planted contrasts: the scenario below has everything that draws random numbers (patience,
redial, hand-off, callbacks made and missed, failure loop, closed lines), so a draw taken by
position anywhere would show up as a difference.
"""

import numpy as np
import pandas as pd
import pytest

from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.compare import compare, independent_deltas

LOGN = {"dist": "lognormal", "mean_s": 300, "cv": 0.8}


def busy_centre(**changes):
    doc = {
        "name": "busy",
        "seed": 17,
        "horizon_hours": 24 * 4,
        "warmup_hours": 48,
        "replications": 8,
        "open_hours": {"phone": "Mon-Sat 08:00-20:00"},
        "closed": {"return_p": 0.5, "within_hours": 4},
        "patience": {"dist": "exponential", "mean_s": 240},
        "redial": {"p": 0.4, "delay": {"dist": "exponential", "mean_s": 600}},
        "agents": [
            {"team": "front", "count": 12, "channels": ["phone", "chat"]},
            {"team": "back", "count": 3, "channels": ["email"]},
        ],
        "handoff": {"p": 0.3, "team": "back", "handle": {"dist": "exponential", "mean_s": 500}, "resolve_p": 0.8},
        "callback": {"p_promised": 0.5, "p_made": 0.6, "delay": {"dist": "exponential", "mean_s": 7200}},
        "recontact": {"p": 0.6, "delay": {"dist": "exponential", "mean_s": 12 * 3600}, "as": "not_resolved"},
        "demand": [
            {"type": "fault", "channel": "phone", "rate_per_hour": 50, "handle": LOGN, "resolve_p": 0.65},
            {"type": "billing", "channel": "phone", "rate_per_hour": 20, "handle": LOGN, "resolve_p": 0.8},
            {"type": "chat", "channel": "chat", "rate_per_hour": 8, "handle": LOGN, "resolve_p": 0.9},
            {"type": "letter", "channel": "email", "rate_per_hour": 4, "handle": LOGN, "resolve_p": 0.7},
        ],
    }
    doc.update(changes)
    return doc


def _run(doc, **kw):
    return simulate(scenario_from_dict(doc), workers=2, **kw)


def test_adding_or_reordering_streams_that_bring_no_one_changes_no_kpi_at_all():
    base = _run(busy_centre(replications=4), keep_log=False).per_replication
    doc = busy_centre(replications=4)
    doc["demand"] = [
        {
            "type": "never",
            "channel": "phone",
            "rate_per_hour": 0.000001,
            "handle": {"dist": "exponential", "mean_s": 60},
        },
        *doc["demand"][::-1],
        {
            "type": "night",
            "channel": "email",
            "profile_per_hour": [0] * 24,
            "handle": {"dist": "fixed", "mean_s": 60},
        },
    ]
    other = _run(doc, keep_log=False).per_replication
    assert base["contacts_offered"].min() > 3000 and base["phone.abandon_rate"].max() > 0.02
    pd.testing.assert_frame_equal(base, other[base.columns])


def staffed():
    """busy_centre with enough agents that few callers give up: longer handling then means more hours,
    not fewer callers served (with a quarter abandoning, +1% handle time gives only +0.4% hours)."""
    doc = busy_centre(horizon_hours=72)
    doc["agents"][0]["count"] = 22
    return doc


def test_a_one_percent_longer_handle_time_redraws_no_resolution_and_moves_hours_about_one_percent():
    base = _run(staffed(), keep_log=True)
    assert base.summary["phone.abandon_rate"]["mean"] < 0.05
    doc = staffed()
    for s in doc["demand"]:
        s["handle"] = dict(s["handle"], mean_s=s["handle"]["mean_s"] * 1.01)
    longer = _run(doc, keep_log=True)

    # the same contacts (same customer, same attempt) were resolved or not in both, whenever both answered them
    a = base.log.set_index(["replication", "contact_id"])
    b = longer.log.set_index(["replication", "contact_id"])
    both = a.index.intersection(b.index)
    answered = both[
        (a.loc[both, "outcome"] == "answered").to_numpy() & (b.loc[both, "outcome"] == "answered").to_numpy()
    ]
    assert len(answered) > 0.95 * (a["outcome"] == "answered").sum()
    ra, rb = a.loc[answered, "resolved"], b.loc[answered, "resolved"]
    done = (ra.notna() & rb.notna()).to_numpy()  # not still in service at the horizon
    same = (ra[done].astype(bool).to_numpy() == rb[done].astype(bool).to_numpy()).mean()
    assert same == 1.0, same  # not one resolution re-drawn
    ratio = b.loc[answered, "handle_s"].astype(float).to_numpy() / a.loc[answered, "handle_s"].astype(float).to_numpy()
    assert np.median(ratio) == pytest.approx(1.01, abs=1e-9)

    paired = compare(scenario_from_dict(staffed()), {"longer": scenario_from_dict(doc)}, workers=2)
    hours = paired.deltas["longer"]["agent_hours"]
    assert hours["relative"] == pytest.approx(0.01, abs=0.004), hours
    assert hours["ci95_low"] > 0
    # the same comparison between independent runs: its interval is many times wider
    independent = _run(dict(doc, seed=18), keep_log=False)
    indep = independent_deltas(base.per_replication, independent.per_replication)["agent_hours"]
    width = hours["ci95_high"] - hours["ci95_low"]
    assert width < 0.2 * (indep["ci95_high"] - indep["ci95_low"]), (hours, indep)
    assert "paired" in paired.pairing["longer"]
    # nothing about pairing; the one warning is the loop's (48 h leaves ~1.5% of its returns missing)
    assert [w for w in paired.warnings if "warm-up" not in w] == [], paired.warnings


def test_compare_keeps_a_variants_own_seed_and_says_it_is_not_paired():
    base = scenario_from_dict(busy_centre(horizon_hours=48, replications=4))
    variant = scenario_from_dict(busy_centre(horizon_hours=48, replications=4, seed=99, name="reseeded"))
    comp = compare(base, {"reseeded": variant}, workers=2)
    alone = simulate(variant, workers=2, keep_log=False)
    pd.testing.assert_frame_equal(comp.variants["reseeded"].per_replication, alone.per_replication)
    assert comp.pairing["reseeded"].startswith("independent")
    assert any("seed 99 differs" in w for w in comp.warnings)


def calibrated_like(**changes):
    """busy_centre with what calibrate writes: half-hourly profiles, IVR exits, redials and re-contacts
    that are drawn again off a closed line and thinned by their stream's time-of-day rate."""
    day = [0.0] * 17 + [45.0] * 6 + [30.0] * 17 + [0.0] * 8  # 08:30-20:00, a morning peak
    doc = busy_centre(replications=3, horizon_hours=72, ivr={"exit_p": 0.1}, closed={"return_p": 0.0}, **changes)
    doc["demand"][0] = {"type": "fault", "channel": "phone", "profile_per_hour": day, "handle": LOGN, "resolve_p": 0.65}
    return doc


def test_calibration_features_draw_keyed_numbers_and_keep_returns_off_a_closed_line():
    base = _run(calibrated_like(), keep_log=True)
    doc = calibrated_like()
    doc["demand"] = [
        {
            "type": "never",
            "channel": "phone",
            "rate_per_hour": 0.000001,
            "handle": {"dist": "exponential", "mean_s": 60},
        },
        *doc["demand"][::-1],
    ]
    other = _run(doc, keep_log=False)
    pd.testing.assert_frame_equal(base.per_replication, other.per_replication[base.per_replication.columns])

    log = base.log[base.log["channel"] == "phone"]
    out = log["outcome"].astype(str)
    first, again = log[log["attempt"] == 1], log[log["attempt"] > 1]
    reached = first[out[first.index] != "closed"]
    assert (out[reached.index] == "ivr_exit").mean() == pytest.approx(0.1, abs=0.02)
    # open 12 h of 24 Mon-Sat: a 12-hour re-contact or 2-hour chase delay, or a 10-minute redial, drawn
    # once would often meet the closed line (as a fifth of first contacts do); drawn again, the
    # redials, re-contacts and chases come back while it is open
    assert (out[first.index] == "closed").mean() > 0.1
    assert len(again) > 500 and (out[again.index] == "closed").mean() < 0.01
    # re-contacts thinned by the fault stream's profile: more come back in the 45/h morning peak than
    # in the 30/h rest of the day, per half hour
    assert {"progress_chasing", "not_resolved"} <= set(again["demand_type"])


def test_returns_come_back_when_the_streams_customers_call():
    """Re-contacts thinned by their stream's rate: with 10/h and 30/h in alternate half hours and a
    day-long delay (nearly flat over any hour), returns keep the 1:3 shape; unthinned they would be 1:1."""
    day = [10.0, 30.0] * 24
    sc = scenario_from_dict(
        {
            "name": "thin",
            "seed": 5,
            "horizon_hours": 24 * 14,
            "warmup_hours": 72,
            "replications": 1,
            "agents": [{"team": "chat", "count": 30, "channels": ["chat"]}],
            "recontact": {"p": 1.0, "delay": {"dist": "exponential", "mean_s": 24 * 3600}},
            "demand": [
                {
                    "type": "x",
                    "channel": "chat",
                    "profile_per_hour": day,
                    "resolve_p": 0.5,
                    "handle": {"dist": "exponential", "mean_s": 120},
                }
            ],
        }
    )
    log = simulate(sc, workers=1).log
    odd = log["received_at"].dt.minute // 30 == 1
    back = log["attempt"] > 1
    assert back.sum() > 2000
    assert odd[~back].mean() == pytest.approx(0.75, abs=0.02)
    assert odd[back].mean() == pytest.approx(0.75, abs=0.03)
