"""The whole pipeline in one process: every stage on the in-memory bus and a local folder."""

from spaceport_app.embedded.pipeline import EmbeddedRun, load_stages, run_embedded

__all__ = ["EmbeddedRun", "load_stages", "run_embedded"]
