"""The managers' questions (issue 16): does the Nth contact lose the customer?"""

from __future__ import annotations

from pathlib import Path

import click

from flowkit.commands.common import WINDOW, load, step
from flowkit.pipeline.prepare import prepare


@click.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="churn_by_contacts.csv")
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when CONTACTS is a raw export.")
@click.option(
    "--basis",
    type=click.Choice(["case", "90d"]),
    default="case",
    show_default=True,
    help="Count contacts in the case, or in the customer's last 90 days.",
)
@click.option("--churned-column", default="churned_at", show_default=True, help="Per-customer leaving date column.")
@click.option("--closure-type", "closure_types", multiple=True, help="Demand type that means the account closed.")
@click.option("--silence-days", type=float, help="ASSUMPTION: no contact for this many days means the customer left.")
@click.option(
    "--window", type=WINDOW, default="14D", show_default=True, help="Case window (when cases must be stitched)."
)
def churn(contacts, out, mapping, basis, churned_column, closure_types, silence_days, window):
    """Does the Nth contact lose the customer? Leaving risk by contact number, with 95% CIs.

    \b
    Example:
      flowkit churn out/classified.parquet --silence-days 90 --out out/churn_by_contacts.csv
    """
    from flowkit.analyse.churn import analyse_churn
    from flowkit.store import write_table

    table = prepare(load(contacts, mapping), window, step)
    result = analyse_churn(table, basis, churned_column, tuple(closure_types), silence_days)
    write_table(result.table, out)
    click.echo(f"leaving known from: {result.signal}")
    click.echo(f"{result.customers:,} customers, {result.left:,} left; {result.jump.verdict}")
    for _, r in result.cox.iterrows():
        click.echo(
            f"  {r['term']:<38} hazard ratio {r['hazard_ratio']:.2f} (95% CI {r['ci_low']:.2f} to {r['ci_high']:.2f})"
        )
    click.echo(f"churn by contacts -> {out}")
