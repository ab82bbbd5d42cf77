"""Build step for the dashboard: bundle the PlayCanvas engine from `node_modules` (no CDN at run time).

`python -m spaceport_monitor.assets [NODE_MODULES]` copies the pinned engine build into
`static/vendor/`; the Dockerfile and CI run it after `npm ci`. The copy is not committed (2.5 MB).
"""

import json
import shutil
import sys
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)
VENDOR_DIR = Path(__file__).parent / "static" / "vendor"
ENGINE_FILE = "playcanvas.min.mjs"


class AssetsMissing(FileNotFoundError):
    """The engine is not in `node_modules`: run `npm ci` at the repository root first."""


def engine_path() -> Path:
    """Where the bundled engine is served from."""
    return VENDOR_DIR / ENGINE_FILE


def build_assets(node_modules: Path) -> Path:
    """Copy the engine (and its licence) into the package; returns the engine's path. Idempotent."""
    package = node_modules / "playcanvas"
    source = package / "build" / ENGINE_FILE
    if not source.is_file():
        raise AssetsMissing(f"{source} not found: run `npm ci` at the repository root")
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    target = engine_path()
    if not target.is_file() or target.stat().st_size != source.stat().st_size:
        tmp = target.with_suffix(".part")
        shutil.copyfile(source, tmp)
        tmp.replace(target)
    licence = package / "LICENSE"
    if licence.is_file():
        shutil.copyfile(licence, VENDOR_DIR / "PLAYCANVAS-LICENSE.txt")
    version = json.loads((package / "package.json").read_text())["version"]
    log.info("assets_built", engine=str(target), playcanvas=version)
    return target


def main(argv: list[str] | None = None) -> None:
    """Entry point of the build step."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path(__file__).resolve().parents[3] / "node_modules"
    build_assets(root)


if __name__ == "__main__":
    main()
