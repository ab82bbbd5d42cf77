"""SfmParams -> pycolmap 4.x option objects. Imported only inside the pycolmap child process."""

from pathlib import Path
from typing import TypeVar

import pycolmap

from spaceport.params import SfmParams

MIN_MODEL_SIZE = 3
"""Keep secondary models down to 3 images, so the report can say which photos formed a separate group."""


def uses_gpu() -> bool:
    """Whether this pycolmap build runs SIFT on a GPU (Device.auto picks it)."""
    return bool(pycolmap.has_cuda)


def guided_matching_applies(params: SfmParams) -> bool:
    """Guided matching only where SIFT runs on a GPU: on a CPU it costs 10-20x the time and GBs of RAM."""
    return params.guided_matching and uses_gpu()


def reader_options(params: SfmParams, masks_dir: Path | None = None) -> pycolmap.ImageReaderOptions:
    """How images become cameras: camera model and focal-length prior; the masks' folder where there is one."""
    options = pycolmap.ImageReaderOptions()
    options.camera_model = params.camera_model
    options.default_focal_length_factor = params.default_focal_length_factor
    if masks_dir is not None:
        options.mask_path = str(masks_dir)
    return options


def camera_mode(params: SfmParams) -> pycolmap.CameraMode:
    """One shared camera (one phone, one lens) or COLMAP's automatic grouping."""
    return pycolmap.CameraMode.SINGLE if params.single_camera else pycolmap.CameraMode.AUTO


def extraction_options(params: SfmParams, threads: int) -> pycolmap.FeatureExtractionOptions:
    """SIFT extraction settings."""
    options = pycolmap.FeatureExtractionOptions()
    options.max_image_size = params.max_image_size
    options.num_threads = threads
    options.sift.max_num_features = params.max_num_features
    options.sift.first_octave = params.first_octave
    options.sift.num_octaves = params.num_octaves
    options.sift.octave_resolution = params.octave_resolution
    return options


def matching_options(params: SfmParams, threads: int) -> pycolmap.FeatureMatchingOptions:
    """SIFT matching settings (guided matching only on a GPU)."""
    options = pycolmap.FeatureMatchingOptions()
    options.num_threads = threads
    options.guided_matching = guided_matching_applies(params)
    options.max_num_matches = params.max_num_matches
    options.sift.max_ratio = params.max_ratio
    options.sift.max_distance = params.max_distance
    options.sift.cross_check = params.cross_check
    return options


COLMAP_GLOBAL_BA_RATIO = 1.1
GPU_GLOBAL_BA_RATIO = 2.0
"""With SIFT on a GPU, mapping is most of SfM; a global bundle adjustment at each doubling of the model kept
fox's pose error (0.238 deg against 0.246) and cut its mapping from 26 s to 18 s (H200, benchmarks/sfm)."""


LARGE_SCENE_GLOBAL_BA_RATIO = 1.4
"""On a CPU build, for more photos than `exhaustive_max_images`: global bundle adjustment is most of mapping there
and grows faster than the photos (the 500-photo courtyard walk, 2-vCPU VM: 445 s of mapping at 1.1, 246 s at 1.4,
poses as close to the truth, 0.098 against 0.117 deg median; benchmarks/scale/RESULTS.md)."""


def global_ba_ratio(params: SfmParams, images: int) -> float:
    """The job's global bundle-adjustment growth ratio, or this build's default for `images` photos."""
    if params.ba_global_frames_ratio is not None:
        return params.ba_global_frames_ratio
    if uses_gpu():
        return GPU_GLOBAL_BA_RATIO
    return LARGE_SCENE_GLOBAL_BA_RATIO if images > params.exhaustive_max_images else COLMAP_GLOBAL_BA_RATIO


MapperOptions = TypeVar("MapperOptions", pycolmap.IncrementalPipelineOptions, pycolmap.GlobalPipelineOptions)


def mapper_options(options: MapperOptions, params: SfmParams, threads: int, images: int) -> MapperOptions:
    """COLMAP's mapper settings for `images` photos, seeded, with small secondary models kept for the
    diagnostics; on a CUDA build, bundle adjustment on the GPU when the job asks for it."""
    options.num_threads = threads
    options.random_seed = 0
    options.min_model_size = MIN_MODEL_SIZE
    options.multiple_models = True
    if isinstance(options, pycolmap.IncrementalPipelineOptions):
        ratio = global_ba_ratio(params, images)
        options.ba_global_frames_ratio = ratio
        options.ba_global_points_ratio = ratio
        options.ba_use_gpu = params.ba_use_gpu and uses_gpu()
        if params.ba_local_num_images is not None:
            options.mapper.ba_local_num_images = params.ba_local_num_images
        if params.ba_local_max_refinements is not None:
            options.ba_local_max_refinements = params.ba_local_max_refinements
    return options
