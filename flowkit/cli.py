"""The ``flowkit`` command: parse arguments, call the library, print. Nothing else lives here.

The commands live by theme in :mod:`flowkit.commands`; the orchestration they share with the
notebooks in :mod:`flowkit.pipeline`. Only flowkit's own errors (and click's) become one-line
messages: anything else is a bug and shows its traceback.
"""

from __future__ import annotations

from typing import Any

import click

from flowkit.commands.analyse import analyze, effects
from flowkit.commands.classify import classify, label
from flowkit.commands.demo import demo, samples
from flowkit.commands.ingest import cases, ingest
from flowkit.commands.managers import churn, hours
from flowkit.commands.matching import match
from flowkit.commands.pilot import pilot
from flowkit.commands.schema import schema
from flowkit.commands.simulate import calibrate, compare, experiment, simulate, theory
from flowkit.errors import FlowkitError


class _Group(click.Group):
    """Turn every FlowkitError into a one-line message, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:  # whatever the command returns (click's own type)
        try:
            return super().invoke(ctx)
        except FlowkitError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group)
@click.version_option(package_name="flowkit")
def main() -> None:
    """flowkit: value and failure demand, flow and what-if simulation from contact logs."""
    _charts_to_files()


def _charts_to_files() -> None:
    """The CLI only writes charts to files: matplotlib's file backend, never a window (the library chooses none)."""
    import matplotlib

    matplotlib.use("Agg")


for command in (
    ingest,
    cases,
    classify,
    label,
    analyze,
    effects,
    churn,
    hours,
    match,
    pilot,
    samples,
    simulate,
    calibrate,
    compare,
    experiment,
    theory,
    demo,
    schema,
):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
