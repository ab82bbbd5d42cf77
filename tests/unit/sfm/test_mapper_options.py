"""Mapper settings per pycolmap build: COLMAP's on a CPU build (fewer global BAs past the exhaustive limit), GPU
bundle adjustment and fewer global BAs on CUDA."""

import pycolmap
import pytest

from spaceport.params import SfmParams
from spaceport_sfm import colmap_options
from spaceport_sfm.colmap_options import mapper_options

pytestmark = pytest.mark.unit


def test_cpu_build_keeps_colmaps_mapping() -> None:
    """On a CPU build the incremental mapper runs COLMAP's global-BA cadence and no GPU bundle adjustment."""
    options = mapper_options(pycolmap.IncrementalPipelineOptions(), SfmParams(), threads=2, images=50)
    assert not pycolmap.has_cuda
    assert options.ba_global_frames_ratio == pytest.approx(1.1)
    assert options.ba_global_points_ratio == pytest.approx(1.1)
    assert not options.ba_use_gpu
    assert options.mapper.ba_local_num_images == 6 and options.ba_local_max_refinements == 2
    assert options.num_threads == 2 and options.random_seed == 0


def test_cuda_build_bundle_adjusts_on_the_gpu_and_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where pycolmap has CUDA, bundle adjustment asks for the GPU and global BA waits for the model to double."""
    monkeypatch.setattr(colmap_options, "uses_gpu", lambda: True)
    options = mapper_options(pycolmap.IncrementalPipelineOptions(), SfmParams(), threads=0, images=50)
    assert options.ba_global_frames_ratio == pytest.approx(2.0)
    assert options.ba_use_gpu
    off = mapper_options(pycolmap.IncrementalPipelineOptions(), SfmParams(ba_use_gpu=False), threads=0, images=50)
    assert not off.ba_use_gpu


def test_the_jobs_own_ratio_wins_on_any_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit `ba_global_frames_ratio` is used as given, on a CPU build and on a CUDA one."""
    params = SfmParams(ba_global_frames_ratio=1.7)
    assert mapper_options(
        pycolmap.IncrementalPipelineOptions(), params, 1, images=500
    ).ba_global_frames_ratio == pytest.approx(1.7)
    monkeypatch.setattr(colmap_options, "uses_gpu", lambda: True)
    assert mapper_options(
        pycolmap.IncrementalPipelineOptions(), params, 1, images=500
    ).ba_global_points_ratio == pytest.approx(1.7)


def test_cpu_build_adjusts_large_scenes_globally_less_often() -> None:
    """Past the exhaustive-matching limit a CPU build waits for the model to grow by 40% between global BAs;
    up to it, COLMAP's 10%."""
    params = SfmParams()
    limit = params.exhaustive_max_images
    at_limit = mapper_options(pycolmap.IncrementalPipelineOptions(), params, 1, images=limit)
    past = mapper_options(pycolmap.IncrementalPipelineOptions(), params, 1, images=limit + 1)
    assert at_limit.ba_global_frames_ratio == pytest.approx(1.1)
    assert past.ba_global_frames_ratio == pytest.approx(1.4) and past.ba_global_points_ratio == pytest.approx(1.4)


def test_the_jobs_local_bundle_adjustment_settings_are_used() -> None:
    """`ba_local_num_images` and `ba_local_max_refinements` reach the incremental mapper when set."""
    params = SfmParams(ba_global_frames_ratio=100.0, ba_local_num_images=4, ba_local_max_refinements=1)
    options = mapper_options(pycolmap.IncrementalPipelineOptions(), params, 1, images=50)
    assert options.mapper.ba_local_num_images == 4 and options.ba_local_max_refinements == 1
    assert options.ba_global_frames_ratio == pytest.approx(100.0)
