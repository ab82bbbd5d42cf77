"""Nearest-centroid search for the SH palette: exact (BLAS, or torch on a GPU) or through inverted files."""

import functools
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

CHUNK_ELEMENTS = 1 << 22
"""Score-matrix elements per block (16 MiB of float32): large enough for BLAS, small enough for the cache."""


IVF_CHUNK_ROWS = 1 << 17
"""Points per block in the inverted-file search (its coarse score matrix is rows x sqrt(P))."""


class Searcher(Protocol):
    """Finds, for each row of `x`, the index of the nearest row of `centroids`."""

    def __call__(self, x: F32, centroids: F32) -> I64: ...


def _scores_operand(centroids: F32) -> F32:
    """[D+1, P]: x_aug @ this = x.c - |c|^2 / 2, whose argmax over c is the nearest centroid."""
    half_sq = 0.5 * np.einsum("ij,ij->i", centroids, centroids)
    return np.ascontiguousarray(np.concatenate([centroids, -half_sq[:, None]], axis=1).T, dtype=np.float32)


def _augment(x: F32) -> F32:
    return np.concatenate([x, np.ones((x.shape[0], 1), dtype=np.float32)], axis=1)


def nearest_exact(x: F32, centroids: F32) -> I64:  # x [N, D], centroids [P, D] -> [N]
    """Exact nearest centroid: argmax of one float32 GEMM per block of rows."""
    operand = _scores_operand(centroids)
    rows = max(1, CHUNK_ELEMENTS // max(centroids.shape[0], 1))
    labels = np.empty(x.shape[0], dtype=np.int64)
    for start in range(0, x.shape[0], rows):
        labels[start : start + rows] = np.argmax(_augment(x[start : start + rows]) @ operand, axis=1)
    return labels


@dataclass(frozen=True)
class InvertedFileSearch:
    """Approximate: centroids grouped by a coarse k-means; each point scans its `probes` closest groups."""

    probes: int = 8
    seed: int = 0

    def __call__(self, x: F32, centroids: F32) -> I64:
        groups = max(2, round(float(np.sqrt(centroids.shape[0]))))
        coarse, member_group = _coarse_groups(centroids, groups, self.seed)
        probes = min(self.probes, coarse.shape[0])
        coarse_operand = _scores_operand(coarse)
        lists = _member_lists(centroids, member_group)
        best = np.full(x.shape[0], -np.inf, dtype=np.float32)
        labels = np.zeros(x.shape[0], dtype=np.int64)
        rows = IVF_CHUNK_ROWS
        for start in range(0, x.shape[0], rows):
            block = _augment(x[start : start + rows])
            near = np.argpartition(-(block @ coarse_operand), probes - 1, axis=1)[:, :probes]
            _scan_groups(block, lists, near, best[start : start + rows], labels[start : start + rows])
        return labels


def _coarse_groups(centroids: F32, groups: int, seed: int) -> tuple[F32, I64]:
    """A few Lloyd steps over the centroids themselves; returns group centres and each centroid's group."""
    rng = np.random.default_rng(seed)
    coarse = centroids[rng.choice(centroids.shape[0], groups, replace=False)].copy()
    for _ in range(6):
        member = nearest_exact(centroids, coarse)
        counts = np.bincount(member, minlength=groups)
        for d in range(centroids.shape[1]):
            sums = np.bincount(member, weights=centroids[:, d], minlength=groups)
            coarse[:, d] = np.where(counts > 0, sums / np.maximum(counts, 1), coarse[:, d])
    member = nearest_exact(centroids, coarse)
    used = np.unique(member)
    remap = np.zeros(groups, dtype=np.int64)
    remap[used] = np.arange(used.size)
    return np.ascontiguousarray(coarse[used]), remap[member]


def _member_lists(centroids: F32, member_group: I64) -> list[tuple[I64, F32]]:
    """Per coarse group: its centroid indices and their score operand."""
    order = np.argsort(member_group, kind="stable")
    bounds = np.searchsorted(member_group[order], np.arange(int(member_group.max()) + 2))
    return [(order[lo:hi], _scores_operand(centroids[order[lo:hi]])) for lo, hi in itertools.pairwise(bounds)]


def _scan_groups(block: F32, lists: list[tuple[I64, F32]], near: npt.NDArray[np.intp], best: F32, labels: I64) -> None:
    """Exact scores from each point (augmented) to the members of its probed groups; updates best/labels."""
    point_of = np.repeat(np.arange(block.shape[0]), near.shape[1])
    group_of = near.ravel()
    order = np.argsort(group_of, kind="stable")
    point_of, group_of = point_of[order], group_of[order]
    starts = np.searchsorted(group_of, np.arange(len(lists) + 1))
    for g, (members, operand) in enumerate(lists):
        points = point_of[starts[g] : starts[g + 1]]
        if points.size == 0 or members.size == 0:
            continue
        scores = block[points] @ operand
        arg = np.argmax(scores, axis=1)
        score = np.take_along_axis(scores, arg[:, None], axis=1)[:, 0]
        better = score > best[points]
        best[points[better]] = score[better]
        labels[points[better]] = members[arg[better]]


@functools.cache
def torch_device() -> str | None:
    """'cuda' when an NVIDIA driver is loaded and torch can use it, else None (torch is not imported)."""
    if not Path("/proc/driver/nvidia/version").exists():
        return None
    try:
        import torch
    except ImportError:
        return None
    return "cuda" if torch.cuda.is_available() else None


def reset_gpu_peak() -> None:
    """Start measuring the GPU's peak memory afresh (nothing without a GPU)."""
    if torch_device() is not None:
        import torch

        torch.cuda.reset_peak_memory_stats()


def gpu_peak_bytes() -> int | None:
    """Peak GPU memory torch allocated since `reset_gpu_peak()`; None without a GPU."""
    if torch_device() is None:
        return None
    import torch

    return int(torch.cuda.max_memory_allocated())


def nearest_torch(x: F32, centroids: F32, device: str = "cuda") -> I64:
    """Exact nearest centroid on a torch device, in blocks."""
    import torch

    c = torch.from_numpy(np.ascontiguousarray(centroids)).to(device)
    c_sq = (c * c).sum(1)
    rows = max(1, (CHUNK_ELEMENTS * 4) // max(centroids.shape[0], 1))
    out = []
    for start in range(0, x.shape[0], rows):
        block = torch.from_numpy(np.ascontiguousarray(x[start : start + rows])).to(device)
        out.append(torch.argmin(c_sq - 2.0 * block @ c.T, dim=1).cpu())
    return torch.cat(out).numpy().astype(np.int64)
