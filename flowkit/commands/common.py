"""What every command shares: progress on stderr, reading any contact source with its ledger, a case window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    import pandas as pd

    from flowkit.privacy import Privacy

F = TypeVar("F", bound=Callable[..., Any])


def step(message: str) -> None:
    """Progress for long steps, on stderr so stdout stays the result (and JSON stays parseable)."""
    click.echo(f"  ... {message}", err=True)


def load(contacts: Path, mapping: Path | None) -> pd.DataFrame:
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

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """``value`` is what click hands every ParamType (hence ``Any``): the text typed, or the default."""
        import pandas as pd

        try:
            ok = pd.Timedelta(value) > pd.Timedelta(0)
        except (ValueError, TypeError):
            ok = False
        if not ok:
            self.fail(f"{value!r} is not a positive duration such as 14D or 36h", param, ctx)
        return value


WINDOW = Window()

#: --mapping, on every command that reads CONTACTS (a contact table, a manifest or a raw export)
mapping_option = click.option(
    "--mapping", type=click.Path(path_type=Path), help="Mapping YAML when CONTACTS is a raw export."
)


def window_option(help: str | None = None) -> Callable[[F], F]:
    """--window, the case window (longest gap between a customer's contacts of one case), 14 days unless given;
    ``help`` says what the command uses it for."""
    return click.option("--window", type=WINDOW, default="14D", show_default=True, help=help)


def setting_option(flag: str, dest: str, kind: click.ParamType, default: float, help: str) -> Callable[[F], F]:
    """A number the log cannot show (an assumption, or a threshold), with its default printed in --help."""
    return click.option(flag, dest, type=kind, default=default, show_default=True, help=help)


def privacy_options(command: F) -> F:
    """--show-ids and --key on every command whose outputs carry customer ids (privacy is on by default)."""
    command = click.option(
        "--show-ids", is_flag=True, help="Write raw customer ids (default: keyed pseudonyms; free text is masked)."
    )(command)
    return click.option(
        "--key",
        envvar="FLOWKIT_PSEUDONYM_KEY",
        help="Secret key for customer-id pseudonyms (env FLOWKIT_PSEUDONYM_KEY; default: a random key kept, "
        "mode 0600, in the output folder).",
    )(command)


def privacy(folder: Path, key: str | None, show_ids: bool) -> Privacy:
    """The Privacy for outputs written into ``folder`` (its key file lives there unless ``key`` is given)."""
    from flowkit.privacy import privacy_for

    return privacy_for(folder, key, show_ids)
