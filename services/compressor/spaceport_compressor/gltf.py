"""Binary glTF 2.0 (`.glb`) with `KHR_gaussian_splatting` (Khronos, 2026): one POINTS primitive of splats.

Attributes, one float accessor each (the extension's plain, unquantised form): `POSITION` (VEC3, with
min/max), `KHR_gaussian_splatting:ROTATION` (VEC4 unit quaternion, glTF's x, y, z, w order),
`KHR_gaussian_splatting:SCALE` (VEC3, linear: exp of the `.ply`'s log scales),
`KHR_gaussian_splatting:OPACITY` (SCALAR, linear: sigmoid of the `.ply`'s logit),
`KHR_gaussian_splatting:SH_DEGREE_0_COEF_0` (VEC3, the `.ply`'s f_dc as it is) and
`KHR_gaussian_splatting:SH_DEGREE_l_COEF_n` (VEC3 per coefficient, m = -l..l, for the bands present), plus
`COLOR_0` for viewers without the extension (the diffuse colour decoded from sRGB to linear, and the
opacity; unsigned bytes, normalised). Kernel `ellipse`, colour space `srgb_rec709_display`.

Axes: glTF's (LUF: +Y up, +Z forward); the `.ply`'s RDF turns into it by 180 degrees about Z (x and y
negated, as splat-transform does; `frames.py`), so the node needs no transform.
"""

import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from spaceport_compressor.frames import convert
from spaceport_compressor.meta import GENERATOR
from spaceport_compressor.splats import SH_C0, InvalidSplats, SplatCloud

EXTENSION = "KHR_gaussian_splatting"
GLB_MAGIC, JSON_CHUNK, BIN_CHUNK = 0x46546C67, 0x4E4F534A, 0x004E4942
FLOAT, ARRAY_BUFFER, POINTS = 5126, 34962, 0
COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
COMPONENT_TYPES = {5120: "<i1", 5121: "<u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
COEFFS_PER_DEGREE = (1, 3, 5, 7)


def sh_attribute(degree: int, coef: int) -> str:
    """The attribute semantic of one SH coefficient (m = coef - degree)."""
    return f"{EXTENSION}:SH_DEGREE_{degree}_COEF_{coef}"


def _srgb_to_linear(c: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


@dataclass
class _Builder:
    """Accessors over one binary buffer, each in its own 4-byte-aligned buffer view."""

    accessors: list[dict[str, Any]]
    views: list[dict[str, Any]]
    blob: bytearray

    def add(self, data: npt.NDArray[Any], kind: str, normalized: bool = False, bounds: bool = False) -> int:
        array = np.ascontiguousarray(data)
        component = {np.dtype("<f4"): FLOAT, np.dtype("u1"): 5121}[array.dtype]
        self.blob.extend(b"\0" * (-len(self.blob) % 4))
        self.views.append(
            {"buffer": 0, "byteOffset": len(self.blob), "byteLength": array.nbytes, "target": ARRAY_BUFFER}
        )
        self.blob.extend(array.tobytes())
        accessor: dict[str, Any] = {
            "bufferView": len(self.views) - 1,
            "componentType": component,
            "count": int(array.shape[0]),
            "type": kind,
        }
        if normalized:
            accessor["normalized"] = True
        if bounds:
            accessor["min"] = [float(v) for v in array.min(axis=0)]
            accessor["max"] = [float(v) for v in array.max(axis=0)]
        self.accessors.append(accessor)
        return len(self.accessors) - 1


def _attributes(luf: SplatCloud, build: _Builder) -> dict[str, int]:
    n, coeffs = luf.count, luf.sh_rest.shape[1] // 3
    quats = luf.quats.astype(np.float64)
    quats /= np.linalg.norm(quats, axis=1, keepdims=True)
    with np.errstate(over="ignore"):
        opacity = 1.0 / (1.0 + np.exp(-luf.opacity.astype(np.float64)))
    diffuse = _srgb_to_linear(np.clip(0.5 + SH_C0 * luf.f_dc.astype(np.float64), 0.0, 1.0))
    colour = np.clip(np.floor(np.column_stack([diffuse, opacity]) * 255.0 + 0.5), 0, 255).astype(np.uint8)
    attributes = {
        "POSITION": build.add(luf.means.astype("<f4"), "VEC3", bounds=True),
        "COLOR_0": build.add(colour, "VEC4", normalized=True),
        f"{EXTENSION}:SCALE": build.add(np.exp(luf.log_scales.astype(np.float64)).astype("<f4"), "VEC3"),
        f"{EXTENSION}:ROTATION": build.add(quats[:, [1, 2, 3, 0]].astype("<f4"), "VEC4"),
        f"{EXTENSION}:OPACITY": build.add(opacity.astype("<f4"), "SCALAR"),
        sh_attribute(0, 0): build.add(luf.f_dc.astype("<f4"), "VEC3"),
    }
    per_channel = luf.sh_rest.reshape(n, 3, coeffs)
    for k in range(coeffs):
        degree = int(np.sqrt(k + 1))
        attributes[sh_attribute(degree, k + 1 - degree * degree)] = build.add(
            per_channel[:, :, k].astype("<f4"), "VEC3"
        )
    return attributes


def encode_glb(splats: SplatCloud) -> bytes:
    """The splats (in `.ply` axes) as a `.glb` holding one `KHR_gaussian_splatting` primitive, in glTF axes."""
    if splats.count == 0:
        raise InvalidSplats("no splats to write", "no_splats")
    build = _Builder([], [], bytearray())
    attributes = _attributes(convert(splats, "RDF", "LUF"), build)
    build.blob.extend(b"\0" * (-len(build.blob) % 4))
    extension = {"kernel": "ellipse", "colorSpace": "srgb_rec709_display"}
    extension |= {"projection": "perspective", "sortingMethod": "cameraDistance"}
    document = {
        "asset": {"version": "2.0", "generator": GENERATOR},
        "extensionsUsed": [EXTENSION],
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "splats"}],
        "meshes": [{"primitives": [{"attributes": attributes, "mode": POINTS, "extensions": {EXTENSION: extension}}]}],
        "buffers": [{"byteLength": len(build.blob)}],
        "bufferViews": build.views,
        "accessors": build.accessors,
    }
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    total = 12 + 8 + len(text) + 8 + len(build.blob)
    return b"".join(
        [
            struct.pack("<III", GLB_MAGIC, 2, total),
            struct.pack("<II", len(text), JSON_CHUNK),
            text,
            struct.pack("<II", len(build.blob), BIN_CHUNK),
            bytes(build.blob),
        ]
    )


def _chunks(data: bytes) -> tuple[dict[str, Any], bytes]:
    if len(data) < 20:
        raise InvalidSplats(f"a .glb needs at least 20 bytes, this has {len(data)}", "truncated_glb")
    magic, version, length = struct.unpack_from("<III", data)
    if magic != GLB_MAGIC or version != 2:
        raise InvalidSplats(f"not a glTF 2.0 binary (magic {magic:#010x}, version {version})", "invalid_glb")
    if length > len(data):
        raise InvalidSplats(f"truncated .glb: {len(data)} of {length} bytes", "truncated_glb")
    json_length, json_type = struct.unpack_from("<II", data, 12)
    if json_type != JSON_CHUNK or 20 + json_length > length:
        raise InvalidSplats("the .glb does not start with a whole JSON chunk", "invalid_glb")
    document = json.loads(data[20 : 20 + json_length])
    offset, blob = 20 + json_length, b""
    if offset + 8 <= length:
        blob_length, blob_type = struct.unpack_from("<II", data, offset)
        if blob_type == BIN_CHUNK:
            blob = data[offset + 8 : offset + 8 + blob_length]
    return document, blob


def _accessor(document: dict[str, Any], blob: bytes, index: int) -> npt.NDArray[np.float64]:
    """[count, components] values of an accessor (normalised integers mapped to [-1, 1] or [0, 1])."""
    accessor = document["accessors"][index]
    if "sparse" in accessor or "bufferView" not in accessor:
        raise InvalidSplats(f"accessor {index}: sparse or view-less accessors are not supported", "unsupported_glb")
    view = document["bufferViews"][accessor["bufferView"]]
    if view.get("buffer", 0) != 0:
        raise InvalidSplats(f"accessor {index}: only the .glb's own buffer is read", "unsupported_glb")
    dtype = np.dtype(COMPONENT_TYPES[accessor["componentType"]])
    components, count = COMPONENTS[accessor["type"]], int(accessor["count"])
    stride = int(view.get("byteStride") or dtype.itemsize * components)
    start = int(view.get("byteOffset", 0)) + int(accessor.get("byteOffset", 0))
    if count < 1 or start + stride * (count - 1) + dtype.itemsize * components > len(blob):
        raise InvalidSplats(f"accessor {index}: {count} elements do not fit the binary chunk", "truncated_glb")
    values = np.ndarray((count, components), dtype, blob, start, (stride, dtype.itemsize)).astype(np.float64)
    if accessor.get("normalized") and dtype.kind in "iu":
        top = float(np.iinfo(dtype).max)
        values = np.maximum(values / top, -1.0)
    return values


def _splat_primitive(document: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    for m, mesh in enumerate(document.get("meshes", [])):
        for primitive in mesh.get("primitives", []):
            if EXTENSION in primitive.get("extensions", {}):
                if primitive.get("mode", 4) != POINTS:
                    raise InvalidSplats(f"a {EXTENSION} primitive must have mode POINTS (0)", "invalid_glb")
                return m, primitive
    raise InvalidSplats(f"the .glb has no {EXTENSION} primitive", "invalid_glb")


def _check_nodes(document: dict[str, Any], mesh: int) -> None:
    identity = {"matrix": [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], "rotation": [0, 0, 0, 1]}
    identity |= {"translation": [0, 0, 0], "scale": [1, 1, 1]}
    for node in document.get("nodes", []):
        if node.get("mesh") == mesh and any(node.get(key, value) != value for key, value in identity.items()):
            raise InvalidSplats(
                "the splats' node has a transform; only untransformed splats are read", "unsupported_glb"
            )


def read_glb(data: bytes) -> SplatCloud:
    """The splats (in `.ply` axes: RDF) of the first `KHR_gaussian_splatting` primitive of a `.glb`."""
    try:
        document, blob = _chunks(data)
        mesh, primitive = _splat_primitive(document)
        _check_nodes(document, mesh)
        attributes = primitive["attributes"]
        required = ["POSITION", f"{EXTENSION}:ROTATION", f"{EXTENSION}:SCALE", f"{EXTENSION}:OPACITY"]
        missing = [name for name in [*required, sh_attribute(0, 0)] if name not in attributes]
        if missing:
            raise InvalidSplats(f"the splat primitive lacks {', '.join(missing)}", "missing_properties")
        means, quats, scales, opacity, dc = (
            _accessor(document, blob, attributes[name]) for name in [*required, sh_attribute(0, 0)]
        )
        rest = []
        for degree in range(1, 4):
            names = [sh_attribute(degree, c) for c in range(COEFFS_PER_DEGREE[degree])]
            if not any(name in attributes for name in names):
                break
            if not all(name in attributes for name in names):
                raise InvalidSplats(f"SH degree {degree} is only partly defined", "sh_layout")
            rest += [_accessor(document, blob, attributes[name]) for name in names]
    except InvalidSplats:
        raise
    except (KeyError, IndexError, TypeError, ValueError, struct.error) as exc:
        raise InvalidSplats(f"malformed glTF: {type(exc).__name__}: {exc}", "invalid_glb") from exc
    n = means.shape[0]
    if any(a.shape[0] != n for a in (quats, scales, opacity, dc, *rest)):
        raise InvalidSplats("the splat attributes have different counts", "invalid_glb")
    alpha = np.clip(opacity[:, 0], 1e-7, 1 - 1e-7)
    sh_rest = np.stack(rest, axis=2).reshape(n, -1) if rest else np.zeros((n, 0))  # [N, 3, C] channel-major
    luf = SplatCloud(
        means=means.astype(np.float32),
        quats=quats[:, [3, 0, 1, 2]].astype(np.float32),
        log_scales=np.log(np.maximum(scales, 1e-30)).astype(np.float32),
        f_dc=dc.astype(np.float32),
        opacity=np.log(alpha / (1.0 - alpha)).astype(np.float32),
        sh_rest=sh_rest.astype(np.float32),
    )
    bad = int((~luf.finite_rows()).sum())
    if bad:
        raise InvalidSplats(f"{bad} of {n} splats have non-finite values or a zero rotation", "invalid_glb")
    return convert(luf, "LUF", "RDF")
