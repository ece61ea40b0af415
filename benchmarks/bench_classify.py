"""Classification speed on all-distinct texts: the vectorised pipeline against a row-by-row `re` loop.

    .venv/bin/python benchmarks/bench_classify.py [N]        (default 1,000,000; or FLOWKIT_BENCH_N)
    FLOWKIT_BENCH_LOOP=20000 sets how many rows the (slow) reference loop is timed on

Two stages, each against its row-by-row reference (``_classify_loop.py``: same language
folders, same patterns, same lemma cache, one row at a time with Python's ``re``):

* rules: language detection and the rule packs (the first rule that fires);
* classification: language, rules, lemmas with negation, cue families and the combiner's
  verdict - ``classify(use_flow=False, discover=False)``, what every contact goes through.

Each runs on the generated log (texts repeat, as real logs do) and on the same log with every
text made distinct. Times are CPU seconds of this process (``time.process_time``: on a shared
machine wall time measures the neighbours); wall seconds are printed beside them. The loop is
timed on a slice and scaled (it is linear in rows); agreement is checked on that slice.
Grouping the unknowns into candidate types (``discover``) is timed on its own.
"""

from __future__ import annotations

import os
import sys
import time

import pandas as pd
from _classify_loop import RowByRow
from _memory import peak_rss, reset_peak

from flowkit.classify import builtin_rules, classify, detect_language
from flowkit.classify.discover import candidate_types
from flowkit.classify.rules import apply_rules
from flowkit.synth import generate


def clock(fn):
    c, w = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c, time.perf_counter() - w


def main(n: int, loop_rows: int) -> None:
    log = generate(n, seed=3)
    classify(log.head(2000), use_flow=False)  # dictionaries and caches loaded before any timing
    distinct = log.assign(text=log["text"] + pd.Series([f" #{i}" for i in range(n)], index=log.index))
    for label, data in (("texts repeat, as real logs do", log), ("every text distinct", distinct)):
        print(f"classify benchmark: {n:,} contacts, {len(builtin_rules().rules)} rules: {label}")
        run(data, n, min(n, loop_rows))


def line(name: str, n: int, cpu: float, wall: float, extra: str = "") -> None:
    print(f"  {name:28s}: {n / cpu:>10,.0f} contacts/s  cpu {cpu:7.2f} s  wall {wall:7.2f} s{extra}")


def run(log: pd.DataFrame, n: int, k: int) -> None:
    rules = builtin_rules()
    loop = RowByRow(rules)
    text = log["text"]
    sl = text.iloc[:k].astype(object).where(text.iloc[:k].notna(), None).tolist()

    ruled, cpu, wall = clock(lambda: apply_rules(text, detect_language(text), rules))
    ref, lcpu, lwall = clock(lambda: [loop.rules_only(t) for t in sl])
    same = (pd.Series(ref) == ruled["rule"].iloc[:k].reset_index(drop=True)).mean()
    line("rules, vectorised", n, cpu, wall)
    line("rules, row by row", n, lcpu * n / k, lwall * n / k, f"  (timed on {k:,}, scaled)")
    print(f"  rules speed-up {lcpu / k * n / cpu:.1f}x cpu, {lwall / k * n / wall:.1f}x wall; same rule on {same:.2%}")

    reset_peak()
    base = peak_rss()
    res, cpu, wall = clock(lambda: classify(log, use_flow=False, discover=False).contacts)
    mem = peak_rss() - base
    ref, lcpu, lwall = clock(lambda: [loop.classify(t) for t in sl])
    got = res.iloc[:k]
    same = (pd.Series([r[1] for r in ref]) == got["demand"].astype(str).reset_index(drop=True)).mean()
    line("classification, vectorised", n, cpu, wall, f"  peak +{mem / n:5.0f} B/contact")
    line("classification, row by row", n, lcpu * n / k, lwall * n / k, f"  (timed on {k:,}, scaled)")
    print(
        f"  classification speed-up {lcpu / k * n / cpu:.1f}x cpu, {lwall / k * n / wall:.1f}x wall "
        f"(target >= 30x); same verdict on {same:.2%}"
    )
    unknown = res.loc[res["demand"] == "unknown", "text"]
    _, cpu, wall = clock(lambda: candidate_types(unknown))
    print(f"  candidate types from {len(unknown):,} unknowns: cpu {cpu:.2f} s  wall {wall:.2f} s")


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("FLOWKIT_BENCH_N", 1_000_000))
    main(size, int(os.environ.get("FLOWKIT_BENCH_LOOP", 20_000)))
