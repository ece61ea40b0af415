"""Who should answer (issue 16 q2): handle time and resolution by agent profile x customer segment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from flowkit.commands.common import WINDOW, load, step
from flowkit.pipeline.prepare import prepare

if TYPE_CHECKING:
    import pandas as pd


def _agents_file(path: Path) -> pd.DataFrame:
    """An agents file (CSV, XLSX or Parquet) as a table of text columns."""
    import pandas as pd

    from flowkit.errors import FlowkitError

    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            return pd.read_excel(path, dtype=str)
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path).astype("string")
        return pd.read_csv(path, dtype=str, sep=None, engine="python", encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise FlowkitError(f"{path}: cannot read the agents file ({exc})") from exc


@click.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="matching.csv")
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when CONTACTS is a raw export.")
@click.option(
    "--agents",
    "agents_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Agents file (CSV/XLSX/Parquet) with agent_id and the attribute, joined on agent_id.",
)
@click.option(
    "--attribute",
    help="The agent attribute to compare (default: agent_profile on the contacts, or profile in --agents).",
)
@click.option("--segment", default="segment", show_default=True, help="The customer segment column.")
@click.option(
    "--window", type=WINDOW, default="14D", show_default=True, help="Case window (when cases must be stitched)."
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Also print the rows as JSON.")
def match(
    contacts: Path,
    out: Path,
    mapping: Path | None,
    agents_path: Path | None,
    attribute: str | None,
    segment: str,
    window: str,
    seed: int,
    as_json: bool,
) -> None:
    """Who should answer: handle time and resolution per agent profile x customer segment.

    Adjusted for what the log shows (cross-fitted AIPW, as `flowkit effects`), 95% CIs clustered
    by agent; `diff` is this profile minus the others on like contacts; "too few" and "no
    evidence either way" are said, not guessed.

    \b
    Example:
      flowkit match reports/demo/contacts.parquet --out reports/demo/matching.csv
      flowkit match contacts.parquet --agents agents.csv --attribute profile --out matching.csv
    """
    import json

    from flowkit.analyse.matching import MatchOptions, attach_agents, find_attribute, match_effects
    from flowkit.errors import FlowkitError
    from flowkit.store import write_table

    step("reading contacts")
    table = prepare(load(contacts, mapping), window, step)
    if agents_path is not None:
        attribute = attribute or "profile"
        table = attach_agents(table, _agents_file(agents_path), attribute)
    attribute = attribute or find_attribute(table)
    if attribute is None:
        raise FlowkitError(
            "no agent attribute: give --agents agents.csv (with agent_id and profile), or --attribute COLUMN"
        )
    step("estimating who should answer")
    eff = match_effects(table, attribute=attribute, segment=segment, options=MatchOptions(seed=seed))
    write_table(eff, out)
    if as_json:
        click.echo(json.dumps(json.loads(eff.to_json(orient="records")), indent=2))
        return
    for _, r in eff.iterrows():
        ci = "" if r["diff"] != r["diff"] else _ci(r)
        click.echo(f"{r['segment']:>14} {r['profile']:>14} {r['outcome']:<9} {r['verdict']}{ci}")
    click.echo(f"matching -> {out}  ({len(eff)} rows; observational: confirm with a pilot)")


def _ci(r: pd.Series) -> str:
    if r["outcome"] == "handle_s":
        return f"  (95% CI {r['diff_ci_low']:+.0f} to {r['diff_ci_high']:+.0f} s)"
    return f"  (95% CI {r['diff_ci_low'] * 100:+.1f} to {r['diff_ci_high'] * 100:+.1f} points)"
