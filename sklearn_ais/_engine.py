"""Exact masked pair similarities, in chunks.

An *engine* holds the feature maps of ``n`` images and answers, for whole
families of masked networks at once, the similarities of every pair of
images (the upper triangle of ``Z``). Three families are needed:

- ``full()``: no map masked.
- ``leave_one_out()``: map ``k`` masked in every image, for every ``k``.
- ``prefixes(order)``: only the first ``m`` maps of ``order`` kept, for every
  ``m`` (the selection path).

Each family is cut into chunks: ``leave_one_out_tasks()`` and
``prefix_tasks(order)`` return independent zero-argument callables, each
returning ``(start, stop, pairs)`` where ``pairs`` has shape
``(stop - start, n_pairs)``. Chunks can run in any order or in parallel
threads, and memory stays within a budget whatever the number of maps.
``leave_one_out()`` and ``prefixes(order)`` run them in order, as generators.
``embed(keep)`` returns the embeddings with only the maps in ``keep`` left.

This module holds the engine of global-average-pooled maps, which needs no
torch (its loops are the numba kernels of ``_kernels``): a 2-D feature
matrix is exactly that case, one column per map.
The torch engines (VGG head, generic head) live in ``_engine_torch``.
"""

import functools

import numpy as np

from ._feature_maps import head_of
from ._kernels import (
    SIMILARITY_CODES,
    leave_one_out_similarities,
    prefix_similarities,
)
from ._similarity import pair_similarities, upper_triangle

DEFAULT_CHUNK_MB = 64


# A chunk's similarities are built, sorted and scored while they sit in
# cache; smaller chunks lose to per-chunk overhead, larger ones were no faster.
CACHE_BYTES = 2**20


def chunk_length(bytes_per_item, chunk_mb, n_items, cache_bytes_per_item=None):
    """How many items of a family go in one chunk.

    At most what fits in ``chunk_mb`` megabytes; with
    ``cache_bytes_per_item``, also at most what keeps one array in cache.
    """
    length = chunk_mb * 2**20 // max(bytes_per_item, 1)
    if cache_bytes_per_item is not None:
        length = min(length, CACHE_BYTES // cache_bytes_per_item)
    return int(np.clip(length, 1, max(n_items, 1)))


def prefix_masks(order, start, stop):
    """Keep-masks of the prefixes ``order[:m]`` for ``m`` in ``start+1 .. stop``."""
    position = np.empty(len(order), dtype=np.intp)
    position[order] = np.arange(len(order))
    return position[None, :] < np.arange(start + 1, stop + 1)[:, None]


def leave_one_out_masks(n_maps, start, stop):
    """Keep-masks with map ``k`` removed, for ``k`` in ``start .. stop - 1``."""
    keep = np.ones((stop - start, n_maps), dtype=bool)
    keep[np.arange(stop - start), np.arange(start, stop)] = False
    return keep


class Engine:
    """The generators shared by every engine: run a family's tasks in order."""

    def leave_one_out(self):
        """Yield ``(start, stop, pairs)`` with map ``k`` masked, for ``k`` in range."""
        for task in self.leave_one_out_tasks():
            yield task()

    def prefixes(self, order):
        """Yield ``(start, stop, pairs)`` keeping ``order[:m]``, ``m - 1`` in range."""
        for task in self.prefix_tasks(order):
            yield task()


class GAPEngine(Engine):
    """Engine for embeddings that are one number per map (global average pooling).

    Masking map ``k`` zeroes dimension ``k`` of every embedding. For cosine,
    Pearson and negative Euclidean similarities this is a closed-form update
    of the sufficient statistics (pair dot products, sums, squared norms):
    leave-one-out subtracts map ``k``'s contribution, prefixes are cumulative
    sums of contributions. Spearman similarity has no such form; its masked
    embeddings are built and ranked chunk by chunk (still exact).

    Parameters
    ----------
    features : ndarray of shape (n_images, n_maps)
        The pooled feature maps.
    similarity : str
        Similarity between embeddings.
    chunk_mb : float, default=64
        Memory budget of one chunk, in megabytes.
    """

    def __init__(self, features, similarity, chunk_mb=DEFAULT_CHUNK_MB):
        # Read only: the kernels write into arrays of their own.
        self.features = np.asarray(features, dtype=np.float64, order="C")
        self.similarity = similarity
        self.chunk_mb = chunk_mb
        self.n_images, self.n_maps = self.features.shape
        self.n_pairs = self.n_images * (self.n_images - 1) // 2
        self._closed_form = similarity != "spearman"

    def _chunks(self, n_items):
        if self._closed_form:
            # The similarities, then their sort keys: two (k, n_pairs) arrays.
            per_item = 2 * 8 * self.n_pairs
            step = chunk_length(per_item, self.chunk_mb, n_items, 8 * self.n_pairs)
        else:
            per_item = 3 * 8 * self.n_images * self.n_maps
            step = chunk_length(per_item, self.chunk_mb, n_items)
        for start in range(0, n_items, step):
            yield start, min(start + step, n_items)

    def _materialized(self, keep):
        masked = self.features[None, :, :] * keep[:, None, :]
        return pair_similarities(masked, self.similarity)

    @property
    def embedding_dim(self):
        """Dimension of the embeddings: one per map."""
        return self.n_maps

    def full(self):
        """Pair similarities with every map kept, shape ``(n_pairs,)``."""
        return pair_similarities(self.features, self.similarity)

    def _stats(self, maps):
        """Statistics of the embeddings that keep only ``maps``.

        Pair dot products, sums and squared norms, in a tuple.
        """
        kept = self.features[:, maps]
        gram = upper_triangle(kept @ kept.T)
        return gram, kept.sum(axis=1), np.einsum("ij,ij->i", kept, kept)

    def leave_one_out_tasks(self):
        """Independent chunks of the leave-one-out family."""
        totals = self._stats(slice(None)) if self._closed_form else None
        return [
            functools.partial(self._leave_one_out_chunk, totals, start, stop)
            for start, stop in self._chunks(self.n_maps)
        ]

    def _leave_one_out_chunk(self, totals, start, stop):
        if not self._closed_form:
            keep = leave_one_out_masks(self.n_maps, start, stop)
            return start, stop, self._materialized(keep)
        pairs = np.empty((stop - start, self.n_pairs))
        leave_one_out_similarities(
            SIMILARITY_CODES[self.similarity], self.features, totals, start, pairs
        )
        return start, stop, pairs

    def prefix_tasks(self, order):
        """Independent chunks of the prefix family of ``order``.

        Each chunk starts from the statistics of the maps before it, summed
        here in one cheap sequential pass.
        """
        order = np.asarray(order, dtype=np.intp)
        tasks = []
        carry = (
            np.zeros(self.n_pairs),
            np.zeros(self.n_images),
            np.zeros(self.n_images),
        )
        for start, stop in self._chunks(self.n_maps):
            tasks.append(
                functools.partial(self._prefix_chunk, order, carry, start, stop)
            )
            if self._closed_form:
                chunk = self._stats(order[start:stop])
                carry = tuple(before + added for before, added in zip(carry, chunk))
        return tasks

    def _prefix_chunk(self, order, carry, start, stop):
        if not self._closed_form:
            return start, stop, self._materialized(prefix_masks(order, start, stop))
        pairs = np.empty((stop - start, self.n_pairs))
        prefix_similarities(
            SIMILARITY_CODES[self.similarity],
            self.features,
            order[start:stop],
            carry,
            pairs,
        )
        return start, stop, pairs

    def embed(self, keep):
        """Embeddings with only the maps in the boolean mask ``keep`` left."""
        return self.features * keep


def is_gap_head(head):
    """True for no head or a ``GAPHead`` (checked by name: no torch import)."""
    return head is None or type(head).__name__ == "GAPHead"


def make_engine(maps, head, similarity, *, device="cpu", chunk_mb=DEFAULT_CHUNK_MB):
    """The engine for ``maps`` (2-D pooled features or 4-D maps) and ``head``.

    A 2-D matrix, or 4-D maps with no head or a ``GAPHead``, use the numpy
    GAP engine (torch is not imported). A ``VGGHead`` uses the VGG fast path;
    any other torch module the generic chunked engine.
    """
    if maps.ndim == 2:
        return GAPEngine(maps, similarity, chunk_mb)
    if is_gap_head(head):
        return GAPEngine(maps.mean(axis=(2, 3), dtype=np.float64), similarity, chunk_mb)
    from ._engine_torch import GenericEngine, VGGEngine
    from ._heads import VGGHead

    engine = VGGEngine if isinstance(head, VGGHead) else GenericEngine
    return engine(maps, head, similarity, device, chunk_mb)


def embeddings_of(output):
    """Embeddings of a transformer's output, shape ``(n, d)``.

    2-D output is taken as the embeddings. 4-D feature maps go through the
    head they carry (``FeatureMaps.head``), or global average pooling.
    """
    head = head_of(output)
    output = np.asarray(output)
    if output.ndim == 2:
        return output
    if output.ndim != 4:
        raise ValueError(
            "Expected embeddings of shape (n_images, n_dims) or feature maps of "
            f"shape (n_images, n_maps, height, width); got shape {output.shape}."
        )
    if is_gap_head(head):
        return output.mean(axis=(2, 3), dtype=np.float64)
    engine = make_engine(output, head, "cosine")
    return engine.embed(np.ones(output.shape[1], dtype=bool))
