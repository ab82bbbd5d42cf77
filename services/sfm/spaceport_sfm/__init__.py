"""Spaceport sfm service: photos or a video -> a gated sparse COLMAP model, with diagnostics."""

from spaceport_sfm.pipeline import ProgressUpdate, RunOptions, reconstruct
from spaceport_sfm.report import SfmReport

__all__ = ["ProgressUpdate", "RunOptions", "SfmReport", "reconstruct"]
