"""The spatial partition of a streamed SOG: leaves of a median-split tree, and the files each level's leaves go in.

As splat-transform's `write-lod.ts` does it: one binary tree over the centres of every level's splats, each node
split at the median of its widest axis while it holds more than `chunk_splats`, or is wider than `chunk_extent`
and holds more than `chunk_min_splats` (and over 256). A leaf's splats of each level form one contiguous run in
that level's current file; a file takes leaves until it holds more than `chunk_splats`, then a new one starts.
"""

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from spaceport_compressor.lod_levels import rotation_matrices
from spaceport_compressor.ordering import morton_codes
from spaceport_compressor.splats import SplatCloud

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

TREE_LEAF = 256
"""splat-transform's tree stops splitting at 256 centres."""


@dataclass(frozen=True)
class ChunkParams:
    """How finely the levels are cut into streamable files (splat-transform's defaults)."""

    chunk_splats: int = 512 * 1024
    chunk_extent: float = 16.0
    chunk_min_splats: int = 8 * 1024


@dataclass(frozen=True)
class LeafRun:
    """One leaf's splats of one level: `count` rows from `offset` of file `file`."""

    file: int
    offset: int
    count: int


@dataclass
class Node:
    """A tree node: children, or (a leaf) its runs by level; `bound` is the union of its splats' 1-sigma boxes."""

    bound_min: F64
    bound_max: F64
    children: list["Node"] = field(default_factory=list)
    runs: dict[int, LeafRun] = field(default_factory=dict)


@dataclass
class Partition:
    """The tree, the file names in reference order, and each file's rows (indices into its level) in file order."""

    root: Node
    filenames: list[str]
    file_level: list[int]
    file_rows: list[I64]


def splat_boxes(splats: SplatCloud) -> tuple[F64, F64]:
    """Per-splat axis-aligned boxes [N, 3] of the 1-sigma ellipsoids (what the engine culls by)."""
    rot = rotation_matrices(splats.quats)
    half = np.einsum("nij,nj->ni", np.abs(rot), np.exp(splats.log_scales.astype(np.float64)))
    means = splats.means.astype(np.float64)
    return means - half, means + half


def _leaf_order(centres: F64, rows: I64) -> I64:
    """`rows` in Z-order of their centres within their own box (10 bits per axis)."""
    pts = centres[rows]
    low, span = pts.min(axis=0), np.maximum(np.ptp(pts, axis=0), 1e-30)
    cells = np.minimum((pts - low) / span * 1024, 1023).astype(np.int64)
    return rows[np.argsort(morton_codes(cells), kind="stable")]


class _Builder:
    def __init__(self, levels: list[SplatCloud], params: ChunkParams) -> None:
        self.params = params
        self.centres = np.concatenate([level.means for level in levels]).astype(np.float64)
        boxes = [splat_boxes(level) for level in levels]
        self.box_min = np.concatenate([b[0] for b in boxes])
        self.box_max = np.concatenate([b[1] for b in boxes])
        self.starts = np.cumsum([0] + [level.count for level in levels])
        self.level_of = np.repeat(np.arange(len(levels)), [level.count for level in levels])
        self.filenames: list[str] = []
        self.file_level: list[int] = []
        self.file_parts: list[list[I64]] = []
        self.file_size: list[int] = []
        self.current: dict[int, int] = {}

    def _splits(self, rows: I64) -> bool:
        if rows.size <= TREE_LEAF:
            return False
        extent = float(np.ptp(self.centres[rows], axis=0).max())
        p = self.params
        return rows.size > p.chunk_splats or (extent > p.chunk_extent and rows.size > p.chunk_min_splats)

    def build(self, rows: I64) -> Node:
        if self._splits(rows):
            axis = int(np.argmax(np.ptp(self.centres[rows], axis=0)))
            mid = rows.size // 2
            parts = np.argpartition(self.centres[rows, axis], mid)
            children = [self.build(rows[parts[:mid]]), self.build(rows[parts[mid:]])]
            low = np.minimum(children[0].bound_min, children[1].bound_min)
            high = np.maximum(children[0].bound_max, children[1].bound_max)
            return Node(low, high, children=children)
        node = Node(self.box_min[rows].min(axis=0), self.box_max[rows].max(axis=0))
        levels = self.level_of[rows]
        for level in np.unique(levels):
            node.runs[int(level)] = self._place(int(level), _leaf_order(self.centres, rows[levels == level]))
        return node

    def _place(self, level: int, rows: I64) -> LeafRun:
        if level not in self.current:
            self._new_file(level)
        file = self.current[level]
        run = LeafRun(file=file, offset=self.file_size[file], count=int(rows.size))
        self.file_parts[file].append(rows - self.starts[level])
        self.file_size[file] += int(rows.size)
        if self.file_size[file] > self.params.chunk_splats:
            del self.current[level]
        return run

    def _new_file(self, level: int) -> None:
        index = sum(1 for lv in self.file_level if lv == level)
        self.current[level] = len(self.filenames)
        self.filenames.append(f"{level}_{index}/meta.json")
        self.file_level.append(level)
        self.file_parts.append([])
        self.file_size.append(0)


def partition(levels: list[SplatCloud], params: ChunkParams) -> Partition:
    """Cut `levels` (finest first) into leaves and files."""
    builder = _Builder(levels, params)
    root = builder.build(np.arange(builder.centres.shape[0], dtype=np.int64))
    rows = [np.concatenate(parts).astype(np.int64) for parts in builder.file_parts]
    return Partition(root, builder.filenames, builder.file_level, rows)
