"""Typed job parameters with named presets, carried in events."""

from spaceport.params.base import Params
from spaceport.params.compressor import CompressParams
from spaceport.params.sfm import SfmParams, SfmProfile
from spaceport.params.trainer import TrainParams, TrainPreset


class JobOptions(Params):
    """The parameters of every stage of one job, fixed at submission."""

    sfm: SfmParams = SfmParams()
    trainer: TrainParams = TrainParams()
    compressor: CompressParams = CompressParams()

    @classmethod
    def for_preset(cls, preset: TrainPreset, sfm_profile: SfmProfile | None = None) -> "JobOptions":
        """Options for a pipeline preset: preview pairs with the fast SfM profile."""
        profile: SfmProfile = sfm_profile or ("fast" if preset == "preview" else "default")
        return cls(sfm=SfmParams.preset(profile), trainer=TrainParams.preset_named(preset))


__all__ = ["CompressParams", "JobOptions", "Params", "SfmParams", "TrainParams"]
