"""One company across channels (issue 16 q4, simulator side): re-telling on hand-offs and switched
returns, "tell us once" as a paired what-if, and the re-telling cost calibrated from a planted log."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from flowkit.analyse.channels import mark_switches
from flowkit.errors import ScenarioError
from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.calibrate.customers import leaving_from_log, net_handle, retelling_from_log
from flowkit.sim.compare import compare
from flowkit.sim.customer_keys import TellUsOnce
from flowkit.synth.channels import ChannelTruth, generate_channel_log
from flowkit.synth.churn import generate_churn_log

FIXED = {"dist": "fixed", "mean_s": 200}


def centre(reauth_s=0.0, agents=40, **changes):
    """Phone and chat; half the unresolved contacts are handed off to a back office, failure demand
    comes back a day later. With ``agents`` ample nobody queues, so times do not depend on load."""
    doc = {
        "name": "centre",
        "seed": 21,
        "horizon_hours": 24 * 10,
        "warmup_hours": 24,
        "replications": 6,
        "ivr": {"reauth_s": reauth_s},
        "agents": [
            {"team": "front", "count": agents, "channels": ["phone", "chat"]},
            {"team": "back", "count": agents, "channels": ["email"]},
        ],
        "handoff": {"p": 0.5, "team": "back", "handle": {"dist": "fixed", "mean_s": 300}, "resolve_p": 0.6},
        "recontact": {"p": 0.7, "delay": {"dist": "fixed", "mean_s": 86400}, "as": "progress_chasing"},
        "demand": [
            {"type": "call", "channel": "phone", "rate_per_hour": 20, "handle": FIXED, "resolve_p": 0.5},
            {"type": "chat", "channel": "chat", "rate_per_hour": 10, "handle": FIXED, "resolve_p": 0.5},
            {"type": "mail", "channel": "email", "rate_per_hour": 2, "handle": FIXED, "resolve_p": 0.9},
        ],
    }
    doc.update(changes)
    return scenario_from_dict(doc)


def test_tell_us_once_with_nothing_to_remove_equals_the_base_exactly():
    base = centre(reauth_s=0.0)
    comp = compare(base, {"once": base.with_changes(tell_us_once=TellUsOnce())}, workers=1)
    assert comp.variants["once"].per_replication.equals(comp.base.per_replication)
    assert all(d["mean"] == 0 and d["ci95_low"] == 0 == d["ci95_high"] for d in comp.deltas["once"].values())


def test_carried_hand_offs_save_reauthentication_and_retelling_per_hand_off():
    reauth, retell = 45.0, 80.0
    base = centre(reauth_s=reauth, retelling={"handoff_s": retell})
    once = base.with_changes(tell_us_once=TellUsOnce(handoff=True, channel_switch=False))
    b = simulate(base, workers=1, replications=4)
    o = simulate(once, workers=1, replications=4, keep_log=False)
    handed = b.log[b.log["handling"].eq("pass_on")].groupby("replication").size().to_numpy()
    expected = handed * (reauth + retell) / 3600.0
    saved = (b.per_replication["agent_hours"] - o.per_replication["agent_hours"]).to_numpy()
    # each hand-off is shorter by reauth + retell; a few at the window's edges are partly outside it
    assert np.allclose(saved, expected, rtol=0.02), (saved, expected)
    assert (o.per_replication["contacts_offered"] == b.per_replication["contacts_offered"]).all()


def test_switched_returns_come_through_the_other_channel_and_retell():
    sc = centre(retelling={"switch_p": 0.4, "switch_to": "phone", "switch_s": 75})
    r = simulate(sc, workers=1, replications=2)
    log = r.log
    prev = log[["replication", "customer_id", "attempt", "channel"]].assign(attempt=lambda d: d["attempt"] + 1)
    returns = log[log["attempt"] > 1].merge(
        prev, on=["replication", "customer_id", "attempt"], suffixes=("", "_before")
    )
    returns = returns[returns["channel_before"].eq("chat")]  # failure demand returning from a chat
    on_phone = returns["channel"].eq("phone")
    n = len(returns)
    assert n > 500
    assert abs(on_phone.mean() - 0.4) < 3 * np.sqrt(0.4 * 0.6 / n)
    handled = returns[returns["handle_s"].notna()]
    # chat's fixed 200 s, plus 75 s of re-telling when switched
    assert np.allclose(handled.loc[handled["channel"].eq("phone"), "handle_s"], 275.0)
    assert np.allclose(handled.loc[handled["channel"].eq("chat"), "handle_s"], 200.0)
    once = simulate(sc.with_changes(tell_us_once=TellUsOnce()), workers=1, replications=2)
    ol = once.log
    switched = ol[(ol["attempt"] > 1) & ol["channel"].eq("phone") & ol["handle_s"].notna()]
    assert np.allclose(switched.loc[switched["customer_id"].isin(handled["customer_id"]), "handle_s"], 200.0)


def test_carried_context_returns_less_often_by_the_factor():
    base = centre()
    once = base.with_changes(tell_us_once=TellUsOnce(handoff=True, channel_switch=False, return_factor=0.5))
    b = simulate(base, workers=1, replications=3)
    o = simulate(once, workers=1, replications=3)

    def returns_after_hand_off(log):
        handed = log[log["handling"].eq("pass_on")][["replication", "customer_id", "attempt"]]
        nxt = log[["replication", "customer_id", "attempt"]].assign(attempt=lambda d: d["attempt"] - 1)
        return len(handed.merge(nxt, on=["replication", "customer_id", "attempt"]))

    rb, ro = returns_after_hand_off(b.log), returns_after_hand_off(o.log)
    assert rb > 500
    assert abs(ro / rb - 0.5) < 3 * np.sqrt(0.25 / rb), (ro, rb)
    assert o.summary["failure_share"]["mean"] < b.summary["failure_share"]["mean"]


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"retelling": {"switch_p": 0.2, "switch_to": "visit"}}, "retelling.switch_to"),
        ({"retelling": {"switch_p": 0.2, "switch_to": "pigeon"}}, "retelling.switch_to"),
        ({"retelling": {"handoff_s": -1}}, "retelling.handoff_s"),
        ({"tell_us_once": {"handoff": False, "channel_switch": False}}, "tell_us_once"),
        ({"tell_us_once": {"return_factor": 1.5}}, "tell_us_once.return_factor"),
    ],
)
def test_impossible_keys_are_errors_naming_the_key(changes, key):
    with pytest.raises(ScenarioError, match=key.replace(".", r"\.")):
        centre(**changes)


def test_retelling_is_calibrated_from_the_planted_log_and_taken_out_of_handle_times():
    log = generate_channel_log(4000, seed=3, truth=ChannelTruth(retell_s=75.0, handoff_s=120.0))
    key, notes, per_contact = retelling_from_log(log, channels=["phone", "chat", "email"])
    assert abs(key["transfer_s"] - 120.0) < 20, key  # planted: a passed-on contact takes 120 s longer
    assert abs(key["switch_s"] - 75.0) < 20, key
    timed = log[log["handle_s"].notna()]
    assert key["transfer_p"] == pytest.approx(timed["handling"].eq("pass_on").mean(), abs=1e-4)
    switched = log.sort_values("received_at").groupby("case_id")["channel"].agg(list)
    into = [b for chans in switched for a, b in pairwise(chans) if a != b]
    assert key["switch_to"] == max(set(into), key=into.count)  # where most switches go
    assert 0.1 < key["switch_p"] < 0.5
    marked = mark_switches(log)
    marked = marked[marked["handle_s"].notna()]
    planted = marked["handed_off"].mean() * 120.0 + marked["switched"].mean() * 75.0  # seconds per timed contact
    assert per_contact == pytest.approx(planted, rel=0.15)
    sc = centre(retelling=key)  # what it writes is a valid scenario key
    net = net_handle(sc, per_contact)
    assert [s.handle.mean_s for s in net.demand] == pytest.approx([200 - per_contact] * 3)
    flat, notes, none = retelling_from_log(
        generate_channel_log(4000, seed=3, truth=ChannelTruth(retell_s=0.0, handoff_s=0.0)), ["phone", "chat"]
    )
    assert flat == {} and none == 0.0 and net_handle(sc, none) is sc
    assert any("no evidence" in n for n in notes)


def test_transfers_retell_on_their_share_of_contacts_and_tell_us_once_removes_it():
    sc = centre(retelling={"transfer_p": 0.25, "transfer_s": 90})
    r = simulate(sc, workers=1, replications=2)
    answered = r.log[r.log["handle_s"].notna() & r.log["channel"].isin(["phone", "chat"])]
    longer = answered["handle_s"].round(6).eq(290.0)
    assert answered["handle_s"].round(6).isin([200.0, 290.0]).all()
    assert abs(longer.mean() - 0.25) < 3 * np.sqrt(0.25 * 0.75 / len(answered))
    once = simulate(sc.with_changes(tell_us_once=TellUsOnce()), workers=1, replications=2)
    assert once.log.loc[once.log["channel"].isin(["phone", "chat"]), "handle_s"].dropna().round(6).eq(200.0).all()


def test_leaving_is_calibrated_from_the_log_life_table():
    log = generate_churn_log(6000, seed=2)
    key, note = leaving_from_log(log)
    assert key["by_contact"][3] > 2 * key["by_contact"][2]  # the planted jump at the fourth contact
    assert "churned_at" in note
    none, why = leaving_from_log(generate_churn_log(500, seed=2, signal="none"))
    assert none is None and "cannot say who left" in why
