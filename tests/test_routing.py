"""Routing in the simulator (issue 16 q2): skills with priorities and attribute matching, against
theory (longest-idle, Erlang C of the pool that may serve) and against the scenario contract."""

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowkit.errors import ScenarioError
from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.model import LOG_COLUMNS, simulate_replication
from flowkit.sim.theory import erlang_c


def _doc(routing=None, counts=(4, 6), rate=36.0, recontact=True, **extra):
    doc = {
        "name": "match",
        "seed": 5,
        "horizon_hours": 120,
        "warmup_hours": 10,
        "replications": 4,
        "agents": [
            {"team": "experts", "channels": ["phone"], "count": counts[0], "profile": "expert"},
            {"team": "generalists", "channels": ["phone"], "count": counts[1], "profile": "generalist"},
        ],
        "demand": [
            {
                "type": "call",
                "channel": "phone",
                "rate_per_hour": rate,
                "handle": {"dist": "exponential", "mean_s": 300},
                "resolve_p": 0.7,
            }
        ],
    }
    if recontact:
        doc["recontact"] = {"p": 0.6, "delay": {"dist": "exponential", "mean_s": 6 * 3600}}
    if routing is not None:
        doc["routing"] = routing
    return doc | extra


def _routing(policy="matching", limit=60, hf=0.8, add=0.1, share=0.4):
    return {
        "policy": policy,
        "segments": {"senior": share},
        "wait_limit_s": limit,
        "matches": [{"profile": "expert", "segment": "senior", "handle_factor": hf, "resolve_p_add": add}],
    }


def _run(doc, reps=None, log=False):
    return simulate(scenario_from_dict(doc), reps, workers=1, keep_log=log)


def test_matching_with_wait_limit_zero_is_longest_idle():
    """With no time to wait for a match every contact goes to the longest-idle agent: the same
    agents answer the same customers, so every KPI of every replication is identical (the
    modifiers act on whoever happens to match)."""
    base = _run(_doc(_routing(policy="longest_idle")), log=True)
    zero = _run(_doc(_routing(policy="matching", limit=0)), log=True)
    pd.testing.assert_frame_equal(base.per_replication, zero.per_replication)
    pd.testing.assert_frame_equal(base.log, zero.log)
    # and a wait limit does change who answers
    sixty = _run(_doc(_routing(limit=60)))
    assert (sixty.per_replication["matched_share"] > base.per_replication["matched_share"]).all()


def test_no_routing_block_is_the_model_as_it_was():
    """Longest-idle with a routing block differs from the plain model only by the routing KPIs."""
    plain = _run(_doc(None, recontact=False))
    routed = _run(_doc(_routing(policy="longest_idle", hf=1.0, add=0.0), recontact=False))
    extra = {"mean_handle_s", "matched_share", "failure_contacts"}
    assert set(routed.per_replication.columns) - set(plain.per_replication.columns) == extra
    pd.testing.assert_frame_equal(plain.per_replication, routed.per_replication.drop(columns=sorted(extra)))


def test_waiting_for_a_match_forever_is_erlang_c_of_the_matching_pool():
    """Every customer in one segment only the four experts match, no limit: the six others never
    answer, and waits are those of an M/M/4 (Erlang C), not of ten agents."""
    routing = _routing(limit="never", hf=1.0, add=0.0, share=1.0)
    rate = 0.75 * 4 / 300 * 3600  # load 0.75 on the four experts
    doc = _doc(routing, rate=rate, recontact=False) | {"horizon_hours": 300, "replications": 10, "seed": 17}
    r = _run(doc, log=True)
    theory = erlang_c(rate / 3600, 300, 4, 20)
    s = r.summary
    for k, want in (("mean_wait_s", theory.mean_wait_s), ("p_wait", theory.p_wait)):
        assert s[k]["ci95_low"] <= want <= s[k]["ci95_high"], (k, want, s[k])
    assert set(r.log["team"].dropna()) == {"experts"}
    assert r.summary["matched_share"]["mean"] == 1.0
    ten = erlang_c(rate / 3600, 300, 10, 20)
    assert s["mean_wait_s"]["ci95_low"] > 20 * ten.mean_wait_s


def test_a_wait_limit_lets_anyone_answer_after_it():
    """With a 30 s limit no contact that a match did not answer waited less than 30 s for anyone else."""
    r = _run(_doc(_routing(limit=30, share=1.0), rate=60), log=True)
    log = r.log[r.log["outcome"].eq("answered")]
    others = log[log["team"].eq("generalists")]
    assert len(others) > 100 and (others["wait_s"] >= 30 - 1e-6).all()
    assert (log[log["team"].eq("experts")]["wait_s"] < 30).any()


def test_same_seed_same_result_and_matching_buys_handle_time_and_resolution():
    a, b = _run(_doc(_routing())), _run(_doc(_routing()))
    pd.testing.assert_frame_equal(a.per_replication, b.per_replication)
    base = _run(_doc(_routing(policy="longest_idle")))
    d = a.per_replication - base.per_replication
    assert (d["mean_handle_s"] < 0).all() and (d["one_stop"] > 0).all()
    assert d["failure_contacts"].mean() < 0


def test_skills_serve_the_most_urgent_type_first_and_only_listed_types():
    doc = {
        "name": "skills",
        "seed": 9,
        "horizon_hours": 150,
        "warmup_hours": 5,
        "replications": 3,
        "routing": {"policy": "skills"},
        "agents": [
            {"team": "billing", "channels": ["phone"], "count": 3, "types": ["billing", "fault"]},
            {"team": "faults", "channels": ["phone"], "count": 3, "types": ["fault"]},
        ],
        "demand": [
            {
                "type": "billing",
                "channel": "phone",
                "rate_per_hour": 15,
                "handle": {"dist": "exponential", "mean_s": 300},
            },
            {
                "type": "fault",
                "channel": "phone",
                "rate_per_hour": 45,
                "handle": {"dist": "exponential", "mean_s": 300},
            },
        ],
    }
    log = _run(doc, log=True).log
    log = log[log["outcome"].eq("answered")]
    assert not (log["team"].eq("faults") & log["demand_type"].eq("billing")).any()
    waits = log.groupby("demand_type")["wait_s"].mean()
    assert waits["billing"] < 0.75 * waits["fault"]  # the billing team takes billing first
    # longest-idle with the same types: billing no longer first
    doc["routing"] = {"policy": "longest_idle"}
    li = _run(doc, log=True).log
    li = li[li["outcome"].eq("answered")]
    assert not (li["team"].eq("faults") & li["demand_type"].eq("billing")).any()
    assert li.groupby("demand_type")["wait_s"].mean()["billing"] > waits["billing"]


@pytest.mark.parametrize(
    "change, key, words",
    [
        ({"routing": {"policy": "nearest"}}, "routing.policy", "not a routing policy"),
        ({"routing": {"segments": {"a": 0.7, "b": 0.6}}}, "routing", "add up to 1.3"),
        ({"routing": {"policy": "matching"}}, "routing", "needs matches"),
        ({"routing": _routing() | {"wait_limit_s": -5}}, "routing.wait_limit_s", "never"),
        ({"routing": _routing() | {"matches": [{"profile": "expert", "segment": "young"}]}}, "routing", "young"),
        (
            {"routing": _routing() | {"matches": [{"profile": "exprt", "segment": "senior"}]}},
            "routing.matches[0].profile",
            "not the profile of any team",
        ),
        (
            {"routing": _routing() | {"matches": [{"profile": "expert", "segment": "senior", "handle_factor": 0}]}},
            "routing.matches[0].handle_factor",
            "must be > 0",
        ),
    ],
)
def test_bad_routing_keys_are_clear_errors(change, key, words):
    with pytest.raises(ScenarioError, match=r"^scen\.yaml: " + key.replace("[", r"\[").replace("]", r"\]")) as e:
        scenario_from_dict(_doc() | change, "scen.yaml")
    assert words in str(e.value)


def test_a_team_type_no_stream_has_is_an_error():
    doc = _doc()
    doc["agents"][0]["types"] = ["cal"]
    with pytest.raises(ScenarioError, match=r"agents\[0\]\.types.*'cal'"):
        scenario_from_dict(doc, "scen.yaml")


def test_compare_says_what_matching_buys_and_costs():
    from flowkit.sim.compare import compare
    from flowkit.sim.routing_report import matching_lines

    base = scenario_from_dict(_doc(_routing(policy="longest_idle"), rate=90))
    match = scenario_from_dict(_doc(_routing(limit=60), rate=90) | {"name": "matching"})
    c = compare(base, {"matching": match}, workers=1)
    d = c.deltas["matching"]
    assert {"mean_handle_s", "matched_share", "failure_contacts"} <= set(d)
    assert d["mean_handle_s"]["ci95_high"] < 0 and d["matched_share"]["ci95_low"] > 0
    (line,) = matching_lines(c.deltas, base.horizon_hours)
    assert line.startswith("matching: routing saves") and "95% CI" in line and "per 120 h" in line
    # a CI holding zero is said as such, never as a gain
    flat = {k: {"mean": 0.5, "ci95_low": -1.0, "ci95_high": 2.0, "statistically_significant": False} for k in d}
    (words,) = matching_lines({"v": flat})
    assert words.count("no significant difference") == 4 and "saves" not in words
    # a comparison without routing KPIs says nothing about matching
    assert matching_lines({"v": {"mean_wait_s": flat["mean_wait_s"]}}) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policy=st.sampled_from(["longest_idle", "skills", "matching"]),
    limit=st.one_of(st.just("never"), st.floats(0, 600)),
    share=st.floats(0, 1),
    counts=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    rate=st.floats(1, 60),
    hf=st.floats(0.3, 2.0),
    add=st.floats(-0.5, 0.5),
    types=st.booleans(),
    patience=st.booleans(),
    blended=st.booleans(),
)
def test_random_routing_scenarios_never_crash_and_conserve(
    policy, limit, share, counts, rate, hf, add, types, patience, blended
):
    """Any policy, limit, share and mix of types, blended e-mail, pre-emption and abandonment: every
    contact is counted once, no wait or handle time is negative, nobody answers twice at once."""
    doc = _doc(_routing(policy, limit, hf, add, share), counts=counts, rate=rate)
    doc |= {"horizon_hours": 16, "warmup_hours": 1}
    doc["demand"].append(
        {
            "type": "billing",
            "channel": "phone",
            "rate_per_hour": rate / 3,
            "handle": {"dist": "exponential", "mean_s": 200},
        }
    )
    if types:
        doc["agents"][0]["types"] = ["billing", "call"]
        doc["agents"][1]["types"] = ["call"]
    if patience:
        doc["patience"] = {"dist": "exponential", "mean_s": 120}
    if blended:
        doc["agents"][1]["channels"] = ["phone", "email"]
        doc["demand"].append(
            {"type": "mail", "channel": "email", "rate_per_hour": 3, "handle": {"dist": "exponential", "mean_s": 400}}
        )
        doc["switch_cost_s"] = 20
    r = simulate_replication(scenario_from_dict(doc), 0, keep_log=True)
    assert sum(r.outcomes.values()) == r.offered == len(r.rows)
    log = pd.DataFrame(r.rows, columns=LOG_COLUMNS)
    assert (log["wait_s"].dropna() >= 0).all() and (log["handle_s"].dropna() >= 0).all()
    assert 0 <= r.kpis["occupancy"] <= 1 + 1e-9
    if types:
        assert not (log["team"].eq("generalists") & log["demand_type"].eq("billing")).any()
    # an agent holds one item at a time: its answered contacts do not overlap
    done = log[log["outcome"].eq("answered") & log["ended_at_s"].notna()].sort_values("answered_at_s")
    for _, g in done[done["channel"].eq("phone")].groupby("agent_id"):
        assert (g["answered_at_s"].to_numpy()[1:] >= g["ended_at_s"].to_numpy()[:-1] - 1e-6).all()
