"""The pilot group: design an A/B pilot from the log, analyse its result."""

from __future__ import annotations

from pathlib import Path

import click

from flowkit.commands.common import mapping_option, step, window_option
from flowkit.pipeline.prepare import prepare


def _a_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--start as given, once it is known to be a date (a bad one is a usage error, not a traceback)."""
    import pandas as pd

    if value is not None:
        try:
            pd.Timestamp(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a date such as 2026-03-02", ctx, param) from None
    return value


@click.group()
def pilot() -> None:
    """Design and analyse an A/B pilot that confirms a data field's effect.

    \b
    Example:
      flowkit pilot design out/classified.parquet --field equipment_config --out out/pilot
      flowkit pilot analyse pilot_log.csv --field equipment_config --out field.yaml
    """


@pilot.command("design")
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--field", "field_name", required=True, help="The data field to pilot.")
@click.option("--outcome", type=click.Choice(["handle_s", "resolved"]), default="handle_s", show_default=True)
@click.option(
    "--mde",
    type=float,
    default=0.10,
    show_default=True,
    help="Smallest change worth finding, relative to the baseline.",
)
@click.option("--unit", type=click.Choice(["contact", "agent-day"]), default="contact", show_default=True)
@click.option("--alpha", type=click.FloatRange(0.001, 0.5), default=0.05, show_default=True)
@click.option("--power", type=click.FloatRange(0.5, 0.999), default=0.8, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--start", callback=_a_date, help="First pilot day (YYYY-MM-DD) for an agent-day assignment; default next Monday."
)
@mapping_option
@window_option()
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for plan.json and assignment.csv.")
def pilot_design(
    contacts: Path,
    field_name: str,
    outcome: str,
    mde: float,
    unit: str,
    alpha: float,
    power: float,
    seed: int,
    start: str | None,
    mapping: Path | None,
    window: str,
    out: Path,
) -> None:
    """Size a pilot from the log's own variance (and ICC) and write a randomised assignment.

    \b
    Example:
      flowkit pilot design out/classified.parquet --field equipment_config --mde 0.10 --out out/pilot
    """
    from flowkit.pilot import assignment, design_pilot, write_plan
    from flowkit.store import load_any

    table = prepare(load_any(contacts, mapping), window, step)
    plan = design_pilot(table, field_name, outcome, mde, unit, alpha, power, seed)
    units = assignment(plan, table, start)
    p, a = write_plan(plan, units, out)
    click.echo(
        f"{plan.field} on {plan.outcome}: find a {plan.mde:.0%} change ({plan.mde_absolute:.3g} on a baseline of "
        f"{plan.baseline_mean:.3g}) with power {plan.power:.0%} at alpha {plan.alpha:g}"
    )
    per = (
        f", {plan.clusters_per_arm:,} agent-days (ICC {plan.icc:.3f}, design effect {plan.design_effect:.2f})"
        if plan.unit == "agent-day"
        else ""
    )
    click.echo(f"{plan.contacts_per_arm:,} contacts per arm{per}; about {plan.days_needed} days at the log's pace")
    click.echo(f"plan -> {p}\nassignment -> {a}")


@pilot.command("analyse")
@click.argument("pilot_log", type=click.Path(path_type=Path))
@click.option("--field", "field_name", required=True)
@click.option("--arm-column", default="arm", show_default=True)
@click.option("--cluster", help="Column to cluster standard errors by (default: unit, else agent_id).")
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when PILOT_LOG is a raw export.")
@click.option("--out", type=click.Path(path_type=Path), help="Write the scenario data_fields entry (YAML) here.")
@click.option("--json", "as_json", is_flag=True)
def pilot_analyse(
    pilot_log: Path,
    field_name: str,
    arm_column: str,
    cluster: str | None,
    mapping: Path | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Effect of a piloted field with cluster-robust CIs, balance and sample-ratio checks.

    \b
    Example:
      flowkit pilot analyse pilot_log.csv --field equipment_config --out field.yaml
    """
    import json

    import pandas as pd
    import yaml

    from flowkit.pilot import analyse_pilot

    path = Path(pilot_log)
    if path.suffix.lower() in (".csv", ".parquet") and not mapping:
        table = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
        if "received_at" in table.columns:
            table["received_at"] = pd.to_datetime(table["received_at"])
    else:
        from flowkit.store import load_any

        table = load_any(path, mapping)
    res = analyse_pilot(table, field_name, arm_column, cluster)
    entry = yaml.safe_dump({"data_fields": res.data_field()}, sort_keys=False)
    if out:
        from flowkit.safewrite import write_text

        write_text(out, entry)
    if as_json:
        click.echo(json.dumps(res.to_json_dict(), indent=2, default=float))
        return
    click.echo(
        f"{res.n_treatment:,} treatment, {res.n_control:,} control; sample ratio p = {res.srm_p:.3g}"
        + ("" if res.srm_ok else "  MISMATCH: assignment leaked or units were lost; do not trust the effect")
    )
    flagged = res.balance[res.balance["flag"]]
    click.echo(
        "balance: "
        + ("ok (every |SMD| <= 0.1)" if flagged.empty else "imbalanced on " + ", ".join(flagged["covariate"]))
    )
    for k, e in res.effects.items():
        word = "significant" if e["significant"] else "no evidence either way"
        click.echo(
            f"{k}: {e['effect']:+.4g} (95% CI {e['ci_low']:+.4g} to {e['ci_high']:+.4g}, {e['clusters']} clusters by "
            f"{res.cluster}) - {word}"
        )
    click.echo(entry.rstrip())
