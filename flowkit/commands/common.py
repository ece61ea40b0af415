"""What every command shares: progress on stderr, reading any contact source with its ledger, a case window."""

from __future__ import annotations

from pathlib import Path

import click


def step(message: str) -> None:
    """Progress for long steps, on stderr so stdout stays the result (and JSON stays parseable)."""
    click.echo(f"  ... {message}", err=True)


def load(contacts: Path, mapping: Path | None):
    """Read CONTACTS for a command and print the ingest ledger when it had to be ingested."""
    from flowkit.commands.text import summary_text
    from flowkit.store import load_with_ledger

    table, result = load_with_ledger(contacts, mapping)
    if result is not None:
        click.echo(summary_text(result))
    return table


class Window(click.ParamType):
    """A positive pandas duration such as 14D or 36h, checked when parsed (a bad one is a usage error)."""

    name = "duration"

    def convert(self, value, param, ctx):
        import pandas as pd

        try:
            ok = pd.Timedelta(value) > pd.Timedelta(0)
        except (ValueError, TypeError):
            ok = False
        if not ok:
            self.fail(f"{value!r} is not a positive duration such as 14D or 36h", param, ctx)
        return value


WINDOW = Window()
