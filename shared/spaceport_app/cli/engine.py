"""`spaceport engine`: fetch the pinned PlayCanvas engine into this user's cache (the views' one-time setup)."""

import typer

from spaceport.engine import INTEGRITY, VERSION, EngineMissing, engine_file
from spaceport_app.cli.exit_codes import ExitCode


def engine() -> None:
    """Make sure the PlayCanvas engine the 3D views load is on this machine (fetched once and checked)."""
    try:
        path = engine_file()
    except EngineMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(ExitCode.FAILED) from exc
    typer.echo(f"PlayCanvas {VERSION} ({INTEGRITY[:19]}...): {path}")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(engine)
