"""glTF `.glb` with KHR_gaussian_splatting: the document we write, its round trip, and bad files."""

import json
import struct
from typing import Any

import numpy as np
import pytest

from spaceport_compressor.gltf import encode_glb, read_glb
from spaceport_compressor.splats import SH_C0, InvalidSplats, SplatCloud
from spaceport_compressor.synthetic import synthetic_splats

pytestmark = pytest.mark.unit
EXT = "KHR_gaussian_splatting"


def split(glb: bytes) -> tuple[dict[str, Any], bytes]:
    """The JSON document and the binary chunk of a .glb, read by hand."""
    magic, version, total = struct.unpack_from("<III", glb)
    assert (magic, version, total) == (0x46546C67, 2, len(glb))
    json_length, json_type = struct.unpack_from("<II", glb, 12)
    assert json_type == 0x4E4F534A and json_length % 4 == 0
    bin_length, bin_type = struct.unpack_from("<II", glb, 20 + json_length)
    assert bin_type == 0x004E4942 and bin_length % 4 == 0 and 28 + json_length + bin_length == total
    return json.loads(glb[20 : 20 + json_length]), glb[28 + json_length :]


def join(document: dict[str, Any], blob: bytes) -> bytes:
    """A .glb from a (changed) document and binary chunk."""
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    total = 28 + len(text) + len(blob)
    return (
        struct.pack("<IIIII", 0x46546C67, 2, total, len(text), 0x4E4F534A)
        + text
        + struct.pack("<II", len(blob), 0x004E4942)
        + blob
    )


def column(document: dict[str, Any], blob: bytes, name: str) -> np.ndarray:
    """The float values of one attribute, read by hand (tightly packed, as we write them)."""
    accessor = document["accessors"][document["meshes"][0]["primitives"][0]["attributes"][name]]
    view = document["bufferViews"][accessor["bufferView"]]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[accessor["type"]]
    dtype = {5126: "<f4", 5121: "u1"}[accessor["componentType"]]
    return np.frombuffer(blob, dtype, accessor["count"] * width, view["byteOffset"]).reshape(-1, width)


def test_document_follows_the_extension() -> None:
    """One POINTS primitive, kernel ellipse, sRGB colour space, the extension's attributes as float accessors."""
    splats = synthetic_splats(400, 2, seed=21)
    document, blob = split(encode_glb(splats))
    assert document["asset"]["version"] == "2.0" and document["extensionsUsed"] == [EXT]
    primitive = document["meshes"][0]["primitives"][0]
    assert primitive["mode"] == 0
    assert primitive["extensions"][EXT]["kernel"] == "ellipse"
    assert primitive["extensions"][EXT]["colorSpace"] == "srgb_rec709_display"
    sh = [f"{EXT}:SH_DEGREE_{d}_COEF_{c}" for d, count in ((1, 3), (2, 5)) for c in range(count)]
    expected = ["POSITION", "COLOR_0", f"{EXT}:SCALE", f"{EXT}:ROTATION", f"{EXT}:OPACITY", f"{EXT}:SH_DEGREE_0_COEF_0"]
    assert sorted(primitive["attributes"]) == sorted(expected + sh)
    position = document["accessors"][primitive["attributes"]["POSITION"]]
    values = column(document, blob, "POSITION")
    assert position["min"] == values.min(0).tolist() and position["max"] == values.max(0).tolist()
    for view in document["bufferViews"]:
        assert view["byteOffset"] % 4 == 0 and view["byteOffset"] + view["byteLength"] <= len(blob)


def test_values_are_linear_in_gltf_axes() -> None:
    """Scale is exp(log), opacity sigmoid(logit), rotation unit xyzw, all in LUF (x and y negated)."""
    splats = synthetic_splats(300, 1, seed=22)
    document, blob = split(encode_glb(splats))
    assert np.allclose(column(document, blob, "POSITION"), splats.means * [-1, -1, 1])
    assert np.allclose(column(document, blob, f"{EXT}:SCALE"), np.exp(splats.log_scales), rtol=1e-6)
    opacity = column(document, blob, f"{EXT}:OPACITY")[:, 0]
    assert np.allclose(opacity, 1 / (1 + np.exp(-splats.opacity.astype(np.float64))), atol=1e-7)
    rotation = column(document, blob, f"{EXT}:ROTATION")
    assert np.allclose(np.linalg.norm(rotation, axis=1), 1, atol=1e-6)
    wxyz = splats.quats / np.linalg.norm(splats.quats, axis=1, keepdims=True)
    assert np.allclose(rotation, wxyz[:, [1, 2, 3, 0]] * [-1, -1, 1, 1], atol=1e-6)
    assert np.array_equal(column(document, blob, f"{EXT}:SH_DEGREE_0_COEF_0"), splats.f_dc)
    band1 = column(document, blob, f"{EXT}:SH_DEGREE_1_COEF_0")  # m = -1: odd in y, which is negated
    assert np.allclose(band1, -splats.sh_rest.reshape(300, 3, 3)[:, :, 0])
    diffuse = np.clip(0.5 + SH_C0 * splats.f_dc, 0, 1)
    linear = np.where(diffuse <= 0.04045, diffuse / 12.92, ((diffuse + 0.055) / 1.055) ** 2.4)
    assert np.abs(column(document, blob, "COLOR_0")[:, :3] / 255 - linear).max() <= 0.5 / 255 + 1e-6


@pytest.mark.parametrize("bands", [0, 1, 2, 3])
def test_round_trip_is_exact_to_float32(bands: int) -> None:
    """write -> read gives the splats back to float32 precision (opacity compared as sigmoid)."""
    splats = synthetic_splats(1000, bands, seed=23)
    back = read_glb(encode_glb(splats))
    assert back.sh_bands == bands and back.count == 1000
    assert np.array_equal(back.means, splats.means) and np.array_equal(back.f_dc, splats.f_dc)
    assert np.array_equal(back.sh_rest, splats.sh_rest)
    assert np.allclose(back.log_scales, splats.log_scales, atol=1e-6)
    unit = splats.quats / np.linalg.norm(splats.quats, axis=1, keepdims=True)
    assert np.allclose(back.quats, unit, atol=1e-6)
    sigmoid = [1 / (1 + np.exp(-o.astype(np.float64))) for o in (back.opacity, splats.opacity)]
    assert np.allclose(*sigmoid, atol=1e-6)


def _broken(change: str) -> bytes:
    document, blob = split(encode_glb(synthetic_splats(50, 1, seed=24)))
    primitive = document["meshes"][0]["primitives"][0]
    if change == "mode":
        primitive["mode"] = 4
    elif change == "no_extension":
        del primitive["extensions"]
    elif change == "partial_sh":
        del primitive["attributes"][f"{EXT}:SH_DEGREE_1_COEF_2"]
    elif change == "no_scale":
        del primitive["attributes"][f"{EXT}:SCALE"]
    elif change == "node_transform":
        document["nodes"][0]["rotation"] = [0, 0, 1, 0]
    elif change == "count":
        document["accessors"][0]["count"] = 10**6
    elif change == "sparse":
        document["accessors"][0]["sparse"] = {"count": 1}
    elif change == "bad_view":
        document["accessors"][0]["bufferView"] = 99
    elif change == "nan":
        view = document["bufferViews"][document["accessors"][0]["bufferView"]]
        blob = blob[: view["byteOffset"]] + struct.pack("<f", float("nan")) + blob[view["byteOffset"] + 4 :]
    return join(document, blob)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("mode", "invalid_glb"),
        ("no_extension", "invalid_glb"),
        ("partial_sh", "sh_layout"),
        ("no_scale", "missing_properties"),
        ("node_transform", "unsupported_glb"),
        ("count", "truncated_glb"),
        ("sparse", "unsupported_glb"),
        ("bad_view", "invalid_glb"),
        ("nan", "invalid_glb"),
    ],
)
def test_bad_documents_are_named(change: str, reason: str) -> None:
    """Broken or unsupported documents raise InvalidSplats with a reason, never a crash."""
    with pytest.raises(InvalidSplats) as caught:
        read_glb(_broken(change))
    assert caught.value.reason == reason


@pytest.mark.parametrize("data", [b"", b"glTF", b"x" * 40, encode_glb(synthetic_splats(20, 0, seed=25))[:100]])
def test_non_glb_bytes_are_refused(data: bytes) -> None:
    """Empty, foreign and truncated bytes raise InvalidSplats."""
    with pytest.raises(InvalidSplats):
        read_glb(data)


def test_an_empty_cloud_is_refused() -> None:
    """Zero splats cannot make an accessor (count >= 1): a clear error."""
    empty = synthetic_splats(10, 0, seed=26).take(np.zeros(10, dtype=bool))
    assert isinstance(empty, SplatCloud)
    with pytest.raises(InvalidSplats):
        encode_glb(empty)
