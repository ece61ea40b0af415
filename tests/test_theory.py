"""Queueing theory pinned to published reference values, and the simulator pinned to theory."""

import math

import numpy as np
import pytest

from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.theory import agents_for_service_level, erlang_a, erlang_b, erlang_c

LAM = 100 / 1800  # 100 calls per 30 minutes


def test_erlang_c_reference_values():
    m = erlang_c(LAM, 180, 14, 20)
    assert m.p_wait == pytest.approx(0.17413, abs=5e-6)
    assert m.service_level == pytest.approx(0.88835, abs=5e-6)
    assert m.mean_wait_s == pytest.approx(7.836, abs=5e-4)
    assert m.occupancy == pytest.approx(10 / 14)


def test_erlang_a_reference_values():
    m = erlang_a(LAM, 180, 14, 300, 20)
    assert m.p_wait == pytest.approx(0.14526, abs=5e-6)
    assert m.abandon_rate == pytest.approx(0.013984, abs=5e-7)


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    c, a = erlang_c(LAM, 180, 14), erlang_a(LAM, 180, 14, 1e9)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-5)
    assert a.mean_wait_s == pytest.approx(c.mean_wait_s, rel=1e-4)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-5)


def test_erlang_a_is_stable_above_capacity():
    m = erlang_a(LAM * 2, 180, 14, 120)
    assert 0 < m.abandon_rate < 1 and m.occupancy < 1
    # flow balance: served + abandoned = offered, and served = busy agents * mu
    served = m.occupancy * 14 / 180
    assert served + m.abandon_rate * LAM * 2 == pytest.approx(LAM * 2, rel=1e-9)


def test_erlang_b_known_value_and_recursion():
    assert erlang_b(10, 14) == pytest.approx(0.0568, abs=1e-4)
    assert erlang_b(0, 3) == 0 and erlang_b(5, 0) == 1


def test_staffing_answer_is_the_smallest_that_meets_target():
    c = agents_for_service_level(LAM, 180, 0.8)
    assert erlang_c(LAM, 180, c).service_level >= 0.8 > erlang_c(LAM, 180, c - 1).service_level


@pytest.mark.parametrize("bad", [dict(arrival_rate=0), dict(agents=0), dict(agents=2.5), dict(mean_handle_s=-1)])
def test_bad_arguments_are_refused(bad):
    args = dict(arrival_rate=LAM, mean_handle_s=180, agents=14) | bad
    with pytest.raises(ValueError):
        erlang_c(**args)


def test_overloaded_erlang_c_says_why():
    with pytest.raises(ValueError, match="grows without bound"):
        erlang_c(LAM, 180, 10)


def _scenario(rho: float, patience: float | None, seed: int):
    agents, aht = 10, 180.0
    doc = {
        "name": f"mmc-{rho}",
        "seed": seed,
        "horizon_hours": 150,
        "warmup_hours": 10,
        "replications": 20,
        "agents": [{"team": "t", "count": agents, "channels": ["phone"]}],
        "demand": [
            {
                "type": "x",
                "channel": "phone",
                "rate_per_hour": rho * agents / aht * 3600,
                "handle": {"dist": "exponential", "mean_s": aht},
            }
        ],
    }
    if patience:
        doc["patience"] = {"dist": "exponential", "mean_s": patience}
    return scenario_from_dict(doc), aht, agents


def _inside(summary, name, value, n=20, checks=24):
    """Is theory inside the simulated interval? 24 checks at 95% would miss once by chance, so each
    uses a Bonferroni interval (1 - 0.05/24), widened from the 95% one by the ratio of t quantiles."""
    from scipy import stats

    s = summary[name]
    mean, half = s["mean"], (s["ci95_high"] - s["ci95_low"]) / 2
    half *= stats.t.ppf(1 - 0.025 / checks, n - 1) / stats.t.ppf(0.975, n - 1)
    return mean - half <= value <= mean + half, (name, value, s)


@pytest.mark.parametrize("rho", [0.5, 0.7, 0.85, 0.95])
def test_mmc_matches_erlang_c(rho):
    sc, aht, agents = _scenario(rho, None, seed=100 + int(rho * 100))
    lam = rho * agents / aht
    theory = erlang_c(lam, aht, agents, 20)
    result = simulate(sc, workers=2, keep_log=False)
    for name, value in [
        ("mean_wait_s", theory.mean_wait_s),
        ("p_wait", theory.p_wait),
        ("service_level", theory.service_level),
    ]:
        ok, why = _inside(result.summary, name, value)
        assert ok, why


@pytest.mark.parametrize("rho", [0.5, 0.7, 0.85, 0.95])
def test_mmc_with_patience_matches_erlang_a(rho):
    sc, aht, agents = _scenario(rho, 300.0, seed=200 + int(rho * 100))
    lam = rho * agents / aht
    theory = erlang_a(lam, aht, agents, 300.0, 20)
    result = simulate(sc, workers=2, keep_log=False)
    for name, value in [
        ("p_wait", theory.p_wait),
        ("abandon_rate", theory.abandon_rate),
        ("mean_wait_s", theory.mean_wait_s),
    ]:
        ok, why = _inside(result.summary, name, value)
        assert ok, why
    assert math.isclose(result.summary["occupancy"]["mean"], theory.occupancy, rel_tol=0.02)


# ---------------------------------------------------------------- laws the model must obey on its own records


def test_littles_law_on_each_runs_own_records():
    """L from the model's event-driven queue length, against lambda x W from the per-contact records.

    The two are computed independently (one from queue-length changes at events, one from each
    contact's recorded queue entry and wait), so a wait recorded wrongly - IVR time counted, an
    abandoned caller's wait lost - breaks the equality beyond window-edge effects.
    """
    from flowkit.sim.model import LOG_COLUMNS, simulate_replication

    sc, _, _ = _scenario(0.95, 300.0, seed=5)
    sc = sc.with_changes(horizon_hours=100, ivr=sc.ivr.__class__(delay_s=30))
    q_at, wait_at = LOG_COLUMNS.index("queued_at_s"), LOG_COLUMNS.index("wait_s")
    for rep in range(3):
        r = simulate_replication(sc, rep, keep_log=True)
        t0, t1 = r.warmup_hours * 3600, (r.warmup_hours + sc.horizon_hours) * 3600
        queued = [(row[q_at], row[wait_at]) for row in r.rows if row[q_at] is not None]
        area = sum(max(0.0, min(q + w, t1) - max(q, t0)) for q, w in queued)
        entered = [w for q, w in queued if t0 <= q < t1]
        lam_w = len(entered) / (t1 - t0) * (sum(entered) / len(entered))
        assert r.little_L > 1.0  # a real queue, not an empty one
        assert r.little_L == pytest.approx(area / (t1 - t0), rel=0.01)
        assert r.little_L == pytest.approx(lam_w, rel=0.02)
        assert r.little_lambda_w == pytest.approx(lam_w, rel=0.01)


def _loop(warmup_hours=None):
    r, q = 0.6, 0.5
    doc = {
        "name": "loop",
        "seed": 8,
        "horizon_hours": 24 * 14,
        "replications": 6,
        "agents": [{"team": "t", "count": 12, "channels": ["phone"]}],
        "demand": [
            {
                "type": "x",
                "channel": "phone",
                "rate_per_hour": 40,
                "handle": {"dist": "fixed", "mean_s": 60},
                "resolve_p": r,
            }
        ],
        "recontact": {"p": q, "delay": {"dist": "lognormal", "mean_s": 2 * 86400, "cv": 1.0}},
    }
    if warmup_hours is not None:
        doc["warmup_hours"] = warmup_hours
    return scenario_from_dict(doc), (1 - r) * q


def test_failure_loop_share_matches_its_algebra_with_the_default_warmup():
    """Each contact is unresolved with 1-r and returns with q, so failure demand is a share x = (1-r)q of all
    contacts in steady state. Returns come after ~2 days: a short warm-up under-states it, and says so."""
    sc, x = _loop()
    result = simulate(sc, workers=2, keep_log=False)
    s = result.summary["failure_share"]
    assert result.warmup_hours >= 96
    assert s["ci95_low"] <= x <= s["ci95_high"], (x, s)
    assert not [w for w in result.warnings if "warm-up" in w]

    short = simulate(_loop(warmup_hours=2)[0], workers=2, keep_log=False)
    assert short.summary["failure_share"]["ci95_high"] < x - 0.01
    assert any("warm-up may be too short" in w and "failure demand" in w for w in short.warnings), short.warnings


def test_the_suggested_warmup_is_the_loops_when_mser_cannot_see_the_slow_loop():
    """MSER-5 alone suggests ~50 h on the two-day loop; a run with that warm-up still under-states the
    failure share (planted truth 0.2). The suggestion is the loop's figure, and the warning says so."""
    import re

    from flowkit.sim.warmup import LOOP, check_warmup

    sc, x = _loop(warmup_hours=2)
    short = simulate(sc, workers=2, keep_log=False)
    mser_only = check_warmup(2.0, sc.horizon_hours, [r.series for r in short.replications])
    mser_h = mser_only.suggested_hours["failure demand"]
    assert 10 < mser_h < 120 and mser_only.set_by == "MSER-5 on failure demand"
    at_mser = simulate(_loop(warmup_hours=math.ceil(mser_h))[0], workers=2, keep_log=False)
    assert at_mser.summary["failure_share"]["ci95_high"] < x, at_mser.summary["failure_share"]  # still biased
    (warning,) = [w for w in at_mser.warnings if "warm-up may be too short" in w]
    assert f"set by {LOOP}" in warning and "MSER-5 on failure demand truncates at" in warning, warning
    # the missing share it quotes is the measured shortfall: 0.2 x (1 - missing) against the run's mean
    missing = float(re.search(r"h, ([\d.]+)% of its returns are missing", warning).group(1)) / 100
    assert x * (1 - missing) == pytest.approx(at_mser.summary["failure_share"]["mean"], abs=0.004)
    figure = int(re.search(r"at least (\d+)", warning).group(1))
    assert 150 <= figure <= 305  # 150 h: the CI first covers 0.2 (measured); 305 h: the default
    at_figure = simulate(_loop(warmup_hours=figure)[0], workers=2, keep_log=False)
    s = at_figure.summary["failure_share"]
    assert s["ci95_low"] <= x <= s["ci95_high"], (figure, s)
    assert not [w for w in at_figure.warnings if "warm-up" in w]


def test_mser_sets_the_suggestion_when_the_transient_is_not_the_loop():
    """A planted transient in a wait series - high for the first 100 h, then flat noise - with a short
    loop figure: MSER's point is later, so MSER sets the suggestion and the warning names it."""
    from flowkit.sim.warmup import check_warmup

    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 1000 * 3600.0, 20_000))
    series = []
    for _ in range(5):
        y = rng.exponential(30.0, len(t)) + np.where(t < 100 * 3600.0, 300.0, 0.0)
        series.append({"real-time waits": (t, y)})
    check = check_warmup(2.0, 998.0, series, loop=(10.0, 0.004))
    assert 95 <= check.suggested_hours["real-time waits"] <= 110
    assert check.set_by == "MSER-5 on real-time waits"
    (warning,) = check.warnings
    assert "set by MSER-5 on real-time waits" in warning and "needs 10 h" in warning
    # and a run whose warm-up covers both figures gets no warning
    assert not check_warmup(120.0, 998.0, series, loop=(10.0, 0.0)).warnings


def test_p_wait_at_zero_patience_is_erlang_b():
    """With zero patience a caller who finds every agent busy leaves at once without waiting a second:
    that caller still had to queue, so p_wait = abandonment = Erlang B blocking (M/M/c/c)."""
    agents, aht, lam = 5, 180.0, 5 / 180.0
    sc = scenario_from_dict(
        {
            "name": "mmcc",
            "seed": 4,
            "horizon_hours": 400,
            "warmup_hours": 2,
            "replications": 6,
            "agents": [{"team": "t", "count": agents, "channels": ["phone"]}],
            "patience": {"dist": "fixed", "mean_s": 0},
            "demand": [
                {
                    "type": "x",
                    "channel": "phone",
                    "rate_per_hour": lam * 3600,
                    "handle": {"dist": "exponential", "mean_s": aht},
                }
            ],
        }
    )
    result = simulate(sc, workers=2, keep_log=False).summary
    b = erlang_b(lam * aht, agents)
    assert 0.25 < b < 0.35
    for name in ("p_wait", "abandon_rate"):
        assert result[name]["ci95_low"] <= b <= result[name]["ci95_high"], (name, b, result[name])
    assert result["mean_wait_s"]["mean"] == 0
