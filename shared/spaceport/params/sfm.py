"""SfM job parameters and their named profiles (fast / default / enhanced)."""

from typing import Literal

from pydantic import Field

from spaceport.params.base import Params

SfmProfile = Literal["fast", "default", "enhanced"]
CameraModel = Literal["SIMPLE_PINHOLE", "PINHOLE", "SIMPLE_RADIAL", "RADIAL", "OPENCV", "OPENCV_FISHEYE"]
Pairing = Literal["auto", "exhaustive", "sequential", "spatial"]
Mapper = Literal["incremental", "global"]


class SfmParams(Params):
    """Everything that shapes one reconstruction; `profile` names the preset it came from."""

    profile: SfmProfile = "default"
    # feature extraction (COLMAP 4 defaults unless a profile says otherwise)
    max_image_size: int = Field(default=3200, ge=64)
    max_num_features: int = Field(default=8192, ge=64)
    first_octave: int = -1
    num_octaves: int = Field(default=4, ge=1)
    octave_resolution: int = Field(default=3, ge=1)
    default_focal_length_factor: float = Field(default=1.2, gt=0)
    camera_model: CameraModel = "SIMPLE_RADIAL"
    single_camera: bool = True
    # matching
    guided_matching: bool = False
    max_ratio: float = Field(default=0.8, gt=0, le=1)
    max_distance: float = Field(default=0.7, gt=0)
    cross_check: bool = True
    max_num_matches: int = Field(default=32768, ge=16)
    pairing: Pairing = "auto"
    sequential_overlap: int = Field(default=10, ge=1)
    exhaustive_max_images: int = Field(default=120, ge=2)
    # mapping
    mapper: Mapper = "incremental"
    refine_principal_point: bool = False
    # input handling
    video_target_frames: int = Field(default=120, ge=3)
    min_images: int = Field(default=3, ge=2)
    min_side_px: int = Field(default=64, ge=1)
    retry_with_robust_profile: bool = True
    timeout_s: float = Field(default=3600.0, gt=0)

    @classmethod
    def preset(cls, profile: SfmProfile) -> "SfmParams":
        """The named profile, fully resolved."""
        if profile == "fast":
            return cls(profile="fast", max_image_size=1000, max_num_features=4096)
        if profile == "enhanced":
            return cls(
                profile="enhanced",
                max_image_size=4096,
                max_num_features=16384,
                first_octave=-1,
                num_octaves=4,
                octave_resolution=3,
                default_focal_length_factor=1.2,
                guided_matching=True,
                max_ratio=0.8,
                max_distance=0.7,
                cross_check=True,
                max_num_matches=32768,
            )
        return cls(profile="default")
