"""Small array helpers: sparse neighbour lists and row-wise unions of geometry groups."""

from __future__ import annotations

from typing import Any

import numpy as np

from gapwatch.coverage import overlay

__all__ = ["Adjacency", "group_unions", "union_of"]

IntArray = np.ndarray[Any, np.dtype[np.intp]]
ObjectArray = np.ndarray[Any, np.dtype[np.object_]]


class Adjacency:
    """For each of `size` items, the sorted indices of related items (compressed rows)."""

    __slots__ = ("indices", "indptr")

    def __init__(self, left: IntArray, right: IntArray, size: int) -> None:
        order = np.lexsort((right, left))
        left_sorted = left[order]
        self.indices: IntArray = right[order].astype(np.intp)
        self.indptr: IntArray = np.searchsorted(left_sorted, np.arange(size + 1)).astype(np.intp)

    def row(self, i: int) -> IntArray:
        """Items related to item `i`."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def rows(self, items: IntArray) -> IntArray:
        """Items related to any of `items` (sorted, unique)."""
        if len(items) == 1:
            return self.row(int(items[0]))
        parts = [self.row(int(i)) for i in items]
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.intp)


def union_of(geometries: ObjectArray) -> Any:
    """Union of a few geometries; None when there are none."""
    if len(geometries) == 0:
        return None
    if len(geometries) == 1:
        return geometries[0]
    return overlay.union_all(geometries)


def group_unions(
    groups: list[IntArray], geometries: ObjectArray, *, clustered: bool = False
) -> ObjectArray:
    """For each group of indices, the union of those geometries (None for an empty group).

    Groups are laid out as rows of a None-padded table so GEOS unions every row in one call.
    `clustered` says a group falls apart into clusters that do not touch each other (the views
    over a large zone): GEOS then unions each cluster on its own, which is faster.
    """
    out = np.full(len(groups), None, dtype=object)
    width = max((len(g) for g in groups), default=0)
    if width == 0:
        return out
    sizes = np.array([len(g) for g in groups])
    table = np.full((len(groups), width), None, dtype=object)
    rows = np.repeat(np.arange(len(groups)), sizes)
    cols = np.concatenate([np.arange(n) for n in sizes])
    table[rows, cols] = geometries[np.concatenate(groups).astype(np.intp)]
    filled = sizes > 0
    single = sizes == 1
    out[single] = table[single, 0]
    many = filled & ~single
    if many.any():
        union = overlay.disjoint_union_all if clustered else overlay.union_all
        out[many] = union(table[many], axis=1)
    return out
