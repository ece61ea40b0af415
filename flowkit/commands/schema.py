"""``flowkit schema``: the JSON Schema of scenario and mapping files, for editors and validators."""

from __future__ import annotations

import click


@click.command()
@click.argument("kind", type=click.Choice(["scenario", "mapping"]))
def schema(kind: str) -> None:
    """Print the JSON Schema of a scenario or mapping file, for editors and validators.

    \b
    Example:
      flowkit schema scenario > scenario.schema.json
      flowkit schema mapping > mapping.schema.json
    """
    from flowkit.schemas import schema_json

    click.echo(schema_json(kind))
