"""Commands on generated and bundled data: samples make, demo."""

from __future__ import annotations

from pathlib import Path

import click

from flowkit.commands.common import privacy, privacy_options, step
from flowkit.commands.text import cases_text, summary_text


@click.group()
def samples() -> None:
    """Generate example logs from a known ground truth.

    \b
    Example:
      flowkit samples make --contacts 30000 --seed 7 --out samples
    """


@samples.command("make")
@click.option(
    "--contacts",
    "n",
    type=click.IntRange(min=1),
    default=30_000,
    show_default=True,
    help="Customer contacts to generate; the phone switch's closed-line and outbound calls come on top.",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--out", required=True, type=click.Path(path_type=Path))
@click.option(
    "--layout",
    type=click.Choice(["org", "single"]),
    default="org",
    show_default=True,
    help="org: four exports of different shapes with dirt; single: one clean CSV.",
)
def samples_make(n: int, seed: int, out: Path, layout: str) -> None:
    """Write a generated organisation's exports, mappings and answer key.

    \b
    Example:
      flowkit samples make --contacts 1000000 --seed 1 --layout single --out /tmp/big
    """
    from flowkit.synth import generate, write_exports, write_single_csv
    from flowkit.synth.hours_sample import add_closed_line_and_callbacks, hours_for
    from flowkit.synth.matching import plant_sample_matching

    # calls to a closed line (in proportion to N) and callbacks, on top of the N customer contacts
    log = add_closed_line_and_callbacks(generate(n, seed=seed), seed, hours_for(n))
    log = plant_sample_matching(log, seed)  # segments and agent profiles (issue 16 q2)
    written = write_exports(log, out, seed=seed) if layout == "org" else write_single_csv(log, out)
    for name, path in written.exports.items():
        click.echo(f"{name}: {path}")
    click.echo(f"answer key: {written.answer_key}")
    if written.manifest:
        click.echo(f"manifest: {written.manifest}")


@click.command()
@click.option(
    "--out",
    default=str(Path("reports") / "demo"),
    show_default=True,
    type=click.Path(path_type=Path),
)
@privacy_options
def demo(out: Path, key: str | None, show_ids: bool) -> None:
    """Run the whole pipeline on the bundled samples and write the report.

    Ingest (with the reconciliation), stitch cases, classify, analyse, report to OUT/index.html.

    \b
    Example:
      flowkit demo --out reports/demo
    """
    from flowkit.pipeline import run_demo
    from flowkit.samples import path as bundled_samples
    from flowkit.store import QUARANTINE_NOTE

    samples = bundled_samples()  # a broken install fails here, before the output folder (and its key) exists
    done = run_demo(out, progress=step, samples=samples, privacy=privacy(out, key, show_ids))
    click.echo(cases_text(done.cases))
    for sentence in done.report.sentences:
        click.echo(f"- {sentence}")
    click.echo(f"report -> {done.report.path}")
    click.echo(f"quarantine -> {done.quarantine} ({QUARANTINE_NOTE})")
    click.echo(summary_text(done.ingest))
