"""`spaceport`: one command with a subcommand per task; each lives in its own module."""

import typer

from spaceport_app.cli import demo, engine, export, run, schema, serve, submit, view

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Photos in, a web-ready 3D Gaussian Splat out.")

for module in (demo, run, submit, serve, schema, view, engine, export):
    module.register(app)

try:  # subcommands whose modules need optional dependencies register themselves when importable
    from spaceport_app.cli import status

    status.register(app)
except ImportError:  # pragma: no cover - monitor extras not installed
    pass
