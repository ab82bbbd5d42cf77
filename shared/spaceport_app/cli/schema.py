"""`spaceport schema`: the JSON Schema of every event, for clients in other languages."""

import json

import typer

from spaceport.events import json_schemas


def schema() -> None:
    """Print the JSON Schema of every event type, keyed by type."""
    typer.echo(json.dumps(json_schemas(), indent=2, sort_keys=True))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(schema)
