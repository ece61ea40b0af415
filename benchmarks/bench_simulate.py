"""Simulator speed: customers per second on M/M/50, in one run against two references.

    .venv/bin/python benchmarks/bench_simulate.py [CUSTOMERS [ROUNDS]]      (needs: pip install -e .[bench])

System: lambda = 45/min, mu = 1/min, 50 agents, 200,000 customers, per-contact log kept.
References measured in the same process: a minimal SimPy M/M/c (one process per customer,
simpy.Resource) and Ciw on the same system. flowkit runs its ordinary scenario model - the
same code every scenario uses, no fast path, random numbers keyed per (stream, purpose,
attempt, customer) in blocks of 4096. The three run side by side in interleaved rounds
(default 3) and each rate is the median over rounds, so a busy machine slows all of them
alike. Then replications on 2 workers against 1.
Targets (issues 5 and 13): >= 2x Ciw, >= 0.7x the minimal SimPy model, 2 workers >= 1.8x one.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import simpy

from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.model import simulate_replication

LAM_PER_MIN, MU_PER_MIN, SERVERS = 45.0, 1.0, 50


def minimal_simpy(n: int, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, SERVERS)
    log = []

    def customer(arrived):
        with agents.request() as req:
            yield req
            start = env.now
            yield env.timeout(rng.exponential(1 / MU_PER_MIN))
            log.append((arrived, start - arrived, env.now))

    def source():
        for _ in range(n):
            yield env.timeout(rng.exponential(1 / LAM_PER_MIN))
            env.process(customer(env.now))

    env.process(source())
    env.run()
    return len(log)


def ciw_run(n: int, seed: int = 1) -> int:
    import ciw

    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(LAM_PER_MIN)],
        service_distributions=[ciw.dists.Exponential(MU_PER_MIN)],
        number_of_servers=[SERVERS],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(n, method="Arrive")
    return len(sim.get_all_records())


def scenario(n: int, replications: int = 1):
    hours = n / (LAM_PER_MIN * 60)
    return scenario_from_dict(
        {
            "name": "mm50",
            "seed": 1,
            "horizon_hours": hours,
            "warmup_hours": 0,
            "replications": replications,
            "agents": [{"team": "t", "count": SERVERS, "channels": ["phone"]}],
            "demand": [
                {
                    "type": "x",
                    "channel": "phone",
                    "rate_per_hour": LAM_PER_MIN * 60,
                    "handle": {"dist": "exponential", "mean_s": 60 / MU_PER_MIN},
                }
            ],
        }
    )


def flowkit_run(n: int) -> int:
    return len(simulate_replication(scenario(n), 0, keep_log=True).rows)


def timed(fn, n):
    t0 = time.perf_counter()
    done = fn(n)
    return done, time.perf_counter() - t0


def main(n: int = 200_000, rounds: int = 3) -> None:
    print(
        f"simulate benchmark: M/M/{SERVERS}, lambda {LAM_PER_MIN:g}/min, mu {MU_PER_MIN:g}/min, ~{n:,} customers, "
        f"{rounds} interleaved rounds (median)"
    )
    samples: dict[str, list[float]] = {}
    for r in range(rounds):
        for name, fn in [("minimal SimPy", minimal_simpy), ("flowkit", flowkit_run), ("Ciw", ciw_run)]:
            try:
                done, secs = timed(fn, n)
            except ImportError:
                if r == 0:
                    print(f"  {name:<14} skipped: pip install -e .[bench]")
                continue
            samples.setdefault(name, []).append(done / secs)
            print(f"  round {r + 1} {name:<14} {done:>9,} customers in {secs:6.2f} s = {done / secs:>9,.0f} /s")
    rates = {name: float(np.median(v)) for name, v in samples.items()}
    for name, rate in rates.items():
        print(f"  median {name:<14} {rate:>9,.0f} customers/s")
    if "Ciw" in rates:
        print(f"  flowkit / Ciw           = {rates['flowkit'] / rates['Ciw']:.2f}x   (target >= 2)")
    print(f"  flowkit / minimal SimPy = {rates['flowkit'] / rates['minimal SimPy']:.2f}x   (target >= 0.7)")
    sc = scenario(n // 2, replications=4)
    t1 = time.perf_counter()
    simulate(sc, workers=1, keep_log=False)
    t1 = time.perf_counter() - t1
    t2 = time.perf_counter()
    simulate(sc, workers=2, keep_log=False)
    t2 = time.perf_counter() - t2
    print(f"  4 replications: 1 worker {t1:.2f} s, 2 workers {t2:.2f} s = {t1 / t2:.2f}x   (target >= 1.8)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
