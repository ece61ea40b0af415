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
    doc = {"name": "busy", "seed": 17, "horizon_hours": 24 * 4, "warmup_hours": 48, "replications": 8,
           "open_hours": {"phone": "Mon-Sat 08:00-20:00"}, "closed": {"return_p": 0.5, "within_hours": 4},
           "patience": {"dist": "exponential", "mean_s": 240},
           "redial": {"p": 0.4, "delay": {"dist": "exponential", "mean_s": 600}},
           "agents": [{"team": "front", "count": 12, "channels": ["phone", "chat"]},
                      {"team": "back", "count": 3, "channels": ["email"]}],
           "handoff": {"p": 0.3, "team": "back", "handle": {"dist": "exponential", "mean_s": 500}, "resolve_p": 0.8},
           "callback": {"p_promised": 0.5, "p_made": 0.6, "delay": {"dist": "exponential", "mean_s": 7200}},
           "recontact": {"p": 0.6, "delay": {"dist": "exponential", "mean_s": 12 * 3600}, "as": "not_resolved"},
           "demand": [
               {"type": "fault", "channel": "phone", "rate_per_hour": 50, "handle": LOGN, "resolve_p": 0.65},
               {"type": "billing", "channel": "phone", "rate_per_hour": 20, "handle": LOGN, "resolve_p": 0.8},
               {"type": "chat", "channel": "chat", "rate_per_hour": 8, "handle": LOGN, "resolve_p": 0.9},
               {"type": "letter", "channel": "email", "rate_per_hour": 4, "handle": LOGN, "resolve_p": 0.7}]}
    doc.update(changes)
    return doc


def _run(doc, **kw):
    return simulate(scenario_from_dict(doc), workers=2, **kw)


def test_adding_or_reordering_streams_that_bring_no_one_changes_no_kpi_at_all():
    base = _run(busy_centre(replications=4), keep_log=False).per_replication
    doc = busy_centre(replications=4)
    doc["demand"] = ([{"type": "never", "channel": "phone", "rate_per_hour": 0.000001,
                       "handle": {"dist": "exponential", "mean_s": 60}}]
                     + doc["demand"][::-1]
                     + [{"type": "night", "channel": "email", "profile_per_hour": [0] * 24,
                         "handle": {"dist": "fixed", "mean_s": 60}}])
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
    answered = both[(a.loc[both, "outcome"] == "answered").to_numpy() & (b.loc[both, "outcome"] == "answered").to_numpy()]
    assert len(answered) > 0.95 * (a["outcome"] == "answered").sum()
    ra, rb = a.loc[answered, "resolved"], b.loc[answered, "resolved"]
    done = (ra.notna() & rb.notna()).to_numpy()            # not still in service at the horizon
    same = (ra[done].astype(bool).to_numpy() == rb[done].astype(bool).to_numpy()).mean()
    assert same == 1.0, same                               # not one resolution re-drawn
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
