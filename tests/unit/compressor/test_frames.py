"""Axis conventions: the turns from the `.ply`'s RDF to SPZ's RUB and glTF's LUF keep the scene the same."""

import numpy as np
import pytest

from spaceport_compressor.frames import AXIS_SIGNS, Frame, convert
from spaceport_compressor.splats import SplatCloud
from spaceport_compressor.synthetic import synthetic_splats
from tests.unit.compressor.splat_views import assert_same_scene

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("frame", "signs"), [("RUB", (1, -1, -1)), ("LUF", (-1, -1, 1))])
@pytest.mark.parametrize("bands", [0, 1, 2, 3])
def test_turned_splats_look_the_same(frame: Frame, signs: tuple[int, int, int], bands: int) -> None:
    """Positions, covariances and view-dependent colours match after the turn, for every SH degree."""
    splats = synthetic_splats(500, bands, seed=3)
    assert AXIS_SIGNS[frame] == signs
    assert_same_scene(splats, convert(splats, "RDF", frame), signs)


def test_a_wrong_sh_sign_would_show() -> None:
    """The check itself fails when one SH coefficient's sign is left unturned (the check is not blind)."""
    splats = synthetic_splats(300, 3, seed=4)
    turned = convert(splats, "RDF", "RUB")
    broken = turned.sh_rest.copy().reshape(300, 3, 15)
    broken[:, :, 9] *= -1
    wrong = SplatCloud(
        turned.means, turned.quats, turned.log_scales, turned.f_dc, turned.opacity, broken.reshape(300, 45)
    )
    with pytest.raises(AssertionError):
        assert_same_scene(splats, wrong, (1, -1, -1))


@pytest.mark.parametrize("frame", ["RUB", "LUF"])
def test_turning_back_gives_the_same_numbers(frame: Frame) -> None:
    """RDF -> frame -> RDF returns every attribute unchanged."""
    splats = synthetic_splats(200, 3, seed=5)
    back = convert(convert(splats, "RDF", frame), frame, "RDF")
    for name in ("means", "quats", "log_scales", "f_dc", "opacity", "sh_rest"):
        assert np.array_equal(getattr(back, name), getattr(splats, name)), name
