"""The SimPy model's behaviour: reproducibility, conservation, opening hours, shifts, data, the failure loop."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowkit import schema
from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.model import simulate_replication

EXP = {"dist": "exponential", "mean_s": 300}


def scenario(**changes):
    doc = {
        "name": "t",
        "seed": 3,
        "horizon_hours": 48,
        "warmup_hours": 1,
        "replications": 3,
        "agents": [{"team": "front", "count": 4, "channels": ["phone"]}],
        "demand": [{"type": "x", "channel": "phone", "rate_per_hour": 30, "handle": EXP}],
    }
    doc.update(changes)
    return scenario_from_dict(doc)


def test_same_seed_same_result_other_seed_other_result():
    sc = scenario(patience={"dist": "exponential", "mean_s": 120})
    a, b = simulate(sc, workers=1), simulate(sc, workers=1)
    pd.testing.assert_frame_equal(a.per_replication, b.per_replication)
    pd.testing.assert_frame_equal(a.log, b.log)
    c = simulate(sc.with_changes(seed=4), workers=1)
    assert not a.per_replication.equals(c.per_replication)


def test_parallel_equals_serial():
    sc = scenario(patience={"dist": "exponential", "mean_s": 120})
    pd.testing.assert_frame_equal(simulate(sc, workers=1).per_replication, simulate(sc, workers=2).per_replication)


def test_simulated_log_is_a_contact_table():
    result = simulate(scenario(), workers=1)
    log = result.log
    assert schema.problems(log[list(schema.COLUMNS)]) == []
    assert len(log) == result.per_replication["contacts_offered"].sum()
    assert {"answered_at", "ended_at", "outcome", "replication"} <= set(log.columns)


def test_conservation_in_every_replication():
    sc = scenario(
        patience={"dist": "exponential", "mean_s": 90}, agents=[{"team": "front", "count": 3, "channels": ["phone"]}]
    )
    for rep in range(3):
        r = simulate_replication(sc, rep, keep_log=True)
        assert sum(r.outcomes.values()) == r.offered == len(r.rows)
        assert set(r.outcomes) <= {"answered", "abandoned", "waiting", "ivr", "closed"}


def test_closed_line_loses_calls_and_nobody_is_answered_outside_hours():
    sc = scenario(open_hours={"phone": "Mon-Fri 08:00-18:00"}, horizon_hours=24 * 7, closed={"return_p": 0.0})
    log = simulate(sc, replications=2, workers=1).log
    answered = log[log["outcome"] == "answered"]
    hour = answered["answered_at"].dt.hour
    assert hour.between(8, 18).all() and (answered["answered_at"].dt.day_of_week < 5).all()
    lost = log[log["outcome"] == "closed"]
    assert len(lost) > 0 and not lost["received_at"].dt.hour.between(8, 17).all()
    share_closed_hours = 1 - 50 / 168
    assert len(lost) / len(log) == pytest.approx(share_closed_hours, abs=0.03)


def test_agents_work_only_on_shift():
    sc = scenario(
        agents=[
            {
                "team": "front",
                "channels": ["phone"],
                "shifts": [{"days": "Mon-Sun", "start": "09:00", "end": "17:00", "count": 3}],
            }
        ],
        horizon_hours=72,
    )
    log = simulate(sc, replications=1, workers=1).log
    started = log.loc[log["outcome"] == "answered", "answered_at"].dt.hour
    assert started.between(9, 16).all()


def test_data_field_available_cuts_handle_time_and_raises_resolution():
    fields = {"equipment_config": {"available": False, "handle_factor": 0.5, "resolve_p_add": 0.3}}
    demand = [
        {
            "type": "fault",
            "channel": "phone",
            "rate_per_hour": 20,
            "handle": EXP,
            "resolve_p": 0.5,
            "needs": ["equipment_config"],
        }
    ]
    off = scenario(data_fields=fields, demand=demand, horizon_hours=200)
    on = off.with_changes(
        data_fields={"equipment_config": off.data_fields["equipment_config"].__class__(True, 0.5, 0.3)}
    )
    a, b = simulate(off, workers=1).log, simulate(on, workers=1).log
    assert b["handle_s"].mean() == pytest.approx(a["handle_s"].mean() * 0.5, rel=0.08)
    assert a["resolved"].mean() == pytest.approx(0.5, abs=0.03) and b["resolved"].mean() == pytest.approx(0.8, abs=0.03)
    assert set(b["data_used"].dropna()) == {"equipment_config"} and a["data_used"].isna().all()


def test_failure_loop_matches_its_closed_form():
    # each contact is unresolved with 1-r and comes back with q: returns per original = x/(1-x), x = (1-r)q
    r, q = 0.6, 0.75
    sc = scenario(
        demand=[
            {
                "type": "x",
                "channel": "phone",
                "rate_per_hour": 20,
                "handle": {"dist": "fixed", "mean_s": 60},
                "resolve_p": r,
            }
        ],
        agents=[{"team": "front", "count": 10, "channels": ["phone"]}],
        recontact={"p": q, "delay": {"dist": "fixed", "mean_s": 600}, "as": "progress_chasing"},
        horizon_hours=300,
        replications=4,
    )
    result = simulate(sc, workers=1)
    x = (1 - r) * q
    expected = x / (1 - x) / (1 + x / (1 - x))
    s = result.summary["failure_share"]
    assert s["ci95_low"] - 0.005 <= expected <= s["ci95_high"] + 0.005, (expected, s)
    log = result.log
    back = log[log["demand"] == "failure"]
    assert (back["failure_type"] == "progress_chasing").all() and (back["attempt"] > 1).all()
    # the returning contact belongs to the same case as the one that failed
    assert back["case_id"].isin(log.loc[log["attempt"] == 1, "case_id"]).mean() > 0.99


def test_handoff_goes_to_the_back_office_and_callbacks_can_be_missed():
    sc = scenario(
        agents=[
            {"team": "front", "count": 4, "channels": ["phone"]},
            {"team": "back", "count": 2, "channels": ["email"]},
        ],
        demand=[
            {"type": "x", "channel": "phone", "rate_per_hour": 20, "handle": EXP, "resolve_p": 0.3},
            {"type": "y", "channel": "email", "rate_per_hour": 1, "handle": EXP},
        ],
        handoff={"p": 0.5, "team": "back", "handle": {"dist": "fixed", "mean_s": 100}, "resolve_p": 1.0},
        callback={"p_promised": 1.0, "p_made": 0.0, "delay": {"dist": "fixed", "mean_s": 60}},
        recontact={"p": 1.0, "delay": {"dist": "fixed", "mean_s": 3600}, "as": "not_resolved"},
        horizon_hours=100,
    )
    log = simulate(sc, replications=1, workers=1).log
    first = log[(log["attempt"] == 1) & (log["channel"] == "phone") & (log["resolved"] == False)]  # noqa: E712
    assert first["handling"].isin(["pass_on", "pass_back"]).all()
    assert (first["handling"] == "pass_on").mean() == pytest.approx(0.5, abs=0.05)
    # a missed callback brings the customer back chasing progress, whatever recontact.as says
    assert "progress_chasing" in set(log["failure_type"].dropna())


def test_longest_idle_agent_takes_the_next_contact():
    sc = scenario(
        agents=[{"team": "front", "count": 3, "channels": ["phone"]}],
        demand=[{"type": "x", "channel": "phone", "rate_per_hour": 2, "handle": {"dist": "fixed", "mean_s": 10}}],
        horizon_hours=50,
    )
    log = simulate(sc, replications=1, workers=1).log.sort_values("answered_at")
    agents = log["agent_id"].tolist()
    # with light load nobody is ever busy when a call comes, so the work rotates strictly
    assert agents[:9] == agents[:3] * 3


scenario_strategy = st.fixed_dictionaries(
    {
        "agents": st.integers(1, 6),
        "rate": st.floats(0.5, 60),
        "mean": st.floats(5, 900),
        "dist": st.sampled_from(["exponential", "lognormal", "fixed"]),
        "patience": st.one_of(st.none(), st.floats(5, 600)),
        "resolve": st.floats(0, 1),
        "recontact": st.floats(0, 1),
        "hours": st.sampled_from([None, "Mon-Fri 08:00-18:00"]),
        "handoff": st.floats(0, 1),
        "ivr": st.floats(0, 60),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=scenario_strategy)
def test_random_valid_scenarios_never_crash_never_wait_negatively_and_conserve(p):
    handle = {"dist": p["dist"], "mean_s": p["mean"]} | ({"cv": 0.7} if p["dist"] == "lognormal" else {})
    doc = {
        "name": "prop",
        "seed": 1,
        "horizon_hours": 12,
        "warmup_hours": 0.5,
        "replications": 2,
        "agents": [
            {"team": "front", "count": p["agents"], "channels": ["phone"]},
            {"team": "back", "count": 1, "channels": ["email"]},
        ],
        "demand": [
            {"type": "a", "channel": "phone", "rate_per_hour": p["rate"], "handle": handle, "resolve_p": p["resolve"]},
            {"type": "b", "channel": "email", "rate_per_hour": 1, "handle": handle},
        ],
        "recontact": {"p": p["recontact"], "delay": {"dist": "exponential", "mean_s": 1800}},
        "handoff": {"p": p["handoff"], "team": "back", "handle": handle},
        "ivr": {"delay_s": p["ivr"]},
    }
    if p["patience"]:
        doc["patience"] = {"dist": "exponential", "mean_s": p["patience"]}
    if p["hours"]:
        doc["open_hours"] = {"phone": p["hours"]}
    sc = scenario_from_dict(doc)
    for rep in range(2):
        r = simulate_replication(sc, rep, keep_log=True)
        assert sum(r.outcomes.values()) == r.offered == len(r.rows)
        waits = np.array([row[8] for row in r.rows if row[8] is not None], dtype=float)
        assert (waits >= 0).all()
        handles = np.array([row[9] for row in r.rows if row[9] is not None], dtype=float)
        assert (handles >= 0).all()
        assert 0 <= r.kpis["occupancy"] <= 1 + 1e-9


# ---------------------------------------------------------------- channel priority for blended teams


def _blended(priority=None, email=True, mail_rate=1.5, **extra):
    """Phones 08:00-18:00 on weekdays; e-mail arrives round the clock, so an overnight backlog waits at 08:00."""
    doc = {
        "name": "blend",
        "seed": 31,
        "horizon_hours": 24 * 14,
        "warmup_hours": 24,
        "replications": 4,
        "open_hours": {"phone": "Mon-Fri 08:00-18:00"},
        "patience": {"dist": "exponential", "mean_s": 120},
        "agents": [
            {
                "team": "front",
                "channels": ["phone", "email"] if email else ["phone"],
                "shifts": [{"days": "Mon-Fri", "start": "08:00", "end": "18:00", "count": 8}],
            }
        ],
        "demand": [
            {"type": "call", "channel": "phone", "rate_per_hour": 60, "handle": {"dist": "exponential", "mean_s": 360}}
        ],
    }
    if email:
        doc["demand"].append(
            {
                "type": "mail",
                "channel": "email",
                "rate_per_hour": mail_rate,
                "handle": {"dist": "exponential", "mean_s": 300},
            }
        )
    if priority is not None:
        doc["priority"] = priority
    doc.update(extra)
    return scenario_from_dict(doc)


def _first_hour_abandonment(result):
    log = result.log
    phone = log[(log["channel"] == "phone") & (log["outcome"] != "closed")]
    early = phone[phone["received_at"].dt.hour == 8]
    return float(early["abandoned"].astype(bool).mean())


def _first_hour_ci(result):
    """Mean and 95% t-interval over replications of the 08:00-09:00 phone abandonment."""
    from scipy import stats

    log = result.log
    phone = log[(log["channel"] == "phone") & (log["outcome"] != "closed") & (log["received_at"].dt.hour == 8)]
    per = phone.groupby("replication")["abandoned"].apply(lambda x: x.astype(bool).mean()).to_numpy(dtype=float)
    low, high = stats.t.interval(0.95, len(per) - 1, loc=per.mean(), scale=stats.sem(per))
    return float(per.mean()), float(low), float(high)


def test_interrupting_deferred_work_keeps_blended_phone_abandonment_at_the_phone_only_models():
    """8 agents on phones 08:00-18:00 with e-mail arriving round the clock: at 08:00 the agents start on
    the overnight backlog before the first call. Pre-emptive priority (the default) takes an agent off
    an e-mail when a call finds nobody free, so the phones see the phone-only centre."""
    alone = simulate(_blended(email=False), workers=2)
    first = simulate(_blended(), workers=2)  # default: interrupt deferred work
    plain = simulate(_blended(interrupt_deferred=False), workers=2)  # non-pre-emptive priority
    oldest = simulate(_blended(priority="oldest"), workers=2)  # the old rule: oldest item first
    a, p, n, o = (r.summary["phone.abandon_rate"] for r in (alone, first, plain, oldest))
    assert a["ci95_low"] <= p["mean"] <= a["ci95_high"], (a, p)
    assert n["mean"] > a["ci95_high"], (a, n)  # without interruption the e-mail costs the phones
    assert o["mean"] > n["mean"]
    h_alone, h_first, h_plain, h_oldest = (_first_hour_ci(r) for r in (alone, first, plain, oldest))
    assert h_alone[1] <= h_first[0] <= h_alone[2], (h_alone, h_first)
    assert h_plain[0] > h_alone[2] and h_oldest[0] > h_plain[0], (h_alone, h_plain, h_oldest)
    assert first.summary["interruptions"]["mean"] > 100 and plain.summary["interruptions"]["mean"] == 0
    # keeping one agent free for the phones is the weaker remedy without interruption
    reserve = simulate(_blended(deferred_reserve=1, interrupt_deferred=False), workers=2)
    assert _first_hour_abandonment(reserve) < h_plain[0]
    # e-mail is still all served, after the phones
    assert first.summary["email.mean_wait_s"]["mean"] > oldest.summary["email.mean_wait_s"]["mean"]
    assert first.log.query("channel == 'email'")["outcome"].isin(["answered", "waiting"]).all()
    assert explicit_equals_default(first)


def test_interrupted_email_keeps_its_work_plus_the_switch_cost():
    """Pre-emptive resume: each e-mail's total handle time is its drawn handle time (the same customer's
    draw in a run without interruption) plus the switch cost once per interruption; and the e-mails
    interrupted are those of the agent who started most recently."""
    from flowkit.sim.model import LOG_COLUMNS

    col = {c: i for i, c in enumerate(LOG_COLUMNS)}
    cost = 37.0
    for rep in range(2):
        rows = simulate_replication(_blended(switch_cost_s=cost), rep).rows
        base = {r[col["contact_id"]]: r for r in simulate_replication(_blended(interrupt_deferred=False), rep).rows}
        mail = [r for r in rows if r[col["channel"]] == "email" and r[col["ended_at_s"]] is not None]
        hit = [r for r in mail if r[col["interruptions"]] > 0]
        assert len(hit) > 50, len(hit)
        drawn = extra = served = 0.0
        for r in mail:
            b = base.get(r[col["contact_id"]])
            if b is None or b[col["handle_s"]] is None:
                continue
            drawn += b[col["handle_s"]]
            extra += cost * r[col["interruptions"]]
            served += r[col["handle_s"]]
            assert r[col["handle_s"]] == pytest.approx(b[col["handle_s"]] + cost * r[col["interruptions"]], abs=1e-6)
            # it took at least its handle time from first answer to the end
            assert r[col["ended_at_s"]] - r[col["answered_at_s"]] >= r[col["handle_s"]] - 1e-6
        assert extra > 0 and served == pytest.approx(drawn + extra)
        # the first wait is what the record keeps: no e-mail waited longer than its time to completion
        assert all(r[col["wait_s"]] <= r[col["ended_at_s"]] - r[col["queued_at_s"]] for r in mail)


def test_interrupt_settings_are_validated():
    from flowkit.errors import FlowkitError

    with pytest.raises(FlowkitError, match="interrupt_deferred"):
        _blended(interrupt_deferred="yes")
    with pytest.raises(FlowkitError, match="interrupt_deferred"):
        _blended(priority="oldest", interrupt_deferred=True)
    with pytest.raises(FlowkitError, match=r"agents\[0\].interrupt_deferred"):
        _blended(
            agents=[
                {
                    "team": "front",
                    "channels": ["phone", "email"],
                    "priority": "oldest",
                    "interrupt_deferred": True,
                    "count": 8,
                }
            ]
        )
    with pytest.raises(FlowkitError, match="switch_cost_s"):
        _blended(switch_cost_s=-1)
    # a per-team override beats the scenario's setting
    team = {
        "team": "front",
        "channels": ["phone", "email"],
        "interrupt_deferred": False,
        "shifts": [{"days": "Mon-Fri", "start": "08:00", "end": "18:00", "count": 8}],
    }
    off = simulate(_blended(agents=[team], replications=1), workers=1, keep_log=False)
    assert off.summary["interruptions"]["mean"] == 0


def explicit_equals_default(default_result):
    explicit = simulate(_blended(priority=["phone", "email"]), workers=2, keep_log=False)
    return explicit.per_replication.equals(default_result.per_replication)


def test_an_age_limit_lets_old_deferred_work_jump_the_queue():
    plain = simulate(_blended(), workers=2, keep_log=True).log
    limited = simulate(_blended(priority_age_limit_hours=4), workers=2, keep_log=True).log

    def mail(log):
        return log.loc[(log["channel"] == "email") & (log["outcome"] == "answered"), "wait_s"].astype(float)

    # e-mail over four hours old at 08:00 is taken before the phones: fewer very long e-mail waits
    assert (mail(limited) > 16 * 3600).mean() <= (mail(plain) > 16 * 3600).mean()
    team_priority = _blended(
        agents=[
            {
                "team": "front",
                "channels": ["phone", "email"],
                "priority": ["email", "phone"],
                "shifts": [{"days": "Mon-Fri", "start": "08:00", "end": "18:00", "count": 8}],
            }
        ]
    )
    mail_first = simulate(team_priority, workers=2, keep_log=False).summary
    assert (
        mail_first["email.mean_wait_s"]["mean"]
        < simulate(_blended(), workers=2, keep_log=False).summary["email.mean_wait_s"]["mean"]
    )


# ---------------------------------------------------------------- KPIs as DESIGN defines them


def test_headline_queue_kpis_are_the_phones_not_pooled_with_the_email_backlog():
    r = simulate(_blended(), replications=2, workers=2, keep_log=False)
    s = r.summary
    assert r.headline_channel == "phone"
    assert s["mean_wait_s"]["mean"] == s["phone.mean_wait_s"]["mean"]
    assert s["email.mean_wait_s"]["mean"] > 20 * s["phone.mean_wait_s"]["mean"]
    # abandonment and service level are over every contact offered to the queue, answered at once or not
    log = simulate(_blended(), replications=1, workers=1).log
    phone = log[(log["channel"] == "phone") & (log["outcome"] != "closed")]
    per = simulate(_blended(), replications=1, workers=1, keep_log=False).per_replication.iloc[0]
    assert per["phone.abandon_rate"] == pytest.approx(phone["abandoned"].astype(bool).mean())
    answered_in_time = ((phone["outcome"] == "answered") & (phone["wait_s"].astype(float) <= 20)).mean()
    assert per["phone.service_level"] == pytest.approx(answered_in_time)


def test_undefined_kpis_are_nan_and_null_in_json_not_zero():
    sc = _blended(
        demand=[
            {"type": "call", "channel": "phone", "rate_per_hour": 60, "handle": {"dist": "exponential", "mean_s": 360}},
            {"type": "mail", "channel": "email", "rate_per_hour": 0, "handle": {"dist": "fixed", "mean_s": 60}},
        ],
        replications=2,
        horizon_hours=48,
    )
    r = simulate(sc, workers=1, keep_log=False)
    assert np.isnan(r.per_replication["email.mean_wait_s"]).all() and np.isnan(r.summary["email.service_level"]["mean"])
    doc = r.to_json_dict()
    assert doc["kpis"]["email.mean_wait_s"] == {"mean": None, "ci95_low": None, "ci95_high": None}
    assert doc["kpis"]["phone.mean_wait_s"]["mean"] > 0
    import json

    json.loads(json.dumps(doc, allow_nan=False))


# ---------------------------------------------------------------- callbacks, closed lines, load


def _callbacks(p_made):
    return scenario_from_dict(
        {
            "name": f"cb-{p_made}",
            "seed": 12,
            "horizon_hours": 24 * 10,
            "warmup_hours": 24 * 6,
            "replications": 6,
            "agents": [{"team": "front", "count": 10, "channels": ["phone"]}],
            "demand": [
                {
                    "type": "x",
                    "channel": "phone",
                    "rate_per_hour": 40,
                    "handle": {"dist": "exponential", "mean_s": 300},
                    "resolve_p": 0.6,
                }
            ],
            "callback": {
                "p_promised": 0.8,
                "p_made": p_made,
                "delay": {"dist": "exponential", "mean_s": 4 * 3600},
                "chase": {"p": 0.9, "delay": {"dist": "exponential", "mean_s": 24 * 3600}},
            },
            "recontact": {"p": 0.5, "delay": {"dist": "exponential", "mean_s": 24 * 3600}},
        }
    )


def test_missed_callbacks_come_back_as_progress_chasing_not_as_saved_hours():
    kept, missed = (simulate(_callbacks(p), workers=2, keep_log=True) for p in (0.9, 0.3))
    k, m = kept.summary, missed.summary
    assert m["failure_share"]["ci95_low"] > k["failure_share"]["ci95_high"]
    assert m["contacts_offered"]["mean"] > k["contacts_offered"]["mean"]
    assert m["agent_hours_failure"]["mean"] > k["agent_hours_failure"]["mean"]
    assert m["agent_hours"]["mean"] > 0.95 * k["agent_hours"]["mean"]
    chasing = missed.log[missed.log["failure_type"] == "progress_chasing"]
    assert len(chasing) > 0 and (chasing["attempt"] > 1).all()


def test_callers_who_find_the_line_closed_return_within_the_set_hours():
    sc = scenario(
        open_hours={"phone": "Mon-Fri 08:00-18:00"}, closed={"return_p": 1.0, "within_hours": 2}, horizon_hours=24 * 7
    )
    log = simulate(sc, replications=1, workers=1).log
    again = log[(log["attempt"] > 1) & (log["outcome"] != "closed")]
    assert len(again) > 100
    t = again["received_at"]
    assert (t.dt.hour.isin([8, 9]) & (t.dt.day_of_week < 5)).all()
    none = simulate(
        scenario(open_hours={"phone": "Mon-Fri 08:00-18:00"}, closed={"return_p": 0.0}), replications=1, workers=1
    ).log
    assert (none["attempt"] == 1).all()


def test_offered_load_at_or_above_capacity_is_a_warning_with_both_figures():
    from flowkit.sim.load import load_checks

    over = scenario(
        demand=[{"type": "x", "channel": "phone", "rate_per_hour": 60, "handle": EXP}], horizon_hours=4, replications=1
    )
    (check,) = load_checks(over)
    assert check.offered_erlangs == pytest.approx(5.0) and check.capacity_agents == pytest.approx(4.0)
    r = simulate(over, workers=1, keep_log=False)
    assert any("offered load 5.0 Erlangs" in w and "capacity of 4.0 agents" in w for w in r.warnings), r.warnings
    assert not simulate(scenario(horizon_hours=4, replications=1), workers=1, keep_log=False).warnings


# ---------------------------------------------------------------- end-to-end time, censored


def test_end_to_end_time_is_kaplan_meier_over_cases_started_in_the_window():
    """Planted: each contact (60 s, no queue) resolves with 0.4; an unresolved customer always comes back
    exactly 24 h after it. P(open after n contacts) = 0.6^n, so the median case needs two contacts
    (24 h + 120 s) and the 90th percentile five (96 h + 300 s); the true mean is 1.5 returns = 36 h.
    The 200-hour window censors many cases: the mean over resolved cases alone is far lower."""
    sc = scenario_from_dict(
        {
            "name": "e2e",
            "seed": 2,
            "horizon_hours": 200,
            "warmup_hours": 2,
            "replications": 3,
            "agents": [{"team": "front", "count": 30, "channels": ["phone"]}],
            "demand": [
                {
                    "type": "x",
                    "channel": "phone",
                    "rate_per_hour": 30,
                    "handle": {"dist": "fixed", "mean_s": 60},
                    "resolve_p": 0.4,
                }
            ],
            "recontact": {"p": 1.0, "delay": {"dist": "fixed", "mean_s": 86400}},
        }
    )
    r = simulate(sc, workers=2)
    s = r.summary
    assert s["e2e_hours"]["mean"] == pytest.approx(24 + 120 / 3600, abs=1e-6)
    assert s["e2e_hours_p90"]["mean"] == pytest.approx(4 * 24 + 300 / 3600, abs=1e-6)
    assert 0.1 < s["e2e_open_share"]["mean"] < 0.4
    naive = np.mean(np.concatenate([rep.case_hours[rep.case_resolved] for rep in r.replications]))
    assert naive < 0.85 * 36, naive


def test_littles_law_holds_with_interrupted_deferred_work():
    """L from the event-driven count of waiting contacts against lambda x W from the records, in the
    blended centre where e-mails are pre-empted and requeued: a requeued e-mail is work in progress,
    not a second wait, on both sides of the equation."""
    from flowkit.sim.model import LOG_COLUMNS

    q_at, wait_at = LOG_COLUMNS.index("queued_at_s"), LOG_COLUMNS.index("wait_s")
    # the window runs Monday 16:00 to Monday 16:00, when the e-mail backlog is cleared: no edge effects
    sc = _blended(switch_cost_s=20, horizon_hours=24 * 7, warmup_hours=16)
    r = simulate_replication(sc, 0)
    assert r.kpis["interruptions"] > 100
    t0, t1 = r.warmup_hours * 3600, (r.warmup_hours + sc.horizon_hours) * 3600
    queued = [(row[q_at], row[wait_at]) for row in r.rows if row[q_at] is not None]
    area = sum(max(0.0, min(q + w, t1) - max(q, t0)) for q, w in queued)
    assert r.little_L > 1.0
    assert r.little_L == pytest.approx(area / (t1 - t0), rel=0.01)
    assert r.little_L == pytest.approx(r.little_lambda_w, rel=0.01)


def _chasing_by_mail(channels=None):
    recontact = {"p": 0.8, "delay": {"dist": "fixed", "mean_s": 600}, "as": "progress_chasing"}
    if channels is not None:
        recontact["channels"] = channels
    return scenario(
        demand=[
            {"type": "x", "channel": "email", "rate_per_hour": 10, "handle": EXP, "resolve_p": 0.5},
            {"type": "y", "channel": "phone", "rate_per_hour": 10, "handle": EXP},
        ],
        agents=[{"team": "front", "count": 6, "channels": ["phone", "email"]}],
        recontact=recontact,
        horizon_hours=200,
    )


def test_a_recontact_comes_in_on_the_channel_the_scenario_says():
    """Customers chase an unanswered e-mail by phone: with recontact.channels {email: 70% phone},
    about 70% of the chases after e-mails ring the phone, telling their story again; without it,
    every chase comes back by e-mail (the model's default, unchanged)."""
    moved = simulate(_chasing_by_mail({"email": {"phone": 0.7, "email": 0.3}}), workers=1, keep_log=True).log
    chases = moved[
        moved["attempt"] == 2
    ]  # the first chase, after the e-mail (a phone chase's own chase stays on the phone)
    assert len(chases) > 500
    assert chases["channel"].astype(str).eq("phone").mean() == pytest.approx(0.7, abs=0.04)
    same = simulate(_chasing_by_mail(), workers=1, keep_log=True).log
    assert same.loc[same["attempt"] > 1, "channel"].astype(str).eq("email").all()


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ({"email": {"phone": 0.5, "email": 0.3}}, "add up to 0.8"),
        ({"email": {"chat": 1.0}}, "no demand arrives on 'chat'"),
    ],
)
def test_recontact_channels_are_validated(channels, message):
    with pytest.raises(Exception, match=message):
        _chasing_by_mail(channels)
