"""The interface every engine implements, and the chunking they share.

An *engine* holds the feature maps of ``n`` images and computes, for whole
families of masked networks at once, the exact similarities that AIS needs:

- ``full()``: every map kept, the similarity of every pair of images;
- ``leave_one_out(dataset=..., per_image=...)``: map ``k`` masked, for every
  ``k``. The *dataset* part masks it in every image (pair similarities, as
  in Eq. 1 of the paper); the *per-image* part masks it in one image ``t``
  at a time and compares that image with every other one unmasked (the
  paper's Aim 2). Both come from the same masked embeddings, in one pass;
- ``cross(reference)``: map ``k`` masked in each of this engine's images
  (new images) against ``reference``, the unmasked embeddings of other
  (fitted) images: each new image is scored by its own row of human
  similarities to the fitted images (``AISHeatmapExplainer.explain``).
  ``full_cross(reference)`` is its unmasked counterpart;
- ``prefixes(order)``: only the first ``m`` maps of ``order`` kept, for
  every ``m`` (the selection path);
- ``embed(keep)``: the embeddings with only the maps in ``keep`` left. Masking
  happens only inside engines.

A family is a :class:`Family`: a count of chunks and a lazy iterable of
independent zero-argument tasks, each returning a :class:`ChunkResult`.
Tasks are made one at a time as they are consumed, so a task holds at most
one chunk's state (a prefix chunk's running statistics included), and they
can run in any order or in parallel threads.
"""

import contextlib
import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np

from .._similarity import PairComparison, PerImageComparison

DEFAULT_CHUNK_MB = 64

# A chunk's similarities are built, sorted and scored while they sit in
# cache; smaller chunks lose to per-chunk overhead, larger ones were no faster.
CACHE_BYTES = 2**20


class ChunkResult(NamedTuple):
    """The similarities of a chunk of masked networks ``start .. stop - 1``.

    Attributes
    ----------
    start, stop : int
        The masked networks of the chunk (maps for leave-one-out, prefix
        lengths minus one for prefixes).
    pairs : ndarray or tensor of shape (stop - start, n_pairs) or None
        Dataset pair similarities of each masked network (a tensor on the
        device for the torch GAP engine, whose comparisons read it there).
    per_image : ndarray or tensor of shape (stop - start, n, n) or None
        ``per_image[c, t, j]``: image ``t`` with the map masked in it alone,
        against image ``j`` unmasked (the diagonal is not used).
    cross : ndarray of shape (stop - start, n, n_reference) or None
        ``cross[c, t, j]``: image ``t`` with the map masked, against reference
        embedding ``j`` (the cross family; every entry is used).
    """

    start: int
    stop: int
    pairs: np.ndarray | None
    per_image: np.ndarray | None
    cross: np.ndarray | None = None


class Family(NamedTuple):
    """A family of masked networks, as lazily made independent chunk tasks."""

    n_chunks: int
    tasks: Iterable[Callable[[], ChunkResult]]


def chunk_bounds(n_items, step):
    """``(start, stop)`` of consecutive chunks of ``step`` items."""
    return [(start, min(start + step, n_items)) for start in range(0, n_items, step)]


def chunk_family(bounds, chunk, *args):
    """The :class:`Family` of ``chunk(start, stop, *args)`` over ``bounds``."""
    tasks = (functools.partial(chunk, start, stop, *args) for start, stop in bounds)
    return Family(len(bounds), tasks)


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


class CrossComparison:
    """Compares each new image's similarities to the reference images with its own.

    New image ``t`` is scored by the correlation of its ``n_reference`` model
    similarities with its row of human similarities, prepared once as a
    :class:`~sklearn_ais._similarity.PairComparison` (NaN pairs unrated).

    Parameters
    ----------
    human : ndarray of shape (n, n_reference)
        Human similarities of the new images (rows) to the reference images.
    comparison : {"spearman", "pearson", "r2", "kendall"}
        See :class:`~sklearn_ais._similarity.PairComparison`.
    """

    def __init__(self, human, comparison):
        self.comparisons = [PairComparison(row, comparison) for row in human]

    def score(self, similarities):
        """Scores ``(n, k)`` of ``k`` cross similarity sets ``(k, n, n_reference)``."""
        return np.stack(
            [c.score_many(similarities[:, t]) for t, c in enumerate(self.comparisons)]
        )


class MaskedEngine(ABC):
    """What every engine computes; see the module docstring.

    Subclasses set ``n_images``, ``n_maps`` and ``similarity``.
    """

    n_images: int
    n_maps: int
    similarity: str

    @property
    def n_pairs(self):
        """Number of pairs of images."""
        return self.n_images * (self.n_images - 1) // 2

    @property
    @abstractmethod
    def embedding_dim(self):
        """Dimension of the embeddings."""

    @abstractmethod
    def full(self):
        """Pair similarities with every map kept, shape ``(n_pairs,)``."""

    @abstractmethod
    def full_per_image(self):
        """Per-image similarities with every map kept, shape ``(n, n)``.

        Computed by the same formulas as the per-image part of
        ``leave_one_out``, so masking a map that is zero in an image changes
        nothing, bit for bit.
        """

    def parallel_tasks(self, n_jobs):
        """Context in which this engine's chunks run; yields the joblib ``n_jobs``.

        ``n_jobs`` unchanged by default; torch engines on the CPU split
        torch's threads among the tasks.
        """
        return contextlib.nullcontext(n_jobs)

    def pair_comparison(self, human_pairs, comparison):
        """The comparison that scores this engine's pair similarities.

        A :class:`~sklearn_ais._similarity.PairComparison` (numpy) unless an
        engine's chunks live elsewhere (a torch device).
        """
        return PairComparison(human_pairs, comparison)

    def per_image_comparison(self, human_pairs, comparison):
        """The comparison that scores this engine's per-image similarities."""
        return PerImageComparison(human_pairs, comparison)

    def cross_comparison(self, human, comparison):
        """The comparison that scores this engine's cross similarities."""
        return CrossComparison(human, comparison)

    @abstractmethod
    def embed(self, keep):
        """Embeddings ``(n, d)`` with only the maps in the boolean mask ``keep``."""

    @abstractmethod
    def leave_one_out(self, *, dataset=True, per_image=False):
        """The leave-one-map-out family, as a :class:`Family`.

        Parameters
        ----------
        dataset : bool, default=True
            Compute the dataset pair similarities (map masked in every image).
        per_image : bool, default=False
            Compute the per-image similarities (map masked in one image).
        """

    @abstractmethod
    def full_cross(self, reference):
        """Similarities of the unmasked images to ``reference``, ``(n, n_reference)``.

        Computed by the same formulas as ``cross``, so masking a map that is
        zero in an image changes nothing, bit for bit.

        Parameters
        ----------
        reference : ndarray of shape (n_reference, embedding_dim)
            Unmasked embeddings of other images.
        """

    @abstractmethod
    def cross(self, reference):
        """The cross family against ``reference`` (as in ``full_cross``).

        A :class:`Family` whose chunk results hold ``cross``: map ``k``
        masked in this engine's images (an image's embedding depends on its
        own maps only, so row ``t`` is also map ``k`` masked in image ``t``
        alone).
        """

    @abstractmethod
    def prefixes(self, order):
        """The prefix family of ``order`` (dataset pairs), as a :class:`Family`."""
