"""Commands that read exports: ingest, cases."""

from __future__ import annotations

from pathlib import Path

import click

from flowkit.commands.common import privacy, privacy_options, window_option
from flowkit.commands.text import cases_text, summary_text


@click.command()
@click.argument("exports", nargs=-1, type=click.Path(path_type=Path))
@click.option("--mapping", "mapping", type=click.Path(path_type=Path), help="Mapping YAML applied to every export.")
@click.option("--manifest", type=click.Path(path_type=Path), help="YAML listing exports, each with its mapping.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="contacts.parquet or contacts.csv")
def ingest(exports: tuple[Path, ...], mapping: Path | None, manifest: Path | None, out: Path) -> None:
    """Read exports (CSV/TSV, XLSX, JSON, Parquet; any encoding) into one contact table.

    Every row is kept, dropped on purpose, or quarantined with its reason in
    OUT's stem + '.quarantine.csv'; the summary reconciles the four.

    \b
    Example:
      flowkit ingest calls.csv --mapping calls.yaml --out contacts.parquet
      flowkit ingest --manifest samples/manifest.yaml --out out/contacts.parquet
    """
    from flowkit.pipeline import ingest_to
    from flowkit.store import QUARANTINE_NOTE

    if bool(exports) == bool(manifest):
        raise click.UsageError("give export files or --manifest (one of the two)")
    written = ingest_to(out, exports, mapping, manifest)
    click.echo(summary_text(written.result))
    click.echo(f"contacts -> {out}\nquarantine -> {written.quarantine} ({QUARANTINE_NOTE})")
    if written.repairs:
        click.echo(f"repaired cells -> {written.repairs}")


@click.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@window_option("Longest gap between contacts of one case.")
@click.option("--by-reason", is_flag=True, help="Only stitch contacts with the same reason code.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Contacts with case_id (.parquet/.csv).")
@click.option("--cases-out", type=click.Path(path_type=Path), help="One row per case (.csv/.parquet).")
@privacy_options
def cases(
    contacts: Path,
    window: str,
    by_reason: bool,
    out: Path,
    cases_out: Path | None,
    key: str | None,
    show_ids: bool,
) -> None:
    """Stitch each customer's contacts across channels into cases.

    \b
    Example:
      flowkit cases out/contacts.parquet --window 14D --out out/contacts_cases.parquet --cases-out out/cases.csv
    """
    from flowkit.cases import stitch
    from flowkit.placeholders import describe
    from flowkit.store import read_contacts, write_table

    result = stitch(read_contacts(contacts), window=window, by_reason=by_reason)
    write_table(result.contacts, out, privacy(out.parent, key, show_ids))
    if cases_out:
        write_table(result.cases, cases_out, privacy(cases_out.parent, key, show_ids))
    if result.placeholders:
        click.echo(describe(result.placeholders, len(result.contacts)))
    click.echo(cases_text(result.cases))
