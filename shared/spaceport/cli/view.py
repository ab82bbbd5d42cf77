"""`spaceport view DIR`: serve a job folder's `viewer.html` on loopback and open it in a browser."""

import functools
import http.server
import webbrowser
from pathlib import Path

import typer


def view(
    folder: Path = typer.Argument(..., help="a job folder holding viewer.html (printed by spaceport run)"),
    port: int = typer.Option(8765, help="loopback port"),
    open_browser: bool = typer.Option(True, "--open/--no-open", help="open the page in a browser"),
) -> None:
    """Serve FOLDER on 127.0.0.1 so the 3D viewer page can load the splat."""
    if not (folder / "viewer.html").is_file():
        typer.echo(f"error: no viewer.html in {folder}", err=True)
        raise typer.Exit(2)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/viewer.html"
        typer.echo(f"serving {url} (Ctrl-C to stop)")
        if open_browser:
            webbrowser.open(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(view)
