"""Commands that analyse a classified log: analyze (the report), effects."""

from __future__ import annotations

from pathlib import Path

import click

from flowkit.commands.common import load, mapping_option, privacy, privacy_options, step, window_option
from flowkit.pipeline.prepare import prepare


@click.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for index.html, PNGs and CSVs.")
@mapping_option
@click.option("--title", default="Demand and flow", show_default=True)
@window_option("Case window (when cases must be stitched).")
@click.option("--pseudonymise", is_flag=True, hidden=True, help="Kept for old scripts: pseudonyms are the default.")
@privacy_options
def analyze(
    contacts: Path,
    out: Path,
    mapping: Path | None,
    title: str,
    window: str,
    pseudonymise: bool,
    key: str | None,
    show_ids: bool,
) -> None:
    """Analyse demand and flow and write the manager's report (self-contained HTML).

    CONTACTS may be classified contacts, plain contacts or any export (then it is
    stitched into cases and classified first with the built-in rules).

    \b
    Example:
      flowkit analyze out/classified.parquet --out reports/client --key "$SECRET"
    """
    from flowkit.report import build_report

    if pseudonymise and show_ids:
        raise click.UsageError("--pseudonymise and --show-ids contradict each other: give one")
    step("reading contacts")
    table = load(contacts, mapping)
    table = prepare(table, window, step)
    report = build_report(table, out, title=title, privacy=privacy(out, key, show_ids), progress=step)
    for sentence in report.sentences:
        click.echo(f"- {sentence}")
    click.echo(f"report -> {report.path}  ({len(report.charts)} charts as PNG, {len(report.tables)} tables as CSV)")


@click.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="effects.csv")
@click.option("--json", "as_json", is_flag=True, help="Also print the rows as JSON.")
@mapping_option
@click.option(
    "--estimand",
    type=click.Choice(["ATE", "ATT"]),
    default="ATE",
    show_default=True,
    help="ATE: on all contacts of the type; ATT: on the contacts that used the field.",
)
@click.option("--field", "fields", multiple=True, help="Only these fields (repeatable). Default: every field used.")
@click.option(
    "--trim",
    type=click.FloatRange(0, 0.2),
    default=0.02,
    show_default=True,
    help="Leave out contacts whose propensity is outside [trim, 1-trim].",
)
@window_option("Case window (when cases must be stitched).")
@click.option("--seed", type=int, default=0, show_default=True)
def effects(
    contacts: Path,
    out: Path,
    as_json: bool,
    mapping: Path | None,
    estimand: str,
    fields: tuple[str, ...],
    trim: float,
    window: str,
    seed: int,
) -> None:
    """Adjusted effect of consulting each data field on handle time and resolution.

    Doubly robust (cross-fitted AIPW), adjusted for what the log shows, 95% CIs clustered by
    agent; `naive` and `adjusted` are with minus without, `saved` is positive when the field helps.

    \b
    Example:
      flowkit effects out/classified.parquet --out out/effects.csv --json
    """
    import json

    from flowkit.analyse.effects import EffectsOptions, field_effects_adjusted, verdict
    from flowkit.store import load_any, write_table

    step("reading contacts")
    table = prepare(load_any(contacts, mapping), window, step)
    step("estimating effects")
    eff = field_effects_adjusted(table, list(fields) or None, EffectsOptions(estimand=estimand, trim=trim, seed=seed))
    write_table(eff, out)
    if as_json:
        click.echo(json.dumps(json.loads(eff.to_json(orient="records")), indent=2))
        return
    for _, r in eff[eff["demand_type"].eq("(all)")].iterrows():
        ci = "" if _missing(r["ci_low"]) else f"  (95% CI {r['saved_ci_low']:+.3g} to {r['saved_ci_high']:+.3g})"
        click.echo(f"{r['field']:>18} {r['outcome']:<9} {verdict(r)}{ci}")
    click.echo(f"effects -> {out}  ({len(eff)} rows; observational: confirm with `flowkit pilot design`)")


def _missing(x: object) -> bool:
    """No confidence interval (the estimate had too few points)."""
    import math

    return x is None or (isinstance(x, float) and math.isnan(x))
