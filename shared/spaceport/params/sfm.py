"""SfM job parameters and their named profiles (fast / default / enhanced)."""

from typing import Literal

from pydantic import Field

from spaceport.params.base import Params

SfmProfile = Literal["fast", "default", "enhanced"]
CameraModel = Literal["SIMPLE_PINHOLE", "PINHOLE", "SIMPLE_RADIAL", "RADIAL", "OPENCV", "OPENCV_FISHEYE"]
Pairing = Literal["auto", "exhaustive", "sequential", "spatial", "retrieval"]
Mapper = Literal["incremental", "global"]

PROFILE_ORDER: tuple[SfmProfile, ...] = ("fast", "default", "enhanced")
TUNING_FIELDS = frozenset(
    {
        "max_image_size",
        "max_num_features",
        "first_octave",
        "num_octaves",
        "octave_resolution",
        "default_focal_length_factor",
        "guided_matching",
        "max_ratio",
        "max_distance",
        "cross_check",
        "max_num_matches",
    }
)
"""The fields a profile sets; every other field is the job's own choice and survives a profile change."""


class SfmParams(Params):
    """Everything that shapes one reconstruction; `profile` names the preset it came from.

    Feature and matching values default to COLMAP 4's. The one deliberate departure is
    `refine_principal_point`: the mapper's final bundle adjustment also refines the principal point
    (checked to stay near the image centre), which takes fox from 0.59 to about 0.2 degrees median
    rotation error against its reference poses (benchmarks/sfm/RESULTS.md).
    """

    profile: SfmProfile = "default"
    # feature extraction
    max_image_size: int = Field(default=3200, ge=64, description="longest side SIFT sees, in pixels")
    max_num_features: int = Field(default=8192, ge=64)
    first_octave: int = -1
    num_octaves: int = Field(default=4, ge=1)
    octave_resolution: int = Field(default=3, ge=1)
    default_focal_length_factor: float = Field(default=1.2, gt=0, description="focal prior / longest side")
    camera_model: CameraModel = "SIMPLE_RADIAL"
    single_camera: bool = Field(default=True, description="one camera for all images (one phone, one lens)")
    # matching
    guided_matching: bool = Field(
        default=False,
        description="applied only where pycolmap runs SIFT on a GPU: on a CPU it is "
        "10-20x slower and took 20 GB of RAM on a 6 MP photo set",
    )
    max_ratio: float = Field(default=0.8, gt=0, le=1)
    max_distance: float = Field(default=0.7, gt=0)
    cross_check: bool = True
    max_num_matches: int = Field(default=32768, ge=16)
    pairing: Pairing = Field(
        default="auto",
        description="auto: sequential for video, exhaustive up to exhaustive_max_images, "
        "then spatial with GPS priors or retrieval without",
    )
    sequential_overlap: int = Field(default=10, ge=1)
    loop_closure_neighbors: int = Field(
        default=5,
        ge=0,
        description="sequential pairing (video): each image is also matched with this many of its most similar "
        "images outside the sequential window (visual words), so a walk that returns to its start closes its loop; "
        "0: none",
    )
    exhaustive_max_images: int = Field(default=120, ge=2)
    retrieval_neighbors: int = Field(default=25, ge=1, description="most similar images matched per image")
    # mapping
    mapper: Mapper = "incremental"
    refine_principal_point: bool = True
    ba_use_gpu: bool = Field(
        default=True,
        description="bundle adjustment through Ceres' CUDA solver where pycolmap was built with CUDA "
        "(ignored on a CPU build, where the CPU behaviour stays COLMAP's)",
    )
    ba_global_frames_ratio: float | None = Field(
        default=None,
        gt=1.0,
        description="run the incremental mapper's global bundle adjustment when the registered images grew by "
        "this factor since the last one; None: COLMAP's 1.1 on a CPU build (1.4 past `exhaustive_max_images` "
        "photos: 500 photos mapped in 246 s instead of 445 s, poses as accurate), 2.0 where pycolmap has CUDA "
        "(there mapping is most of SfM: fox on an H200 mapped in 18 s instead of 26 s at the same pose error)",
    )
    ba_local_num_images: int | None = Field(
        default=None, ge=2, description="images in each local bundle adjustment; None: COLMAP's 6"
    )
    ba_local_max_refinements: int | None = Field(
        default=None, ge=1, description="refinements of each local bundle adjustment; None: COLMAP's 2"
    )
    # input handling
    video_target_frames: int = Field(default=120, ge=3)
    min_images: int = Field(default=3, ge=2)
    min_side_px: int = Field(default=64, ge=1)
    retry_with_robust_profile: bool = True
    timeout_s: float = Field(default=3600.0, gt=0, description="wall-clock limit of one pycolmap attempt")

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

    def with_profile(self, profile: SfmProfile) -> "SfmParams":
        """These parameters with another profile's tuning; the job's other choices are kept."""
        tuned = SfmParams.preset(profile).model_dump(include=set(TUNING_FIELDS))
        return self.model_copy(update={**tuned, "profile": profile})

    def more_robust(self) -> "SfmParams | None":
        """The next heavier profile for a second attempt, or None when this is already the heaviest."""
        index = PROFILE_ORDER.index(self.profile)
        if index + 1 >= len(PROFILE_ORDER):
            return None
        return self.with_profile(PROFILE_ORDER[index + 1])
