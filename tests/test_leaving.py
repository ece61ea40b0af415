"""Customers who leave after contact k (issue 16 q1, simulator side): theory, exact cancellation,
paired "customers kept", and the planted jump read back by the log-side churn analysis."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from flowkit.analyse.churn import analyse_churn
from flowkit.errors import ScenarioError
from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.compare import compare
from flowkit.sim.customer_keys import Leaving
from flowkit.sim.experiment import data_value

FIXED = {"dist": "fixed", "mean_s": 60}


def loop(leaving=None, **changes):
    """Ample agents (no queueing), never resolved, every contact comes back 10 hours later: every case
    makes contacts 1, 2, 3, ... until the horizon (40 h: at most four), at times no load can move."""
    doc = {
        "name": "loop",
        "seed": 11,
        "horizon_hours": 40,
        "warmup_hours": 0,
        "replications": 12,
        "agents": [{"team": "front", "count": 40, "channels": ["phone"]}],
        "recontact": {"p": 1.0, "delay": {"dist": "fixed", "mean_s": 36000}, "as": "progress_chasing"},
        "demand": [{"type": "ask", "channel": "phone", "rate_per_hour": 30, "handle": FIXED, "resolve_p": 0.0}],
    }
    if leaving is not None:
        doc["leaving"] = leaving
    doc.update(changes)
    return scenario_from_dict(doc)


def third_contacts(log):
    """Third contacts that ended in the run (the customer had the chance to leave after them)."""
    return log[(log["attempt"] == 3) & log["ended_at"].notna()]


def test_constant_risk_after_the_third_contact_loses_n_times_p():
    p = 0.2
    r = simulate(loop({"by_contact": [0, 0, p], "after": 0}), workers=1)
    log = r.log
    n3 = third_contacts(log).groupby("replication").size().reindex(range(12), fill_value=0)
    lost = r.per_replication["customers_lost"].to_numpy()
    assert n3.sum() > 5000
    # pooled: leavers ~ Binomial(N3, p)
    total, n = lost.sum(), n3.sum()
    assert abs(total - n * p) < 3 * np.sqrt(n * p * (1 - p)), (total, n * p)
    # the KPI's 95% CI over replications holds the expected N3 x p
    s = r.summary["customers_lost"]
    assert s["ci95_low"] <= n3.mean() * p <= s["ci95_high"], (s, n3.mean() * p)
    # leavers are exactly the customers with churned_at, and all left after their third contact
    gone = log[log["churned_at"].notna()]
    assert gone.groupby(["replication", "customer_id"])["attempt"].max().eq(3).all()
    assert gone["customer_id"].nunique() == total
    # share: of the customers who contacted in the window
    customers = log.groupby("replication")["customer_id"].nunique().to_numpy()
    assert np.allclose(r.per_replication["customers_lost_share"].to_numpy(), lost / customers)


def test_leaving_cancels_exactly_the_later_contacts_of_those_who_left():
    base = simulate(loop(), workers=1, replications=4)
    gone = simulate(loop({"by_contact": [0, 0, 0.3], "after": 0}), workers=1, replications=4)
    b, g = base.log, gone.log
    left = g[g["churned_at"].notna()][["replication", "customer_id"]].drop_duplicates()
    later = b[b["attempt"] > 3].merge(left, on=["replication", "customer_id"])
    assert len(later) > 100
    assert len(b) - len(g) == len(later)  # each leaver's 4th contact, and nothing else, is gone
    assert (g["received_at"] <= g["churned_at"].fillna(g["received_at"].max())).all()
    assert not (g[g["churned_at"].notna()]["attempt"] > 3).any()
    kept = b.merge(g[["replication", "contact_id"]], on=["replication", "contact_id"])
    assert len(kept) == len(g)  # the contacts that remain are the base's own (same customers, same times)
    assert base.per_replication["contacts_offered"].sum() - gone.per_replication["contacts_offered"].sum() == len(later)


def test_no_leaving_key_adds_no_kpi_and_a_zero_risk_changes_nothing():
    base = simulate(loop(), workers=1, replications=3, keep_log=False)
    zero = simulate(loop({"by_contact": [0.0]}), workers=1, replications=3, keep_log=False)
    assert "customers_lost" not in base.per_replication
    assert zero.per_replication["customers_lost"].eq(0).all()
    shared = base.per_replication.columns
    assert zero.per_replication[shared].equals(base.per_replication)


def test_failure_factor_and_the_probability_beyond_the_list():
    lv = Leaving((0.0, 0.1, 0.3), 0.05, failure_factor=4.0)
    assert lv.p(1, False) == 0.0 and lv.p(2, False) == 0.1 and lv.p(9, False) == 0.05
    assert lv.p(2, True) == pytest.approx(0.4) and lv.p(3, True) == 1.0  # capped
    sc = loop({"by_contact": [0.1, 0.2]})
    assert sc.leaving.after == 0.2  # default: the last value holds on


@pytest.mark.parametrize(
    ("leaving", "key"),
    [
        ({"by_contact": [0.1, 1.5]}, "leaving.by_contact[1]"),
        ({"by_contact": []}, "leaving.by_contact"),
        ({"by_contact": [0.1], "after": -0.1}, "leaving.after"),
        ({"by_contact": [0.1], "failure_factor": 1e9}, "leaving.failure_factor"),
        ({"by_contact": [0.1], "per_failure": 2}, "per_failure"),
    ],
)
def test_impossible_leaving_keys_are_errors_naming_the_key(leaving, key):
    with pytest.raises(ScenarioError, match=re.escape(key)):
        loop(leaving)


def centre(**changes):
    """A queueing centre with a failure loop and missed callbacks: chasers drive the contact count."""
    doc = {
        "name": "centre",
        "seed": 3,
        "horizon_hours": 24 * 30,
        "warmup_hours": 0,
        "replications": 6,
        "agents": [{"team": "front", "count": 3, "channels": ["phone"]}],
        "patience": {"dist": "exponential", "mean_s": 600},
        "redial": {"p": 0.5, "delay": {"dist": "exponential", "mean_s": 1800}},
        "recontact": {"p": 0.9, "delay": {"dist": "lognormal", "mean_s": 86400, "cv": 0.8}},
        "leaving": {"by_contact": [0.03, 0.03, 0.03, 0.2], "after": 0.2},
        "demand": [
            {"type": "ask", "channel": "phone", "rate_per_hour": 2.4, "handle": EXP, "resolve_p": 0.35},
            {
                "type": "wrong bill",
                "demand": "failure",
                "failure_type": "done_wrong",
                "channel": "phone",
                "rate_per_hour": 0.6,
                "handle": EXP,
                "resolve_p": 0.35,
            },
        ],
    }
    doc.update(changes)
    return scenario_from_dict(doc)


EXP = {"dist": "exponential", "mean_s": 240}


@pytest.mark.parametrize(
    ("by_contact", "jump_at"),
    [([0.03, 0.03, 0.03, 0.2], 4), ([0.03, 0.03, 0.2], 3), ([0.03], None)],
    ids=["jump at 4", "jump at 3", "flat"],
)
def test_the_simulated_jump_is_found_by_the_churn_analysis(by_contact, jump_at):
    """Planted-truth chain: the simulator's log (leaving 3% after each contact, 20% from the planted
    jump on) read by ``flowkit churn``'s analysis, itself tested on independent synthetic truth. The
    same customers in all three (common random numbers): only the planted risk moves the answer."""
    r = simulate(centre(leaving={"by_contact": by_contact}), workers=1, replications=1)
    result = analyse_churn(r.log.drop(columns=["replication"]))
    assert result.jump.at == jump_at, result.jump.verdict
    t = result.table.set_index("contacts")
    assert t.loc["1", "ci_low"] <= 0.03 <= t.loc["1", "ci_high"]
    if jump_at is not None:
        step = result.jump.steps.set_index("to")
        assert step.loc[jump_at, "ci_low"] <= 0.2 / 0.03 <= step.loc[jump_at, "ci_high"]
        assert not step.loc[range(2, jump_at), "significant"].any()
        # the raw risk there (binomial; a little low besides, as contacts still in progress at the
        # horizon are at risk in the life table but cannot have left yet)
        assert abs(t.loc[str(jump_at), "hazard"] - 0.2) < 0.06


def test_fewer_chasers_keep_customers_paired_and_design_out_reports_them():
    base = centre(replications=6)
    fewer = base.with_changes(recontact=replace(base.recontact, p=0.45), name="fewer")
    comp = compare(base, {"fewer": fewer, "same": base.with_changes(name="same")}, workers=1)
    same = comp.deltas["same"]
    assert all(d["mean"] == 0 and d["ci95_low"] == 0 == d["ci95_high"] for d in same.values())
    kept = comp.to_json_dict()["gains"]["fewer"]["customers_kept"]
    assert kept["ci95_low"] > 0, kept  # fewer 4th contacts: customers kept, positive
    assert comp.to_json_dict()["gains"]["fewer"]["agent_hours_saved"]["ci95_low"] > 0
    assert any(v.startswith("fewer: saves") and "keeps" in v for v in comp.verdicts())
    dv = data_value(base, replications=4, workers=1)
    (chasing,) = [e for e in dv.design_out if e["failure_type"] == "progress_chasing"]
    assert chasing["customers_kept"]["ci95_low"] > 0
    # a customer kept is a customer lost in the base who is not lost in the variant: at most all of them
    assert chasing["customers_kept"]["mean"] <= comp.base.summary["customers_lost"]["mean"]
