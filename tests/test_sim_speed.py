"""The simulator's speed work changed no result: KPIs and logs equal the pre-optimisation code's.

``tests/data/sim_golden.json`` was written by :func:`golden` running flowkit at main 2d85a16 (before
the model was split and optimised): ``PYTHONPATH=<checkout at 2d85a16> python tests/test_sim_speed.py``.
Every optimisation since must reproduce it exactly - the same random streams, the same event order,
the same floats - on scenarios that use every mechanism (opening hours, IVR, patience, redial,
shifts, hand-off, callbacks and chases, failure demand, data fields, priorities, an age limit, a
deferred reserve, pre-emption with a switch cost). Also: the result does not depend on the number
of worker processes, log included.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import pandas as pd
import yaml

from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.model import simulate_replication

GOLDEN = Path(__file__).parent / "data" / "sim_golden.json"
ROOT = Path(__file__).resolve().parents[1]


def _baseline() -> dict:
    doc = yaml.safe_load((ROOT / "simulations" / "baseline.yaml").read_text(encoding="utf-8"))
    doc.update(horizon_hours=72, warmup_hours=24, replications=2)
    return doc


def _blended() -> dict:
    return {
        "name": "blended",
        "seed": 31,
        "horizon_hours": 24 * 4,
        "warmup_hours": 12,
        "replications": 2,
        "open_hours": {"phone": "Mon-Fri 08:00-18:00"},
        "patience": {"dist": "exponential", "mean_s": 120},
        "redial": {"p": 0.4, "delay": {"dist": "exponential", "mean_s": 600}},
        "priority_age_limit_hours": 6,
        "switch_cost_s": 30,
        "agents": [
            {
                "team": "front",
                "channels": ["phone", "email"],
                "deferred_reserve": 1,
                "shifts": [{"days": "Mon-Fri", "start": "08:00", "end": "18:00", "count": 8}],
            },
            {"team": "night", "count": 1, "channels": ["email"]},
        ],
        "demand": [
            {"type": "call", "channel": "phone", "rate_per_hour": 60, "handle": {"dist": "exponential", "mean_s": 360}},
            {"type": "mail", "channel": "email", "rate_per_hour": 4, "handle": {"dist": "exponential", "mean_s": 600}},
        ],
    }


SCENARIOS = {"baseline": _baseline, "blended": _blended}


def _canon(v) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else v.hex()
    return repr(v)


def _fingerprint(name: str, rep: int) -> dict:
    r = simulate_replication(scenario_from_dict(SCENARIOS[name]()), rep, keep_log=True)
    rows = hashlib.sha256("\n".join("|".join(_canon(v) for v in row) for row in r.rows).encode()).hexdigest()
    return {
        "kpis": {k: _canon(float(v)) for k, v in sorted(r.kpis.items())},
        "rows": len(r.rows),
        "rows_sha256": rows,
        "outcomes": dict(sorted(r.outcomes.items())),
        "little": [_canon(r.little_L), _canon(r.little_lambda_w)],
        "case_hours_sha256": hashlib.sha256(r.case_hours.tobytes() + r.case_resolved.tobytes()).hexdigest(),
    }


def golden() -> dict:
    return {f"{name}/{rep}": _fingerprint(name, rep) for name in SCENARIOS for rep in range(2)}


def test_results_equal_the_code_before_the_speed_work():
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert set(expected) == {f"{name}/{rep}" for name in SCENARIOS for rep in range(2)}
    for key, want in expected.items():
        name, rep = key.split("/")
        got = _fingerprint(name, int(rep))
        assert got["kpis"] == want["kpis"], key
        assert got == want, key
    # the scenarios exercise what they claim to: pre-emptions, closed lines, failure demand, abandonment
    assert float.fromhex(expected["blended/0"]["kpis"]["interruptions"]) > 0
    assert expected["baseline/0"]["outcomes"]["closed"] > 0
    assert float.fromhex(expected["baseline/0"]["kpis"]["failure_share"]) > 0
    assert expected["blended/0"]["outcomes"]["abandoned"] > 0


def test_results_and_log_do_not_depend_on_the_number_of_workers():
    sc = scenario_from_dict(_blended() | {"replications": 3, "horizon_hours": 48})
    one, two = simulate(sc, workers=1), simulate(sc, workers=2)
    pd.testing.assert_frame_equal(one.per_replication, two.per_replication)
    pd.testing.assert_frame_equal(one.log, two.log)
    assert one.per_replication["contacts_offered"].nunique() == 3  # three different replications, not one thrice


if __name__ == "__main__":
    json.dump(golden(), sys.stdout, indent=1, sort_keys=True)
    print()
