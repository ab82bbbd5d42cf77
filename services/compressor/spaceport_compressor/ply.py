"""Reading and writing 3DGS `.ply` files (binary or ASCII), with validation that names what is wrong."""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from spaceport_compressor.splats import SH_COEFFS_PER_CHANNEL, InvalidSplats, SplatCloud, bands_for_coeffs

PLY_TYPES = {
    "char": "i1",
    "int8": "i1",
    "uchar": "u1",
    "uint8": "u1",
    "short": "i2",
    "int16": "i2",
    "ushort": "u2",
    "uint16": "u2",
    "int": "i4",
    "int32": "i4",
    "uint": "u4",
    "uint32": "u4",
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
}
FORMATS = {"binary_little_endian": "<", "binary_big_endian": ">", "ascii": "="}
REQUIRED = (
    "x",
    "y",
    "z",
    "f_dc_0",
    "f_dc_1",
    "f_dc_2",
    "opacity",
    "scale_0",
    "scale_1",
    "scale_2",
    "rot_0",
    "rot_1",
    "rot_2",
    "rot_3",
)
MAX_HEADER_BYTES = 1 << 16


@dataclass(frozen=True)
class PlyHeader:
    """What the header of a PLY says about its splats."""

    fmt: str
    count: int
    vertex_dtype: np.dtype
    body_offset: int
    skip_bytes: int
    comments: tuple[str, ...]


@dataclass(frozen=True)
class LoadedPly:
    """The valid splats of a PLY and how many rows were dropped as non-finite or degenerate."""

    splats: SplatCloud
    rows: int
    dropped: int
    comments: tuple[str, ...]


def _parse_header(raw: bytes) -> PlyHeader:
    end = raw.find(b"end_header")
    if not raw.startswith(b"ply") or end < 0:
        raise InvalidSplats("not a PLY file (no 'ply' magic or no 'end_header')", "invalid_ply")
    newline = raw.find(b"\n", end)
    body_offset = newline + 1 if newline >= 0 else len(raw)
    lines = raw[:end].decode("ascii", errors="replace").splitlines()
    fmt = ""
    elements: list[tuple[str, int, list[tuple[str, str]]]] = []
    comments: list[str] = []
    for line in lines[1:]:
        words = line.split()
        if not words:
            continue
        if words[0] == "format" and len(words) >= 2:
            fmt = words[1]
        elif words[0] in ("comment", "obj_info"):
            comments.append(line.partition(" ")[2])
        elif words[0] == "element" and len(words) == 3 and words[2].isdigit():
            elements.append((words[1], int(words[2]), []))
        elif words[0] == "property" and elements:
            if len(words) != 3 or words[1] not in PLY_TYPES:
                raise InvalidSplats(f"unsupported PLY property line {line!r} (lists are not splat data)", "invalid_ply")
            elements[-1][2].append((words[2], PLY_TYPES[words[1]]))
    if fmt not in FORMATS:
        raise InvalidSplats(f"unsupported PLY format {fmt!r}", "invalid_ply")
    return _vertex_header(fmt, elements, body_offset, tuple(comments))


def _vertex_header(
    fmt: str,
    elements: list[tuple[str, int, list[tuple[str, str]]]],
    body_offset: int,
    comments: tuple[str, ...],
) -> PlyHeader:
    skip = 0
    for name, count, props in elements:
        dtype = np.dtype([(p, FORMATS[fmt] + t) for p, t in props])
        if name == "vertex":
            if len({p for p, _ in props}) != len(props):
                raise InvalidSplats("the vertex element repeats a property name", "invalid_ply")
            return PlyHeader(fmt, count, dtype, body_offset, skip, comments)
        if fmt == "ascii" and count:
            raise InvalidSplats("ASCII PLY with elements before 'vertex' is not supported", "invalid_ply")
        skip += count * dtype.itemsize
    raise InvalidSplats("the PLY has no 'vertex' element", "invalid_ply")


def _check_properties(names: tuple[str, ...]) -> int:
    missing = [p for p in REQUIRED if p not in names]
    if missing:
        raise InvalidSplats(f"the PLY lacks splat properties: {', '.join(missing)}", "missing_properties")
    rest = sorted(int(m.group(1)) for n in names if (m := re.fullmatch(r"f_rest_(\d+)", n)))
    if rest != list(range(len(rest))) or len(rest) % 3:
        raise InvalidSplats(
            f"f_rest properties {rest[:6]}... are not f_rest_0..K-1 with K in 0, 9, 24, 45", "sh_layout"
        )
    return bands_for_coeffs(len(rest) // 3)


def _read_rows(path: Path, header: PlyHeader) -> npt.NDArray[np.void]:
    dtype = header.vertex_dtype
    if header.fmt == "ascii":
        try:
            table = np.loadtxt(
                path, dtype=np.float64, ndmin=2, max_rows=header.count, skiprows=_ascii_skip(path, header)
            )
        except ValueError as exc:
            raise InvalidSplats(f"unreadable ASCII PLY body: {exc}", "truncated_ply") from exc
        if table.shape[0] < header.count or table.shape[1] < len(dtype.names or ()):
            raise InvalidSplats(f"ASCII PLY body has {table.shape[0]} of {header.count} rows", "truncated_ply")
        rows = np.zeros(header.count, dtype=dtype.newbyteorder("="))
        for i, name in enumerate(dtype.names or ()):
            rows[name] = table[:, i]
        return rows
    need = header.body_offset + header.skip_bytes + header.count * dtype.itemsize
    size = path.stat().st_size
    if size < need:
        have = max(0, size - header.body_offset - header.skip_bytes) // max(dtype.itemsize, 1)
        raise InvalidSplats(
            f"truncated PLY: body holds {have} of {header.count} splats ({size} of {need} bytes)", "truncated_ply"
        )
    return np.fromfile(path, dtype=dtype, count=header.count, offset=header.body_offset + header.skip_bytes)


def _ascii_skip(path: Path, header: PlyHeader) -> int:
    """Lines before the ASCII body (the header's)."""
    with path.open("rb") as handle:
        head = handle.read(header.body_offset)
    return head.count(b"\n")


def read_ply(path: Path) -> LoadedPly:
    """The splats of a trained 3DGS PLY; non-finite or zero-rotation rows are dropped and counted."""
    with path.open("rb") as handle:
        head = handle.read(MAX_HEADER_BYTES)
    header = _parse_header(head)
    names = header.vertex_dtype.names or ()
    bands = _check_properties(names)
    if header.count == 0:
        raise InvalidSplats("the PLY holds zero splats", "no_splats")
    rows = _read_rows(path, header)
    splats = _to_splats(rows, SH_COEFFS_PER_CHANNEL[bands])
    ok = splats.finite_rows()
    dropped = int((~ok).sum())
    if dropped == header.count:
        raise InvalidSplats(f"all {header.count} splats have non-finite values", "no_splats")
    if dropped:
        splats = splats.take(ok)
    return LoadedPly(splats=splats, rows=header.count, dropped=dropped, comments=header.comments)


def _to_splats(rows: npt.NDArray[np.void], coeffs: int) -> SplatCloud:
    names = list(rows.dtype.names or ())
    fields = rows.dtype.fields
    assert fields is not None  # a structured (vertex) dtype always has fields
    kinds = {fields[name][0] for name in names}
    if len(kinds) == 1:  # one scalar type (the usual float32): gather columns from a 2-D view, no per-field copy
        table = rows.view(kinds.pop()).reshape(rows.shape[0], len(names))

        def cols(wanted: list[str]) -> npt.NDArray[np.float32]:
            return table[:, [names.index(n) for n in wanted]].astype(np.float32)
    else:

        def cols(wanted: list[str]) -> npt.NDArray[np.float32]:
            return np.stack([rows[n].astype(np.float32) for n in wanted], axis=1)

    with np.errstate(invalid="ignore", over="ignore"):
        return SplatCloud(
            means=cols(["x", "y", "z"]),
            quats=cols([f"rot_{i}" for i in range(4)]),
            log_scales=cols([f"scale_{i}" for i in range(3)]),
            f_dc=cols([f"f_dc_{i}" for i in range(3)]),
            opacity=cols(["opacity"])[:, 0].copy(),
            sh_rest=cols([f"f_rest_{i}" for i in range(3 * coeffs)]),
        )


def write_ply(path: Path, splats: SplatCloud) -> int:
    """Write splats as a binary little-endian 3DGS PLY (the layout trainers export); returns its size."""
    names = ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
    names += [f"f_rest_{i}" for i in range(splats.sh_rest.shape[1])]
    names += ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    n = splats.count
    table = np.concatenate(
        [
            splats.means,
            np.zeros((n, 3), np.float32),
            splats.f_dc,
            splats.sh_rest,
            splats.opacity[:, None],
            splats.log_scales,
            splats.quats,
        ],
        axis=1,
    ).astype("<f4")
    header = "ply\nformat binary_little_endian 1.0\n" + f"element vertex {n}\n"
    header += "".join(f"property float {name}\n" for name in names) + "end_header\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write(header.encode("ascii"))
        handle.write(np.ascontiguousarray(table).tobytes())
    return path.stat().st_size
