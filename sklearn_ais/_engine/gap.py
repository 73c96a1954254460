"""The engine of global-average-pooled maps: closed forms, no torch.

A 2-D feature matrix is exactly this case, one column per map; so is a 4-D
array with no head or a ``GAPHead``, once pooled.
"""

import functools

import numpy as np
from threadpoolctl import threadpool_limits

from .._kernels import SIMILARITY_CODES
from .._similarity import (
    cross_pair_similarities,
    cross_similarity_from_stats,
    embedding_ranks,
    pair_similarities,
    similarity_from_stats,
    unmasked_terms,
    upper_triangle,
)
from .base import (
    DEFAULT_CHUNK_MB,
    ChunkResult,
    Family,
    MaskedEngine,
    chunk_bounds,
    chunk_family,
    chunk_length,
    leave_one_out_masks,
)
from .kernels import (
    leave_one_out_similarities,
    per_image_similarities,
    prefix_similarities,
)
from .rank_gram import (
    RankStructure,
    leave_one_out_grams,
    leave_one_out_ranked_grams,
    prefix_grams,
)

# Fewest maps per chunk for which the rank Grams' half-prefix sums (one
# cumulative sum over all maps per chunk) beat ranking and one product per
# map (`bench_ais.py rank-grams`, 1,280 maps: 1.35x faster with 7 maps per
# chunk, 0.62x with 4, 0.33x with 1; the per-image family alone breaks even
# near 3).
MIN_SUMMED_CHUNK = 6


def _one_blas_thread():
    """One BLAS thread for a chunk's rank Gram products.

    Chunks already run in parallel threads; BLAS threads on top of them (or
    on a busy machine) made these small products 10x slower (measured).
    """
    return threadpool_limits(1, user_api="blas")


class PooledMaps:
    """What both GAP engines do with the pooled maps on the CPU, in numpy.

    The embeddings (``embed``), and the cross family: the new images'
    embeddings with map ``k`` masked against reference embeddings, whose
    size (``n x n_reference`` per map) needs no accelerator. Closed forms as
    in the per-image family: ``G[t, j] - x_tk r_jk`` with the masked row's
    sum and squared norm, through the same formulas and snapping
    (``cross_similarity_from_stats``); Spearman ranks the masked embeddings.
    """

    def _set_pooled(self, features, similarity, chunk_mb, dtype):
        self.dtype = np.asarray(features).dtype if dtype is None else np.dtype(dtype)
        # Read only: the kernels write into arrays of their own.
        self.pooled = np.asarray(features, dtype=np.float64, order="C")
        self.similarity = similarity
        self.chunk_mb = chunk_mb
        self.n_images, self.n_maps = self.pooled.shape
        self._closed_form = similarity != "spearman"

    def embed(self, keep):
        """Embeddings with only the maps in ``keep`` left, in the input's dtype."""
        dtype = self.dtype if self.dtype in (np.float32, np.float64) else np.float64
        return (self.pooled * np.asarray(keep, dtype=bool)).astype(dtype, copy=False)

    def _cross_reference(self, reference):
        """What every cross chunk reads of ``reference``, computed once."""
        reference = np.asarray(reference, dtype=np.float64)
        if not self._closed_form:
            return embedding_ranks(reference)
        features = self.pooled
        sq_norms = np.einsum("nd,nd->n", reference, reference)
        return (
            reference,
            features @ reference.T,
            features.sum(axis=1),
            np.einsum("nd,nd->n", features, features),
            unmasked_terms(
                self.similarity, reference.sum(axis=1), sq_norms, self.n_maps
            ),
        )

    def _cross_similarities(self, stats, start, stop):
        """Cross similarities with map ``k`` masked, ``k`` in ``start .. stop - 1``.

        ``start == stop`` masks a map of zeros: the unmasked similarities by
        the same formulas.
        """
        if not self._closed_form:
            keep = leave_one_out_masks(self.n_maps, start, stop)
            if start == stop:
                keep = np.ones((1, self.n_maps), dtype=bool)
            ranks = embedding_ranks(self.pooled[None] * keep[:, None, :])
            return cross_pair_similarities(ranks, stats, "pearson")
        reference, gram, sums, sq_norms, terms = stats
        values = self.pooled[:, start:stop].T
        columns = reference[:, start:stop].T
        if start == stop:
            values, columns = np.zeros((1, self.n_images)), np.zeros((1, 1))
        return cross_similarity_from_stats(
            self.similarity,
            gram[None] - values[:, :, None] * columns[:, None, :],
            sums - values,
            sq_norms - values * values,
            terms,
            self.n_maps,
        )

    def full_cross(self, reference):
        """Unmasked similarities to ``reference``; see :class:`MaskedEngine`."""
        stats = self._cross_reference(reference)
        return self._cross_similarities(stats, 0, 0)[0]

    def cross(self, reference):
        """The cross family against ``reference``; see :class:`MaskedEngine`."""
        stats = self._cross_reference(reference)
        n, n_reference = self.n_images, len(reference)
        # The masked Grams, their similarities and the products that make them;
        # Spearman adds the masked embeddings and their ranks.
        per_item = 3 * 8 * n * n_reference
        if not self._closed_form:
            per_item += 2 * 8 * n * self.n_maps
        bounds = chunk_bounds(
            self.n_maps, chunk_length(per_item, self.chunk_mb, self.n_maps)
        )
        return chunk_family(bounds, self._cross_chunk, stats)

    def _cross_chunk(self, start, stop, stats):
        similarities = self._cross_similarities(stats, start, stop)
        return ChunkResult(start, stop, None, None, similarities)


class GAPEngine(PooledMaps, MaskedEngine):
    """Engine for embeddings that are one number per map (global average pooling).

    Masking map ``k`` zeroes dimension ``k`` of an embedding. For cosine,
    Pearson and negative Euclidean similarities this is a closed-form update
    of the sufficient statistics (pair dot products, sums, squared norms):
    leave-one-out subtracts map ``k``'s contribution (in every image for the
    dataset family, in one image for the per-image family), prefixes are
    cumulative sums of contributions. Spearman similarity is Pearson
    similarity of each embedding's ranks, whose Gram matrices have exact
    forms of their own (``rank_gram``): leave-one-out from half-prefix sums
    in each image's sorted order and bitset counts, with no product per map;
    prefixes from the kept columns' ranks, updated in place, and one batched
    product per chunk (ranks are integers or halves, so all of it is exact).

    Parameters
    ----------
    features : ndarray of shape (n_images, n_maps)
        The pooled feature maps.
    similarity : str
        Similarity between embeddings.
    chunk_mb : float, default=64
        Memory budget of one chunk, in megabytes.
    dtype : numpy dtype or None, default=None
        The dtype ``embed`` returns; None is that of ``features`` (float64
        unless float32).
    """

    def __init__(self, features, similarity, chunk_mb=DEFAULT_CHUNK_MB, dtype=None):
        self._set_pooled(features, similarity, chunk_mb, dtype)
        self.features = self.pooled

    def _step(self, dataset=True, per_image=False, prefix=False):
        """Masked networks per chunk."""
        n = self.n_images
        if not self._closed_form and prefix:
            # The kept ranks, their Gram matrices, plus the outputs.
            per_item = 8 * (n * self.n_maps + n * n + self.n_pairs)
            return chunk_length(per_item, self.chunk_mb, self.n_maps)
        if not self._closed_form:
            if self._sums_rank_grams(dataset, per_image):
                return self._summed_step(dataset, per_image)
            return self._ranked_step(dataset, per_image)
        # The similarities, then their sort keys: two arrays per output.
        per_item = 2 * 8 * (self.n_pairs * dataset + n * n * per_image)
        cache = 8 * (self.n_pairs if dataset else n * n)
        return chunk_length(per_item, self.chunk_mb, self.n_maps, cache)

    def _summed_step(self, dataset, per_image):
        """Maps per chunk for the rank Grams' half-prefix sums."""
        # Per family: half-prefix sums (n x n), then the similarities and
        # their sort keys; bitsets for the dataset part. No cache bound: each
        # chunk pays a cumulative sum over all maps.
        n, words = self.n_images, -(-self.n_maps // 64)
        per_item = 8 * (n * n + 2 * self.n_pairs + 2 * n * words) * dataset
        per_item += 8 * 3 * n * n * per_image
        return chunk_length(per_item, self.chunk_mb, self.n_maps)

    def _ranked_step(self, dataset, per_image):
        """Maps per chunk for ranking the masked embeddings and multiplying."""
        # The masked ranks, their Gram matrices, plus the outputs.
        n = self.n_images
        per_item = 8 * (n * self.n_maps + n * n * (dataset + per_image))
        per_item += 8 * (self.n_pairs * dataset + n * n * per_image)
        return chunk_length(per_item, self.chunk_mb, self.n_maps)

    def _sums_rank_grams(self, dataset, per_image):
        """Whether leave-one-out rank Grams come from half-prefix sums."""
        step = self._summed_step(dataset, per_image)
        return step >= min(MIN_SUMMED_CHUNK, self.n_maps)

    @property
    def embedding_dim(self):
        """Dimension of the embeddings: one per map."""
        return self.n_maps

    def full(self):
        """Pair similarities with every map kept, shape ``(n_pairs,)``."""
        return pair_similarities(self.features, self.similarity)

    def _stats(self, maps):
        """Pair dot products, sums and squared norms keeping only ``maps``."""
        kept = self.features[:, maps]
        gram = upper_triangle(kept @ kept.T)
        return gram, kept.sum(axis=1), np.einsum("ij,ij->i", kept, kept)

    @functools.cached_property
    def _per_image_stats(self):
        """Statistics of the unmasked embeddings for the per-image forms."""
        gram = self.features @ self.features.T
        sums = self.features.sum(axis=1)
        sq_norms = np.einsum("ij,ij->i", self.features, self.features)
        terms = unmasked_terms(self.similarity, sums, sq_norms, self.n_maps)
        return gram, sums, sq_norms, terms

    def full_per_image(self):
        """Per-image similarities with every map kept, shape ``(n, n)``."""
        if not self._closed_form:
            return cross_pair_similarities(
                self.features[None], self.features, self.similarity
            )[0]
        gram, sums, sq_norms, terms = self._per_image_stats
        return cross_similarity_from_stats(
            self.similarity,
            gram[None].copy(),
            sums[None],
            sq_norms[None],
            terms,
            self.n_maps,
        )[0]

    @functools.cached_property
    def _rank_structure(self):
        """Sorted orders, ranks and Grams of the unmasked embeddings (Spearman)."""
        return RankStructure(self.features).build()

    @functools.cached_property
    def _rank_terms(self):
        """Per-image quantities of the unmasked ranks, for the per-image forms."""
        ranks = self._rank_structure.ranks
        return unmasked_terms(
            "pearson",
            ranks.sum(axis=1),
            np.diag(self._rank_structure.gram),
            self.n_maps,
        )

    def _rank_similarities(self, pair_gram, sq_norms, cross_gram=None):
        """Pearson similarities of ranks from their Grams (ranks sum to d(d+1)/2)."""
        d = self.n_maps
        sums = np.full(sq_norms.shape, d * (d + 1) / 2.0)
        pairs = cross = None
        if pair_gram is not None:
            pairs = similarity_from_stats("pearson", pair_gram, sums, sq_norms, d)
        if cross_gram is not None:
            cross = cross_similarity_from_stats(
                "pearson", cross_gram, sums, sq_norms, self._rank_terms, d
            )
        return pairs, cross

    def leave_one_out(self, *, dataset=True, per_image=False):
        """The leave-one-map-out family; see :class:`MaskedEngine`."""
        bounds = chunk_bounds(self.n_maps, self._step(dataset, per_image))
        if self._closed_form:
            totals = self._stats(slice(None)) if dataset else None
            chunk = functools.partial(self._leave_one_out_chunk, totals)
        else:
            # Built once here, before the chunks run in threads.
            self._rank_structure, self._rank_terms  # noqa: B018
            summed = self._sums_rank_grams(dataset, per_image)
            chunk = functools.partial(self._rank_leave_one_out_chunk, summed)
        return chunk_family(bounds, chunk, dataset, per_image)

    def _rank_leave_one_out_chunk(self, summed, start, stop, dataset, per_image):
        args = (self._rank_structure, start, stop, dataset, per_image)
        if summed:
            grams = leave_one_out_grams(*args)
        else:
            with _one_blas_thread():
                grams = leave_one_out_ranked_grams(*args)
        return ChunkResult(start, stop, *self._rank_similarities(*grams))

    def _leave_one_out_chunk(self, totals, start, stop, dataset, per_image):
        code = SIMILARITY_CODES[self.similarity]
        pairs = cross = None
        if dataset:
            pairs = np.empty((stop - start, self.n_pairs))
            leave_one_out_similarities(code, self.features, totals, start, pairs)
        if per_image:
            gram, sums, sq_norms, terms = self._per_image_stats
            cross = np.empty((stop - start, self.n_images, self.n_images))
            per_image_similarities(
                code, self.features, gram, sums, sq_norms, terms, start, cross
            )
        return ChunkResult(start, stop, pairs, cross)

    def prefixes(self, order):
        """The prefix family of ``order``; see :class:`MaskedEngine`.

        Each chunk starts from the statistics of the maps before it, summed
        as the tasks are made: only the tasks in flight hold a copy.
        """
        order = np.asarray(order, dtype=np.intp)
        bounds = chunk_bounds(self.n_maps, self._step(prefix=True))
        if not self._closed_form:
            # Built once here, before the chunks run in threads.
            self._rank_structure  # noqa: B018
        return Family(len(bounds), self._prefix_tasks(order, bounds))

    def _prefix_tasks(self, order, bounds):
        carry = (
            np.zeros(self.n_pairs),
            np.zeros(self.n_images),
            np.zeros(self.n_images),
        )
        for start, stop in bounds:
            yield functools.partial(self._prefix_chunk, order, carry, start, stop)
            if self._closed_form:
                chunk = self._stats(order[start:stop])
                carry = tuple(before + added for before, added in zip(carry, chunk))

    def _prefix_chunk(self, order, carry, start, stop):
        if not self._closed_form:
            with _one_blas_thread():
                grams = prefix_grams(self._rank_structure, order, start, stop)
            pairs, _ = self._rank_similarities(*grams)
            return ChunkResult(start, stop, pairs, None)
        pairs = np.empty((stop - start, self.n_pairs))
        prefix_similarities(
            SIMILARITY_CODES[self.similarity],
            self.features,
            order[start:stop],
            carry,
            pairs,
        )
        return ChunkResult(start, stop, pairs, None)
