"""Scenario files: the examples load, and every mistake names its key and file."""

from pathlib import Path

import numpy as np
import pytest

from flowkit.errors import ScenarioError
from flowkit.sim import load_scenario, scenario_from_dict

SIMULATIONS = Path(__file__).resolve().parents[1] / "simulations"


def base(**changes):
    doc = {
        "name": "t",
        "agents": [{"team": "front", "count": 2, "channels": ["phone"]}],
        "demand": [
            {"type": "x", "channel": "phone", "rate_per_hour": 10, "handle": {"dist": "exponential", "mean_s": 60}}
        ],
    }
    doc.update(changes)
    return doc


@pytest.mark.parametrize("path", sorted(SIMULATIONS.glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_scenarios_load(path):
    sc = load_scenario(path)
    assert sc.demand and sc.agents


@pytest.mark.parametrize(
    "changes,key,message",
    [
        ({"horizon": 5}, "horizon", "unknown key"),
        ({"replications": 0}, "replications", "must be >= 1"),
        ({"seed": "seven"}, "seed", "whole number"),
        (
            {
                "demand": [
                    {"type": "x", "channel": "phone", "rate_per_hour": -3, "handle": {"dist": "fixed", "mean_s": 1}}
                ]
            },
            "demand[0].rate_per_hour",
            "must be >= 0",
        ),
        (
            {
                "demand": [
                    {
                        "type": "x",
                        "channel": "phone",
                        "rate_per_hour": 3,
                        "resolve_p": 1.5,
                        "handle": {"dist": "fixed", "mean_s": 1},
                    }
                ]
            },
            "demand[0].resolve_p",
            "must be <= 1",
        ),
        (
            {
                "demand": [
                    {"type": "x", "channel": "email", "rate_per_hour": 3, "handle": {"dist": "fixed", "mean_s": 1}}
                ]
            },
            "demand[0].channel",
            "no team serves 'email'",
        ),
        (
            {
                "agents": [
                    {"team": "front", "count": 2, "channels": ["phone"]},
                    {"team": "idle", "count": 1, "channels": ["fax"]},
                ]
            },
            "agents[1].channels",
            "which no demand uses",
        ),
        (
            {
                "demand": [
                    {"type": "x", "channel": "phone", "rate_per_hour": 3, "handle": {"dist": "gamma", "mean_s": 1}}
                ]
            },
            "demand[0].handle.dist",
            "'gamma'",
        ),
        (
            {
                "demand": [
                    {
                        "type": "x",
                        "channel": "phone",
                        "rate_per_hour": 3,
                        "profile_per_hour": [1] * 24,
                        "handle": {"dist": "fixed", "mean_s": 1},
                    }
                ]
            },
            "demand[0]",
            "exactly one of",
        ),
        ({"open_hours": {"phone": "Mon-Fri 18:00-08:00"}}, "open_hours.phone", "end must be after the start"),
        ({"open_hours": {"phone": "Mun-Fri 08:00-18:00"}}, "open_hours.phone", "'Mun' is not a day"),
        (
            {"recontact": {"p": 0.5, "delay": {"dist": "exponential", "mean_s": 10}, "as": "annoyed"}},
            "recontact.as",
            "'annoyed'",
        ),
        (
            {"handoff": {"p": 0.5, "team": "nobody", "handle": {"dist": "fixed", "mean_s": 1}}},
            "handoff.team",
            "not a team",
        ),
        ({"patience": {"dist": "exponential", "mean_s": 0}}, "patience.mean_s", "must be > 0"),
        ({"priority": ["phone", "pigeon"]}, "priority", "'pigeon' is not a channel"),
        ({"priority": ["phone", "phone"]}, "priority", "names a channel twice"),
        ({"priority": "newest"}, "priority", "or 'oldest'"),
        (
            {"agents": [{"team": "front", "count": 2, "channels": ["phone"], "priority": "x"}]},
            "agents[0].priority",
            "'oldest'",
        ),
        ({"deferred_reserve": -1}, "deferred_reserve", "must be >= 0"),
        ({"closed": {"return_p": 0.5, "within": 2}}, "closed.within", "unknown key"),
        (
            {
                "callback": {
                    "p_promised": 0.5,
                    "p_made": 0.5,
                    "delay": {"dist": "fixed", "mean_s": 1},
                    "chase": {"p": 2},
                }
            },
            "callback.chase.p",
            "must be <= 1",
        ),
        (
            {
                "demand": [
                    {"type": "x", "channel": "phone", "rate_per_hour": 3, "handle": {"dist": "fixed", "mean_s": 1}},
                    {"type": "x", "channel": "phone", "rate_per_hour": 3, "handle": {"dist": "fixed", "mean_s": 1}},
                ]
            },
            "demand[1].type",
            "repeats demand[0]",
        ),
    ],
)
def test_errors_name_the_key_and_the_file(changes, key, message):
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(base(**changes), "my.yaml")
    text = str(err.value)
    assert text.startswith(f"my.yaml: {key}") and message in text, text


def test_needs_must_name_a_data_field():
    doc = base()
    doc["demand"][0]["needs"] = ["crm_history"]
    with pytest.raises(ScenarioError, match=r"demand\[0\]\.needs: 'crm_history' is not under data_fields"):
        scenario_from_dict(doc, "s.yaml")


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "none.yaml")
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(tmp_path / "bad.yaml")


def test_open_hours_arithmetic():
    sc = scenario_from_dict(base(open_hours={"phone": "Mon-Fri 08:00-18:00; Sat 09:00-13:00"}))
    h = sc.open_hours["phone"]
    assert h.is_open(8 * 3600) and not h.is_open(18 * 3600) and not h.is_open(6 * 86400 + 10 * 3600)
    assert h.next_open(19 * 3600) == 86400 + 8 * 3600  # Monday evening -> Tuesday 08:00
    assert h.next_open(5 * 86400 + 14 * 3600) == 7 * 86400 + 8 * 3600  # Saturday afternoon -> Monday


def test_warmup_left_out_or_auto_is_measured_from_the_failure_loop():
    from flowkit.sim.warmup import missing_share, warmup_hours

    loop = base(recontact={"p": 0.8, "delay": {"dist": "exponential", "mean_s": 86400}})
    loop["demand"][0]["resolve_p"] = 0.5
    auto = scenario_from_dict(loop)
    assert auto.warmup_hours is None and scenario_from_dict(dict(loop, warmup_hours="auto")).warmup_hours is None
    w = warmup_hours(auto)
    # gain x = 0.5 x 0.8; generation n arrives after a Gamma(n, 24 h) delay: the missing share, exactly
    from scipy import stats

    x = 0.4
    hours = np.arange(0, 400.0)
    weights = x ** np.arange(1, 60) * (1 - x) / x
    exact = sum(wn * stats.gamma.sf(hours, n, scale=24.0) for n, wn in enumerate(weights, start=1))
    first = hours[np.argmax(exact <= 0.01)]
    assert abs(w - first) <= 4, (w, first)
    assert missing_share(auto, [w])[0] <= 0.01 < missing_share(auto, [w - 2])[0]
    assert warmup_hours(scenario_from_dict(base())) == 2.0  # no loop: the minimum
    assert warmup_hours(scenario_from_dict(dict(loop, warmup_hours=5))) == 5.0  # given: used as given


def test_every_section_becomes_the_dataclass_the_model_reads():
    """Hand-computed expectations for each key, so the contract-to-dataclass step loses nothing."""
    weekly = {day: [i] * 24 for i, day in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])}
    sc = scenario_from_dict(
        base(
            agents=[
                {"team": "front", "count": 2, "channels": ["phone"], "priority": "oldest"},
                {
                    "team": "back",
                    "channels": ["email"],
                    "shifts": [{"days": "Sat-Mon", "start": "08:30", "end": "17:00", "count": 3}],
                },
            ],
            demand=[
                {
                    "type": "x",
                    "channel": "phone",
                    "by_weekday": weekly,
                    "handle": {"dist": "empirical", "values": [10, 30]},
                },
                {
                    "type": "y",
                    "channel": "email",
                    "demand": "failure",
                    "failure_type": "not_done",
                    "rate_per_hour": 2,
                    "handle": {"dist": "lognormal", "mean_s": 60, "cv": 0.5},
                    "needs": ["crm"],
                },
            ],
            data_fields={"crm": {"available": False, "handle_factor": 0.9, "resolve_p_add_se": 0.02}},
            recontact={"p": 0.2, "delay": {"dist": "fixed", "mean_s": 3600}, "as": "not_resolved"},
            callback={"p_promised": 0.5, "p_made": 0.4, "delay": {"dist": "exponential", "mean_s": 600}},
            handoff={"p": 0.1, "team": "back", "handle": {"dist": "fixed", "mean_s": 0}},
            closed={"return_p": 0.6},
            ivr={"exit_p": 0.05},
            warmup_hours=3,
            priority=["email", "phone"],
        )
    )
    front, back = sc.agents
    assert front.priority == "oldest" and front.count == 2 and back.count == 0
    assert back.shifts[0].days == (5, 6, 0) and (back.shifts[0].start_s, back.shifts[0].end_s) == (30600.0, 61200.0)
    x, y = sc.demand
    assert x.by_weekday[2] == (2,) * 24 and x.rate_at(2 * 86400 + 5) == 2 / 3600
    assert (x.handle.kind, x.handle.mean_s, x.handle.cv, x.handle.values) == ("empirical", 20.0, 0.5, (10.0, 30.0))
    assert (y.failure_type, y.needs, y.handle.cv) == ("not_done", ("crm",), 0.5)
    assert sc.data_fields["crm"].handle_factor == 0.9 and sc.data_fields["crm"].resolve_p_add_se == 0.02
    assert sc.recontact.as_type == "not_resolved" and sc.recontact.handle_factor == 1.0
    assert sc.callback.chase_p == 1.0 and sc.callback.chase_delay is None and sc.callback.delay.cv == 1.0
    assert sc.handoff.team == "back" and sc.handoff.resolve_p == 1.0
    assert (sc.closed_return_p, sc.closed_return_within_hours) == (0.6, 1.0)
    assert (sc.ivr.exit_p, sc.ivr.delay_s) == (0.05, 0.0)
    assert sc.warmup_hours == 3.0 and sc.priority == ("email", "phone") and sc.replications == 20


@pytest.mark.parametrize(
    "changes,key,message",
    [
        ({"horizon_hours": 1e12}, "horizon_hours", "must be <= 43,800"),
        ({"replications": 5000}, "replications", "must be <= 1,000"),
        ({"agents": [{"team": "front", "count": 10**9, "channels": ["phone"]}]}, "agents[0].count", "<= 10,000"),
        ({"service_level_s": float("nan")}, "service_level_s", "finite"),
        ({"ivr": {"delay_s": 1e10}}, "ivr.delay_s", "must be <= 31,536,000"),
        (
            {"data_fields": {"crm": {"available": True, "handle_factor": 1e6}}},
            "data_fields.crm.handle_factor",
            "<= 100",
        ),
    ],
)
def test_numbers_beyond_any_real_centre_are_refused(changes, key, message):
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(base(**changes), "my.yaml")
    assert str(err.value).startswith(f"my.yaml: {key}: ") and message in str(err.value), err.value
