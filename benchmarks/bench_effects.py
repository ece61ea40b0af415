"""Adjusted data-field effects at scale: 1M contacts x 5 fields, target under 2 minutes on 2 cores.

    .venv/bin/python benchmarks/bench_effects.py [N] [FIELDS]      (default 1,000,000 and 5)

Times :func:`flowkit.analyse.effects.field_effects_adjusted` alone (generation is not timed)
on a generated log, for the first FIELDS fields, both outcomes, every demand type and the
pooled rows; prints the rows estimated, the wall time, peak memory growth, and how many
pooled CIs cover the planted truth (a check that speed did not cost the answer).
"""

from __future__ import annotations

import sys
import time

from _memory import peak_rss, reset_peak

from flowkit.analyse.effects import _population, field_effects_adjusted
from flowkit.synth import generate
from flowkit.synth.truth import FIELD_EFFECTS, true_effects


def main(n: int = 1_000_000, n_fields: int = 5) -> None:
    log = generate(n, seed=3)
    fields = list(FIELD_EFFECTS)[:n_fields]
    pop = len(_population(log))
    reset_peak()
    base = peak_rss()
    t0 = time.perf_counter()
    eff = field_effects_adjusted(log, fields)
    wall = time.perf_counter() - t0
    peak = peak_rss() - base
    truth = true_effects(log, log["channel"].isin(["phone", "chat"]) & log["handle_s"].notna())
    j = eff[eff["demand_type"].eq("(all)")].merge(truth, on=["field", "demand_type", "outcome"])
    j["covers"] = (j["ci_low"] <= j["true_ate"]) & (j["true_ate"] <= j["ci_high"])
    covers = int(j["covers"].sum())
    print(
        f"{n:,} contacts ({pop:,} handled on channels that record data use), {len(fields)} fields, "
        f"{len(eff)} rows: {wall:.1f} s wall, peak memory +{peak / 2**20:,.0f} MiB; "
        f"pooled CIs covering the planted truth: {covers} of {len(j)}"
    )
    for _, r in j[~j["covers"]].iterrows():
        print(
            f"  missed: {r['field']} {r['outcome']}: {r['adjusted']:.4g} [{r['ci_low']:.4g}, {r['ci_high']:.4g}], "
            f"truth {r['true_ate']:.4g}"
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
