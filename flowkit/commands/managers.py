"""The managers' questions (issue 16): does the Nth contact lose the customer; when to call back, when to be open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from flowkit.commands.common import load, mapping_option, step, window_option
from flowkit.pipeline.prepare import prepare


@click.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="churn_by_contacts.csv")
@mapping_option
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
@window_option("Case window (when cases must be stitched).")
def churn(
    contacts: Path,
    out: Path,
    mapping: Path | None,
    basis: str,
    churned_column: str,
    closure_types: tuple[str, ...],
    silence_days: float | None,
    window: str,
) -> None:
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


class _OpenHours(click.ParamType):
    """CHANNEL=HOURS, e.g. phone="Mon-Fri 08:00-18:00; Sat 09:00-13:00" (checked when parsed)."""

    name = "channel=hours"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, str]:
        """``value`` is what click hands every ParamType (hence ``Any``): the text typed."""
        from flowkit.analyse.hours import grid_from_text
        from flowkit.errors import FlowkitError

        channel, sep, text = str(value).partition("=")
        if not sep or not channel.strip():
            self.fail(f"{value!r}: give CHANNEL=HOURS, e.g. phone='Mon-Fri 08:00-18:00'", param, ctx)
        try:
            grid_from_text(text)
        except FlowkitError as exc:
            self.fail(str(exc), param, ctx)
        return channel.strip(), text.strip()


@click.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for the CSVs.")
@mapping_option
@click.option(
    "--open-hours",
    "open_hours",
    type=_OpenHours(),
    multiple=True,
    help="A channel's opening hours, CHANNEL='Mon-Fri 08:00-18:00; Sat 09:00-13:00' (default: inferred from the log).",
)
@click.option(
    "--redial-hours", type=click.FloatRange(min=0.25, max=24), default=2.0, show_default=True,
    help="A redial at opening is a contact in this many hours after the line opens.",
)  # fmt: skip
@click.option(
    "--callback-hours", type=click.FloatRange(min=0.5, max=24 * 14), default=24.0, show_default=True,
    help="A callback is kept when an outbound contact reaches the customer within this many hours.",
)  # fmt: skip
@click.option(
    "--days", type=click.FloatRange(min=1, max=90), default=7.0, show_default=True,
    help="Failure demand after a callback is counted in this many days after the callback window.",
)  # fmt: skip
@window_option("Case window (when cases must be stitched).")
def hours(
    contacts: Path,
    out: Path,
    mapping: Path | None,
    open_hours: tuple[tuple[str, str], ...],
    redial_hours: float,
    callback_hours: float,
    days: float,
    window: str,
) -> None:
    """When to call back, when to be open: closed-line attempts, redials at opening, callbacks kept and missed.

    \b
    Example:
      flowkit hours out/classified.parquet --out out/hours --open-hours phone='Mon-Fri 08:00-18:00; Sat 09:00-13:00'
    """
    from flowkit.pipeline.hours import answer_hours
    from flowkit.safewrite import write_csv

    table = prepare(load(contacts, mapping), window, step)
    answer = answer_hours(table, dict(open_hours) or None, redial_hours, callback_hours, days)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in answer.tables().items():
        write_csv(df, out / f"{name}.csv", index=False)
    for note in answer.closed.notes:
        click.echo(f"open hours, {note}")
    for r in answer.closed.redials.itertuples():
        click.echo(
            f"{r.channel}: {r.attempts_closed:,} attempts while closed; redialled within {r.within_hours:g} h of opening "
            f"{r.redial_share:.1%} (95% CI {r.ci_low:.1%} to {r.ci_high:.1%}) of {r.episodes:,} identified customers"
            + ("" if r.verdict == "measured" else f" - {r.verdict}")
        )
    cb = answer.callbacks
    if cb is None:
        click.echo(f"callbacks: {answer.callbacks_note}")
    else:
        e = cb.effect
        click.echo(f"callbacks: {cb.promises:,} promised, {cb.kept_share[0]:.1%} kept in time")
        if e.get("estimate") == e.get("estimate") and e.get("estimate") is not None:
            click.echo(
                f"  failure demand after a missed callback: {e['estimate']:+.1%} (95% CI {e['ci_low']:+.1%} to "
                f"{e['ci_high']:+.1%}; naive {e['naive']:+.1%}) - {e['verdict']}"
            )
        else:
            click.echo(f"  {e['verdict']}")
    click.echo(f"tables -> {out}")
