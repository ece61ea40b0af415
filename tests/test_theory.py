"""Queueing theory pinned to published reference values, and the simulator pinned to theory."""

import math

import pytest

from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.theory import agents_for_service_level, erlang_a, erlang_b, erlang_c

LAM = 100 / 1800     # 100 calls per 30 minutes


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
        "name": f"mmc-{rho}", "seed": seed, "horizon_hours": 150, "warmup_hours": 10, "replications": 20,
        "agents": [{"team": "t", "count": agents, "channels": ["phone"]}],
        "demand": [{"type": "x", "channel": "phone", "rate_per_hour": rho * agents / aht * 3600,
                    "handle": {"dist": "exponential", "mean_s": aht}}],
    }
    if patience:
        doc["patience"] = {"dist": "exponential", "mean_s": patience}
    return scenario_from_dict(doc), aht, agents


def _inside(summary, name, value):
    s = summary[name]
    return s["ci95_low"] <= value <= s["ci95_high"], (name, value, s)


@pytest.mark.parametrize("rho", [0.5, 0.7, 0.85, 0.95])
def test_mmc_matches_erlang_c(rho):
    sc, aht, agents = _scenario(rho, None, seed=100 + int(rho * 100))
    lam = rho * agents / aht
    theory = erlang_c(lam, aht, agents, 20)
    result = simulate(sc, workers=2, keep_log=False)
    for name, value in [("mean_wait_s", theory.mean_wait_s), ("p_wait", theory.p_wait),
                        ("service_level", theory.service_level)]:
        ok, why = _inside(result.summary, name, value)
        assert ok, why


@pytest.mark.parametrize("rho", [0.5, 0.7, 0.85, 0.95])
def test_mmc_with_patience_matches_erlang_a(rho):
    sc, aht, agents = _scenario(rho, 300.0, seed=200 + int(rho * 100))
    lam = rho * agents / aht
    theory = erlang_a(lam, aht, agents, 300.0, 20)
    result = simulate(sc, workers=2, keep_log=False)
    for name, value in [("p_wait", theory.p_wait), ("abandon_rate", theory.abandon_rate),
                        ("mean_wait_s", theory.mean_wait_s)]:
        ok, why = _inside(result.summary, name, value)
        assert ok, why
    assert math.isclose(result.summary["occupancy"]["mean"], theory.occupancy, rel_tol=0.02)
