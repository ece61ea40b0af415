"""What the commands print: the ingest ledger, cases, evaluations, fits and differences as text.

Pure functions of the library's results, so a test can check a line without running a command.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from flowkit.classify import Evaluation
    from flowkit.ingest import IngestResult
    from flowkit.sim.fit import ModelFit


def summary_text(result: IngestResult) -> str:
    """The reconciliation a consultant reads after every ingest."""
    lines = []
    for f in result.files:
        enc = f" ({f.encoding}{', ' + repr(f.delimiter) if f.delimiter else ''})" if f.encoding else ""
        lines.append(
            f"{Path(f.path).name}{enc}: read {f.read:,} = kept {f.kept:,} + dropped {f.n_dropped:,}"
            f" + quarantined {f.n_quarantined:,}"
        )
        for rule, n in sorted(f.dropped.items()):
            lines.append(f"    dropped     {n:>7,}  {rule}")
        for reason, n in sorted(f.quarantined.items()):
            lines.append(f"    quarantined {n:>7,}  {reason}")
        for what, n in sorted(f.repaired.items()):
            lines.append(f"    repaired    {n:>7,}  {what} (cell emptied, contact kept)")
        for w in f.warnings:
            lines.append(f"    warning: {w}")
    ok = "reconciles" if result.reconciles else "DOES NOT RECONCILE"
    repaired = sum(f.n_repaired for f in result.files)
    lines.append(
        f"TOTAL: read {result.read:,} = kept {result.kept:,} + dropped {sum(result.dropped.values()):,}"
        f" + quarantined {sum(result.quarantined.values()):,}"
        + (f" ({repaired:,} cells repaired)" if repaired else "")
        + f"  [{ok}]"
    )
    return "\n".join(lines)


def cases_text(cases: pd.DataFrame) -> str:
    from flowkit.analyse.flow import identified

    known = identified(cases)
    multi = cases[cases["n_contacts"] > 1]
    cross = multi["channels"].str.contains(";").sum()
    who = f" ({len(known):,} of known customers)" if len(known) < len(cases) else ""
    of = " of known customers' cases" if who else ""
    return (
        f"{len(cases):,} cases{who}; {len(multi):,} with repeat contacts ({len(multi) / max(len(known), 1):.0%}{of}), "
        f"{cross:,} across channels; contacts per case: mean {cases['n_contacts'].mean():.2f}, "
        f"max {cases['n_contacts'].max() if len(cases) else 0}"
    )


def evaluation_text(title: str, ev: Evaluation) -> str:
    lo, hi = ev.accuracy_ci
    lines = [
        f"{title}: value/failure agreement {ev.accuracy:.1%} (95% CI {lo:.1%}-{hi:.1%}) on {ev.n:,} labelled "
        f"contacts (coverage {ev.coverage:.1%}; 'unknown' counts as wrong)"
    ]
    for cls, row in ev.per_class.iterrows():
        lines.append(
            f"    {cls:<8} precision {row['precision']:.1%}  recall {row['recall']:.1%}  n={int(row['support']):,}"
        )
    if len(ev.per_language):
        lines.append("    per language:")
        for lg, row in ev.per_language.iterrows():
            lines.append(
                f"      {lg:<4} {row['agreement']:.1%} (95% CI {row['ci_low']:.1%}-{row['ci_high']:.1%})  "
                f"n={int(row['n']):,}  unknown {row['unknown']:.1%}"
            )
    if ev.failure_type_accuracy is not None:
        lines.append(f"    failure type agrees on {ev.failure_type_accuracy:.1%} of failures found")
    if len(ev.per_type):
        lines.append("    per failure type (precision / recall, 95% CI):")
        for t, row in ev.per_type.iterrows():
            lines.append(
                f"      {t:<17} P {row['precision']:.0%} ({row['p_low']:.0%}-{row['p_high']:.0%})  "
                f"R {row['recall']:.0%} ({row['r_low']:.0%}-{row['r_high']:.0%})  n={int(row['support'])}"
            )
    if len(ev.reliability):
        lines.append("    reliability (is a confidence of 0.8 right 80% of the time?):")
        for b, row in ev.reliability.iterrows():
            bar = "#" * int(round(row["correct"] * 20))  # noqa: RUF046 (numpy floats round to floats)
            lines.append(
                f"      conf {b}  n={int(row['n']):>4}  mean {row['mean_confidence']:.2f}  right "
                f"{row['correct']:.0%} ({row['ci_low']:.0%}-{row['ci_high']:.0%})  {bar}"
            )
    lines.append("    confusion (rows: truth, columns: predicted):")
    lines.extend("      " + ln for ln in ev.confusion.to_string().splitlines())
    return "\n".join(lines)


def fit_table(result: ModelFit) -> str:
    lines = [f"  {'figure':<22}{'log':>12}{'baseline':>12}{'diff':>9}  verdict"]
    for _, r in result.table.iterrows():
        lines.append(
            f"  {r['metric']:<22}{r['real']:>12.4g}{r['simulated']:>12.4g}{r['relative']:>+9.1%}  "
            f"{'ok' if r['within_tolerance'] else 'OFF'} (±{r['tolerance']:.0%})"
        )
    return "\n".join(lines)


def deltas_text(title: str, deltas: Mapping[str, Mapping[str, float | bool | None]]) -> list[str]:
    lines = [title]
    for k, d in deltas.items():
        mark = (
            "significant"
            if d.get("significant")
            else ("real, too small to matter" if d.get("statistically_significant") else "no significant difference")
        )
        lines.append(f"    {k:<20}{d['mean']:>+12.4g}  [{d['ci95_low']:+.4g}, {d['ci95_high']:+.4g}]  {mark}")
    return lines
