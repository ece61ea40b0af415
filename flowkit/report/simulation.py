"""The report's simulation section: can the model be trusted, and which data would help?"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from flowkit.report import charts
from flowkit.report.files import figure_file, table_file
from flowkit.sim.experiment import DataValueResult, verdict
from flowkit.sim.fit import ModelFit

__all__ = ["channel_kpi_table", "simulation_section"]

_QUEUE_KPIS = ("offered", "mean_wait_s", "p_wait", "service_level", "abandon_rate", "closed_share")


def channel_kpi_table(summary: dict) -> pd.DataFrame:
    """Queue KPIs per channel (one row each), never pooled across channels; NaN = not defined."""
    channels = sorted({k.split(".", 1)[0] for k in summary if "." in k})
    rows = [[summary.get(f"{ch}.{k}", {}).get("mean", float("nan")) for k in _QUEUE_KPIS] for ch in channels]
    return pd.DataFrame(rows, columns=list(_QUEUE_KPIS), index=pd.Index(channels, name="channel"))


def simulation_section(fit: ModelFit, experiment: DataValueResult | None, out_dir: str | Path) -> dict:
    """A section for :func:`flowkit.report.build_report` (``extra_sections``), with PNGs and CSVs written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paragraphs = list(fit.sentences)
    figures, tables = [], []
    figures.append(
        {
            "src": figure_file(charts.fit_by_hour(fit.by_hour), out / "sim_fit_by_hour.png"),
            "caption": "Contacts per day by hour, real log and calibrated baseline.",
        }
    )
    t = table_file(fit.table, out / "sim_model_fit.csv", index=False)
    t["caption"] = "Model fit: the baseline against its own log"
    tables.append(t)
    sim = fit.simulation
    if sim is not None:
        paragraphs.append(
            f"The baseline was simulated after a warm-up of {sim.warmup_hours:g} hours; its headline "
            f"queue figures are the {sim.headline_channel} channel's, and each channel's queue is "
            "shown on its own (an e-mail backlog is not a phone wait). — means not defined (no contacts)."
        )
        paragraphs.extend(f"Warning: {w}." for w in sim.warnings)
        t = table_file(channel_kpi_table(sim.summary), out / "sim_channels.csv")
        t["rows"] = [[cell if cell != "" else "—" for cell in row] for row in t["rows"]]
        t["caption"] = (
            "Simulated queues per channel (means over replications; shares over contacts offered to the queue)"
        )
        tables.append(t)
    if experiment is not None:
        paragraphs.append(
            f"Data-value experiment ({experiment.replications} replications, the same simulated customers in every "
            "variant): each candidate field made available at the point of contact, one at a time. A field is "
            "significant when the 95% interval of its effect on agent hours or failure share excludes zero and the "
            "effect is at least 2% of the baseline. Agent hours saved: positive is good. Each replication draws the "
            "field's effect from its estimate and standard error, so the intervals include what the log could not pin "
            'down; a field the log gives no evidence for is "not shown".'
        )
        for e in experiment.fields:
            paragraphs.append(f"{e['field']} (touches {e['share_of_demand']:.0%} of demand): {verdict(e)}.")
        if experiment.fields:
            figures.append(
                {
                    "src": figure_file(
                        charts.data_value_ranking(
                            experiment.fields, "field", "Which customer data would help (simulated)"
                        ),
                        out / "sim_data_value.png",
                    ),
                    "caption": "Agent hours saved if each field were available at the point of contact.",
                }
            )
        if experiment.design_out:
            figures.append(
                {
                    "src": figure_file(
                        charts.data_value_ranking(
                            experiment.design_out, "failure_type", "Designing out failure demand (simulated)"
                        ),
                        out / "sim_design_out.png",
                    ),
                    "caption": "Agent hours freed if each kind of failure demand were prevented at source.",
                }
            )
        rows = [
            {
                "variant": f"field {e['field']}",
                "share_of_demand": e.get("share_of_demand"),
                "agent_hours_saved": e["agent_hours_saved"]["mean"],
                **{
                    f"{k} change": v["mean"]
                    for k, v in e["deltas"].items()
                    if k in ("failure_share", "e2e_hours", "service_level")
                },
                "significant": e["significant"],
                "status": e.get("status", ""),
            }
            for e in experiment.fields
        ]
        rows += [
            {
                "variant": f"no {e['failure_type']}",
                "agent_hours_saved": e["agent_hours_saved"]["mean"],
                **{
                    f"{k} change": v["mean"]
                    for k, v in e["deltas"].items()
                    if k in ("failure_share", "e2e_hours", "service_level")
                },
                "significant": e["significant"],
            }
            for e in experiment.design_out
        ]
        t = table_file(pd.DataFrame(rows), out / "sim_what_if.csv", index=False)
        t["caption"] = "What-if effects against the baseline (means; CIs in the JSON of flowkit experiment)"
        tables.append(t)
    return {
        "id": "simulation",
        "title": "Simulation: the model fit and the what-ifs",
        "paragraphs": paragraphs,
        "figures": figures,
        "tables": tables,
    }
