"""A one-file 3D viewer page for a `.sog`, on the PlayCanvas engine bundled at build time (no CDN)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

VIEWER_HTML = (Path(__file__).parent / "viewer.html").read_text()


def find_engine() -> Path | None:
    """The bundled engine: the monitor's build-step copy, else the repository's node_modules."""
    candidates = []
    try:
        from spaceport_monitor.assets import engine_path

        candidates.append(engine_path())
    except ImportError:
        pass
    candidates += [REPO / "node_modules" / "playcanvas" / "build" / "playcanvas.min.mjs"]
    return next((p for p in candidates if p.is_file()), None)
