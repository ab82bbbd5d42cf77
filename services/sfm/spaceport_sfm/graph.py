"""The match graph: images as nodes, verified pairs as edges, and its connected components."""

from collections.abc import Iterable, Sequence

from spaceport_sfm.protocol import PairStats
from spaceport_sfm.report import Component


def components(names: Iterable[str], pairs: Sequence[PairStats]) -> tuple[Component, ...]:
    """Connected groups of images, largest first (ties by first name); unmatched images are groups of one."""
    parent = {name: name for name in names}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for pair in pairs:
        if pair.first in parent and pair.second in parent:
            parent[root(pair.first)] = root(pair.second)
    groups: dict[str, list[str]] = {}
    for name in parent:
        groups.setdefault(root(name), []).append(name)
    ordered = sorted((sorted(group) for group in groups.values()), key=lambda g: (-len(g), g[0]))
    return tuple(Component(index=i, size=len(g), images=tuple(g)) for i, g in enumerate(ordered))


def substantial(groups: Sequence[Component], min_size: int = 3) -> list[Component]:
    """The groups big enough to be a scene of their own."""
    return [group for group in groups if group.size >= min_size]


def neighbours(pairs: Sequence[PairStats]) -> dict[str, dict[str, int]]:
    """For each image, the images it shares verified matches with, and how many."""
    table: dict[str, dict[str, int]] = {}
    for pair in pairs:
        table.setdefault(pair.first, {})[pair.second] = pair.inliers
        table.setdefault(pair.second, {})[pair.first] = pair.inliers
    return table
