"""`spaceport view DIR`: serve a job folder's `viewer.html` on loopback and open it in a browser."""

import http.server
import signal
import sys
import webbrowser
from pathlib import Path

import typer

from spaceport.engine import EngineMissing
from spaceport_app.embedded.viewer import find_engine

ENGINE_URL = "/playcanvas.mjs"


def handler_for(folder: Path, engine: Path) -> type[http.server.SimpleHTTPRequestHandler]:
    """A static handler for `folder` that also serves the bundled PlayCanvas engine at /playcanvas.mjs."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            # http.server passes (request, client_address, server) through; typeshed types them, we forward them
            super().__init__(*args, directory=str(folder), **kwargs)  # type: ignore[arg-type]

        def translate_path(self, path: str) -> str:
            if path.split("?", 1)[0] == ENGINE_URL:
                return str(engine)
            return super().translate_path(path)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class ViewServer(http.server.ThreadingHTTPServer):
    """The loopback server: a browser that drops a download (a reload, a closed tab) is not an error to print."""

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def view(
    folder: Path = typer.Argument(..., help="a job folder holding viewer.html (printed by spaceport run)"),
    port: int = typer.Option(8765, help="loopback port"),
    open_browser: bool = typer.Option(True, "--open/--no-open", help="open the page in a browser"),
) -> None:
    """Serve FOLDER on 127.0.0.1 so the 3D viewer page can load the splat."""
    if not (folder / "viewer.html").is_file():
        typer.echo(f"error: no viewer.html in {folder}", err=True)
        raise typer.Exit(2)
    try:
        engine = find_engine()
    except EngineMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    # Ctrl-C stops the server even where the parent started it with SIGINT ignored (as a shell's background job)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with ViewServer(("127.0.0.1", port), handler_for(folder, engine)) as server:
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
