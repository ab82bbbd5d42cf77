"""Carry a trained `.ply` back from the GPU machine under the device tool's 16 MiB-a-file limit, and restore it.

    python3 benchmarks/gpu/pack_model.py pack model.ply OUTDIR      # OUTDIR/model.npz.part-00, -01, ...
    python3 benchmarks/gpu/pack_model.py unpack 'DIR/model.npz.part-*' model.ply

Positions stay float32; every other property is stored as float16 (the SOG encoder quantises them to 8 bits or
fewer anyway), which halves a 300k-splat SH3 model (74 MB) to about 37 MB before the split.
"""

import io
import sys
from glob import glob
from pathlib import Path

import numpy as np
from plyfile import PlyData, PlyElement

PART_BYTES = 15 * 1024 * 1024
EXACT = ("x", "y", "z")


def pack(ply: Path, out_dir: Path) -> None:
    """Write `ply`'s vertex properties as one compressed npz, split into parts of at most PART_BYTES."""
    vertex = PlyData.read(str(ply))["vertex"].data
    arrays = {n: vertex[n].astype(np.float32 if n in EXACT else np.float16) for n in vertex.dtype.names}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    data = buffer.getvalue()
    out_dir.mkdir(parents=True, exist_ok=True)
    for k in range(0, len(data), PART_BYTES):
        (out_dir / f"model.npz.part-{k // PART_BYTES:02d}").write_bytes(data[k : k + PART_BYTES])


def unpack(pattern: str, ply: Path) -> None:
    """Join the parts matching `pattern` and write the model as a float32 binary `.ply`."""
    data = b"".join(Path(p).read_bytes() for p in sorted(glob(pattern)))
    arrays = np.load(io.BytesIO(data))
    names = list(arrays.keys())
    vertex = np.empty(len(arrays[names[0]]), dtype=[(n, "f4") for n in names])
    for n in names:
        vertex[n] = arrays[n].astype(np.float32)
    PlyData([PlyElement.describe(vertex, "vertex")], text=False).write(str(ply))


if __name__ == "__main__":
    verb, source, target = sys.argv[1:4]
    pack(Path(source), Path(target)) if verb == "pack" else unpack(source, Path(target))
