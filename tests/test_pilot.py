"""Pilot design and analysis: simulated pilots of the planned size find the asked power, and
under no effect reject about alpha of the time (vectorised: a few hundred pilots in a second)."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from flowkit.errors import FlowkitError
from flowkit.pilot import analyse_pilot, assignment, design_pilot, icc_oneway
from flowkit.pilot.design import _relevant
from flowkit.synth import generate

PILOTS = 400


@pytest.fixture(scope="module")
def log():
    return generate(30_000, seed=4)


def _reject_rate(ctrl_pool, n, effect, rng, alpha, binary_p=None):
    """Share of ``PILOTS`` pilots with n contacts per arm whose two-sided z-test rejects."""
    if binary_p is not None:
        c = rng.random((PILOTS, n)) < binary_p
        t = rng.random((PILOTS, n)) < binary_p * (1 + effect)
    else:
        c = rng.choice(ctrl_pool, (PILOTS, n))
        t = rng.choice(ctrl_pool, (PILOTS, n)) * (1 - effect)
    diff = t.mean(1) - c.mean(1)
    se = np.sqrt(t.var(1, ddof=1) / n + c.var(1, ddof=1) / n)
    return float((np.abs(diff / se) > stats.norm.ppf(1 - alpha / 2)).mean())


@pytest.mark.parametrize("outcome", ["handle_s", "resolved"])
def test_planned_size_gives_the_asked_power_and_alpha(log, outcome):
    plan = design_pilot(log, "equipment_config", outcome, mde=0.10, alpha=0.05, power=0.8)
    rng = np.random.default_rng(1)
    pool = _relevant(log, "equipment_config")["handle_s"].to_numpy(dtype=float)
    p0 = plan.baseline_mean if outcome == "resolved" else None
    power = _reject_rate(pool, plan.contacts_per_arm, 0.10, rng, 0.05, p0)
    assert abs(power - 0.8) <= 0.07, power
    null = _reject_rate(pool, plan.contacts_per_arm, 0.0, rng, 0.05, p0)
    assert 0.02 <= null <= 0.09, null
    # and a smaller pilot really has less power: the test can fail
    assert _reject_rate(pool, plan.contacts_per_arm // 3, 0.10, rng, 0.05, p0) < 0.6


def test_agent_day_pilots_need_the_design_effect(log):
    plan = design_pilot(log, "billing_history", "handle_s", mde=0.10, unit="agent-day")
    flat = design_pilot(log, "billing_history", "handle_s", mde=0.10, unit="contact")
    assert plan.icc > 0 and plan.design_effect > 1
    assert plan.contacts_per_arm == pytest.approx(flat.contacts_per_arm * plan.design_effect, abs=1)
    # resample whole agent-days from the log: the real clustering, not a model of it
    d = _relevant(log, "billing_history")
    d = d[d["agent_id"].notna()]
    cl = d["agent_id"].astype(str) + "|" + d["received_at"].dt.date.astype(str)
    g = d.groupby(cl)["handle_s"]
    sums, counts = g.sum().to_numpy(float), g.size().to_numpy(float)
    rng = np.random.default_rng(2)
    k = plan.clusters_per_arm

    def rate(effect):
        it, ic = rng.integers(0, len(sums), (PILOTS, k)), rng.integers(0, len(sums), (PILOTS, k))
        st, nt, sc, nc = sums[it] * (1 - effect), counts[it], sums[ic], counts[ic]
        mt, mc = st.sum(1) / nt.sum(1), sc.sum(1) / nc.sum(1)
        vt = ((st - mt[:, None] * nt) ** 2).sum(1) / nt.sum(1) ** 2 * k / (k - 1)
        vc = ((sc - mc[:, None] * nc) ** 2).sum(1) / nc.sum(1) ** 2 * k / (k - 1)
        return float((np.abs((mt - mc) / np.sqrt(vt + vc)) > 1.96).mean())

    assert abs(rate(0.10) - 0.8) <= 0.07
    assert 0.02 <= rate(0.0) <= 0.09


def test_icc_and_design_effect_recover_planted_values():
    from flowkit.pilot import design_effect

    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(400), 20)
    y = rng.normal(0, np.sqrt(0.2), 400)[g] + rng.normal(0, np.sqrt(0.8), len(g))
    assert icc_oneway(y, g) == pytest.approx(0.2, abs=0.04)
    assert design_effect(y, g) == pytest.approx(1 + 19 * 0.2, rel=0.2)
    assert icc_oneway(rng.normal(size=len(g)), g) < 0.02


def test_assignment_is_reproducible_and_balanced(log):
    plan = design_pilot(log, "equipment_config", "handle_s", seed=5)
    a, b = assignment(plan), assignment(plan)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 2 * plan.contacts_per_arm
    assert abs(a["arm"].eq("treatment").sum() - plan.contacts_per_arm) <= 2
    other = assignment(design_pilot(log, "equipment_config", "handle_s", seed=6))
    assert not a["arm"].equals(other["arm"])
    ad = assignment(design_pilot(log, "equipment_config", "handle_s", unit="agent-day"), log, start="2027-01-04")
    assert {"agent_id", "date", "arm"} <= set(ad.columns)


def test_bad_requests_are_errors_naming_the_problem(log):
    with pytest.raises(FlowkitError, match="never in data_used"):
        design_pilot(log, "shoe_size")
    with pytest.raises(FlowkitError, match="mde"):
        design_pilot(log, "account", mde=1.5)


def _pilot_log(log, effect_h, effect_r, seed, skew=0.5):
    rng = np.random.default_rng(seed)
    d = _relevant(log, "equipment_config").copy()
    d["arm"] = np.where(rng.random(len(d)) < skew, "treatment", "control")
    t = d["arm"].eq("treatment")
    d.loc[t, "handle_s"] = d.loc[t, "handle_s"] * (1 + effect_h)
    flip = t & ~d["resolved"].astype(bool) & (rng.random(len(d)) < effect_r)
    d.loc[flip, "resolved"] = True
    return d


def test_pilot_analysis_finds_a_planted_effect_and_writes_a_data_field(log):
    d = _pilot_log(log, -0.2, 0.3, 3)
    res = analyse_pilot(d, "equipment_config")
    h = res.effects["handle_s"]
    base = d.loc[d["arm"].eq("control"), "handle_s"].mean()
    assert h["ci_low"] < -0.2 * base < h["ci_high"] and h["significant"]
    assert res.srm_ok and res.cluster == "agent_id" and h["clusters"] > 5
    entry = res.data_field()["equipment_config"]
    assert entry["handle_factor"] == pytest.approx(0.8, abs=0.06) and entry["handle_factor_se"] > 0
    assert entry["resolve_p_add"] > 0 and entry["resolve_p_add_se"] > 0
    json.dumps(res.to_json_dict())
    # the entry is a valid scenario data field
    from flowkit.sim.scenario import scenario_from_dict

    sc = scenario_from_dict(
        {
            "name": "x",
            "agents": [{"team": "a", "count": 2, "channels": ["phone"]}],
            "demand": [
                {
                    "type": "t",
                    "channel": "phone",
                    "rate_per_hour": 1,
                    "handle": {"dist": "exponential", "mean_s": 60},
                    "needs": ["equipment_config"],
                }
            ],
            "data_fields": res.data_field(),
        }
    )
    assert sc.data_fields["equipment_config"].handle_factor_se == entry["handle_factor_se"]


def test_sample_ratio_mismatch_and_no_effect(log):
    d = _pilot_log(log, 0.0, 0.0, 4, skew=0.6)
    res = analyse_pilot(d, "equipment_config")
    assert not res.srm_ok and res.srm_p < 0.001
    even = analyse_pilot(_pilot_log(log, 0.0, 0.0, 5), "equipment_config")
    assert even.srm_ok and not even.effects["handle_s"]["significant"]
    assert not even.balance["flag"].any()
