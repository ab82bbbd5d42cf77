"""Small seeded scenes and their PLY files, shared by the compressor tests."""

from pathlib import Path

import pytest

from spaceport.params.compressor import CompressParams
from spaceport_compressor.encoder import EncodedSog, encode_sog
from spaceport_compressor.ply import write_ply
from spaceport_compressor.splats import SplatCloud
from spaceport_compressor.synthetic import synthetic_splats


@pytest.fixture(scope="session")
def scene_sh3() -> SplatCloud:
    """3,000 splats with three SH bands (structured SH, like a trained model's)."""
    return synthetic_splats(3000, 3, seed=7)


@pytest.fixture(scope="session")
def scene_sh0() -> SplatCloud:
    """2,000 splats without higher-order SH."""
    return synthetic_splats(2000, 0, seed=8)


@pytest.fixture(scope="session")
def encoded_sh3(scene_sh3: SplatCloud) -> EncodedSog:
    """`scene_sh3` encoded with the default parameters."""
    return encode_sog(scene_sh3, CompressParams())


@pytest.fixture(scope="session")
def encoded_sh3_unweighted(scene_sh3: SplatCloud) -> EncodedSog:
    """`scene_sh3` encoded with an unweighted SH palette (the default before the weighted one)."""
    return encode_sog(scene_sh3, CompressParams(weighted_palette=False))


@pytest.fixture(scope="session")
def ply_sh3(scene_sh3: SplatCloud, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`scene_sh3` as a binary PLY."""
    path = tmp_path_factory.mktemp("ply") / "sh3.ply"
    write_ply(path, scene_sh3)
    return path


@pytest.fixture(scope="session")
def ply_sh0(scene_sh0: SplatCloud, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`scene_sh0` as a binary PLY."""
    path = tmp_path_factory.mktemp("ply") / "sh0.ply"
    write_ply(path, scene_sh0)
    return path
