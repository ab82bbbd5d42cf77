"""`python -m spaceport ...`: the same as the `spaceport` command."""

from spaceport_app.cli.main import app

if __name__ == "__main__":
    app()
