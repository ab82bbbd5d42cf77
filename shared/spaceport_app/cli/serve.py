"""`spaceport serve STAGE`: start one worker of a stage (each stage's package has a `main()`)."""

import importlib
from typing import Literal

import typer

ServiceName = Literal["sfm", "trainer", "compressor", "monitor"]


def serve(stage: ServiceName = typer.Argument(..., help="sfm | trainer | compressor | monitor")) -> None:
    """Start one worker of STAGE on RabbitMQ and the configured store (settings from SPACEPORT_* env)."""
    try:
        module = importlib.import_module(f"spaceport_{stage}.__main__")
    except ImportError as exc:
        raise typer.BadParameter(
            f"the {stage} service is not installed ({exc}); install it with `pip install .[{stage}]`"
        ) from exc
    module.main()


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(serve)
