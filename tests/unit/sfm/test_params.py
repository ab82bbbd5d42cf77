"""SfM profiles: the production plan's values, and the heavier profile a second attempt uses."""

import pytest

from spaceport.params import SfmParams

pytestmark = pytest.mark.unit


def test_enhanced_profile_carries_the_production_tuning() -> None:
    """`enhanced` sets the production plan's extraction and matching values."""
    p = SfmParams.preset("enhanced")
    assert (p.max_image_size, p.max_num_features, p.first_octave, p.num_octaves, p.octave_resolution) == (
        4096,
        16384,
        -1,
        4,
        3,
    )
    assert (p.default_focal_length_factor, p.guided_matching) == (1.2, True)
    assert (p.max_ratio, p.max_distance) == (0.8, 0.7)
    assert (p.cross_check, p.max_num_matches) == (True, 32768)


def test_default_profile_is_colmaps_defaults_plus_principal_point() -> None:
    """`default` keeps COLMAP 4's feature values and refines the principal point at the end."""
    p = SfmParams.preset("default")
    assert (p.max_image_size, p.max_num_features, p.guided_matching) == (3200, 8192, False)
    assert p.refine_principal_point and p.mapper == "incremental"


def test_fast_profile_is_downscaled() -> None:
    """`fast` sees smaller images and fewer features than `default`."""
    fast, default = SfmParams.preset("fast"), SfmParams.preset("default")
    assert fast.max_image_size < default.max_image_size and fast.max_num_features < default.max_num_features


def test_more_robust_steps_up_and_keeps_the_jobs_own_choices() -> None:
    """A retry takes the next profile's tuning but keeps pairing, camera model and mapper."""
    mine = SfmParams.preset("fast").model_copy(update={"pairing": "sequential", "camera_model": "PINHOLE"})
    heavier = mine.more_robust()
    assert heavier is not None and heavier.profile == "default"
    assert heavier.max_image_size == SfmParams.preset("default").max_image_size
    assert (heavier.pairing, heavier.camera_model) == ("sequential", "PINHOLE")
    assert SfmParams.preset("enhanced").more_robust() is None
