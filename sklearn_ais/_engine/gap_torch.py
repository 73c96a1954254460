"""The GAP engine in torch: the closed forms of ``gap``, scored on the device.

Used for global-average-pooled maps (a 2-D feature matrix, or 4-D maps with
no head or a ``GAPHead``) when an accelerator is asked for
(``device="cuda"``...), so that the whole fit runs there: the masked
similarities, their ranks (``torch.sort``) and the correlations. On the CPU
the numba engine of ``gap`` is used instead; this one is tested against it.

Every number follows the numba path's formulas, operation by operation, in
float64: the closed-form updates of the sufficient statistics, the cancellation
floors, and the snapping of similarities to a grid of ``2**-40`` of their
scale (``_kernels``), so that values equal in exact arithmetic tie here too.
Ranks are exact average ranks, ties included, as the numba path's are. What
can differ is float64 rounding where the two sum in another order (matrix
products, the correlation's dot product): about 1e-16 relative, which moves a
similarity across a grid boundary only rarely and an AIS by about 1e-15.

Kendall's tau-a has no torch form here (it needs an O(P log P) merge count
of discordant pairs, which torch has no primitive for, and an O(P^2) count
is out of reach at thousands of images): the similarities are still built on
the device, then scored on the CPU by the library's comparison, with a
:class:`~sklearn_ais.exceptions.DeviceFallbackWarning`.
"""

import functools
import warnings

import numpy as np
import torch

from .._kernels import CANCELLATION_FLOOR, GRID
from .._similarity import (
    MIN_RATED,
    PairComparison,
    PerImageComparison,
    pair_indices,
    rated_groups,
    rated_pairs,
)
from ..exceptions import DeviceFallbackWarning
from .base import (
    DEFAULT_CHUNK_MB,
    ChunkResult,
    Family,
    MaskedEngine,
    chunk_bounds,
    chunk_family,
    chunk_length,
    leave_one_out_masks,
    prefix_masks,
)
from .gap import PooledMaps

# Float64 arrays of one chunk's size alive at once, per output value: the
# similarities and their gathered terms, then the sort's values and indices,
# the tie groups' ends and the gathered human scores while they are scored.
_ARRAYS_PER_VALUE = 10


def _inverse_or_zero(values):
    """``1 / values``, and 0 where ``values`` is not positive (no direction)."""
    positive = values > 0
    return torch.where(positive, 1.0 / torch.where(positive, values, 1.0), 0.0)


def _inverse_norms(sq_norms):
    return _inverse_or_zero(torch.sqrt(sq_norms.clamp_min(0.0)))


def _pearson_terms(sums, sq_norms, n_dims):
    """Means, ``n_dims`` times the means, inverse standard deviations (x sqrt d).

    A variance below ``CANCELLATION_FLOOR`` of the squared norm is rounding
    noise of a constant embedding, counted as 0.
    """
    mean = sums / n_dims
    variance = sq_norms - n_dims * (mean * mean)
    variance = torch.where(variance <= CANCELLATION_FLOOR * sq_norms, 0.0, variance)
    return mean, n_dims * mean, _inverse_or_zero(torch.sqrt(variance))


def _snap_correlation(values):
    # Beyond +-1 is rounding; then the grid makes exact ties tie.
    return torch.round(values.clamp(-1.0, 1.0) * GRID) * (1.0 / GRID)


def _snap_distances(values, largest):
    """Negative distances snapped to ``2**-40`` of the largest distance of their row."""
    scale = torch.where(largest > 0, largest, 1.0)[..., None]
    return torch.round(values * (GRID / scale)) * (scale / GRID)


def _similarities(similarity, gram, row_stats, col_stats, n_dims, diagonal=None):
    """Similarities from dot products and the two sides' sums and squared norms.

    ``gram[..., p]`` pairs a row embedding with a column embedding, whose
    statistics are ``row_stats[..., p]`` and ``col_stats[..., p]`` (each
    ``(sums, sq_norms)``). The formulas and their order of operations are
    those of ``_kernels._row_from_stats`` and ``_kernels._cross_row``.
    ``diagonal`` marks the entries left out of the Euclidean snapping scale
    (an image against itself, in per-image similarities).
    """
    (row_sums, row_sq), (col_sums, col_sq) = row_stats, col_stats
    if similarity == "cosine":
        scale = _inverse_norms(row_sq) * _inverse_norms(col_sq)
        return _snap_correlation(gram * scale)
    if similarity == "pearson":
        _, row_scaled_mean, row_inverse = _pearson_terms(row_sums, row_sq, n_dims)
        col_mean, _, col_inverse = _pearson_terms(col_sums, col_sq, n_dims)
        centred = gram - row_scaled_mean * col_mean
        return _snap_correlation(centred * (row_inverse * col_inverse))
    norm_sum = row_sq + col_sq
    squared = gram * -2.0 + norm_sum
    squared = torch.where(squared <= CANCELLATION_FLOOR * norm_sum, 0.0, squared)
    distances = torch.sqrt(squared)
    counted = distances if diagonal is None else distances.masked_fill(diagonal, 0.0)
    return _snap_distances(-distances, counted.amax(dim=-1).clamp_min(0.0))


def sorted_average_ranks(sorted_values):
    """1-based average ranks of row-sorted values: tied values share their mean.

    Exact ties only, as ``scipy.stats.rankdata``: a value starts a new group
    where it differs from its left neighbour; each position gets the mean of
    its group's first and last positions.
    """
    n = sorted_values.shape[-1]
    position = torch.arange(n, device=sorted_values.device).expand(sorted_values.shape)
    new = sorted_values[..., 1:] != sorted_values[..., :-1]
    edge = torch.ones(*new.shape[:-1], 1, dtype=torch.bool, device=new.device)
    starts = torch.where(torch.cat([edge, new], dim=-1), position, 0)
    ends = torch.where(torch.cat([new, edge], dim=-1), position, n - 1)
    first = starts.cummax(dim=-1).values
    last = ends.flip(-1).cummin(dim=-1).values.flip(-1)
    return (first + last).double() / 2 + 1


def average_ranks(values):
    """1-based average ranks along the last axis (``scipy.stats.rankdata``)."""
    sorted_values, order = values.sort(dim=-1)
    ranks = torch.empty_like(sorted_values)
    return ranks.scatter_(-1, order, sorted_average_ranks(sorted_values))


def _undefined(rows):
    """Rows whose correlation is undefined: a non-finite value, or constant."""
    finite = torch.isfinite(rows).all(dim=-1)
    constant = rows.amax(dim=-1) == rows.amin(dim=-1)
    return ~finite | constant


def standardize(rows):
    """Centre each row, scale it to unit norm; constant rows become NaN."""
    centred = rows - (rows.sum(dim=-1) / rows.shape[-1])[..., None]
    norms = torch.sqrt((centred * centred).sum(dim=-1))[..., None]
    return torch.where(_undefined(rows)[..., None], torch.nan, centred / norms)


def correlations(candidates, human_scores, comparison):
    """Spearman, Pearson or r² of each row of ``candidates`` with the humans'.

    ``human_scores`` (broadcast against the rows) are the human values'
    standardized average ranks for Spearman, their standardized values
    otherwise. Spearman ranks each row by one ``torch.sort``, ties resolved
    exactly, and takes its dot product with the human scores gathered in
    sorted order. NaN for an undefined row.
    """
    if comparison != "spearman":
        pearson = (standardize(candidates) * human_scores).sum(dim=-1)
        return pearson**2 if comparison == "r2" else pearson
    n = candidates.shape[-1]
    sorted_values, order = candidates.sort(dim=-1)
    centred = sorted_average_ranks(sorted_values) - (n + 1) / 2
    human = human_scores.expand(candidates.shape).gather(-1, order)
    score = (centred * human).sum(dim=-1) / torch.sqrt((centred * centred).sum(-1))
    return torch.where(_undefined(candidates), torch.nan, score)


class TorchPairComparison:
    """Compares chunks of pair similarities (tensors) with the human pairs.

    Parameters
    ----------
    human_pairs : ndarray of shape (n_pairs,)
        The human pair similarities; NaN for an unrated pair, left out.
    comparison : {"spearman", "pearson", "r2"}
        See :class:`~sklearn_ais._similarity.PairComparison`.
    device : torch.device
        Where the candidates are.
    """

    def __init__(self, human_pairs, comparison, device):
        self.comparison = comparison
        human_pairs = np.asarray(human_pairs, dtype=np.float64)
        rated = rated_pairs(human_pairs)
        self._rated = None
        if rated is not None:
            human_pairs = human_pairs[rated]
            self._rated = torch.as_tensor(rated, device=device)
        self._n_rated = len(human_pairs)
        self._scores = _human_scores(
            torch.as_tensor(human_pairs, dtype=torch.float64, device=device),
            comparison,
        )

    def score(self, candidate):
        """Compare one candidate ``(n_pairs,)``; returns a float."""
        return float(self.score_many(candidate[None])[0])

    def score_many(self, candidates):
        """Compare each row of ``candidates`` ``(k, n_pairs)``; ndarray ``(k,)``."""
        if self._n_rated < MIN_RATED:
            return np.full(len(candidates), np.nan)
        if self._rated is not None:
            candidates = candidates[:, self._rated]
        return correlations(candidates, self._scores, self.comparison).cpu().numpy()


def _human_scores(values, comparison):
    return standardize(average_ranks(values) if comparison == "spearman" else values)


class TorchPerImageComparison:
    """Compares each image's similarities to the others with the humans'.

    With unrated pairs, images are scored in groups of equal numbers of
    rated pairs, as in :class:`~sklearn_ais._similarity.PerImageComparison`.

    Parameters
    ----------
    human_pairs : ndarray of shape (n_pairs,)
        The human pair similarities; NaN for an unrated pair.
    comparison : {"spearman", "pearson", "r2"}
        See :class:`~sklearn_ais._similarity.PairComparison`.
    device : torch.device
        Where the candidates are.
    """

    def __init__(self, human_pairs, comparison, device):
        human = torch.as_tensor(human_pairs, dtype=torch.float64, device=device)
        n = int(round((1 + np.sqrt(1 + 8 * len(human))) / 2))
        rows, cols = (torch.tensor(i, device=device) for i in pair_indices(n))
        square = torch.zeros(n, n, dtype=torch.float64, device=device)
        square[rows, cols] = human
        square[cols, rows] = human
        self.n_images = n
        self.comparison = comparison
        self._groups = None
        if torch.isnan(human).any():
            self._groups = []
            for images, columns in rated_groups(square.cpu().numpy()):
                images = torch.as_tensor(images, device=device)
                columns = torch.as_tensor(columns, device=device)
                human = _human_scores(square[images[:, None], columns], comparison)
                self._groups.append((images, columns, human))
            return
        self._off_diagonal = ~torch.eye(n, dtype=torch.bool, device=device)
        self._scores = _human_scores(self._others(square[None])[0], comparison)

    def _others(self, similarities):
        """``(k, n, n)`` to ``(k, n, n - 1)``: each row without its diagonal entry."""
        k, n = similarities.shape[:2]
        return similarities[:, self._off_diagonal].view(k, n, n - 1)

    def score(self, similarities):
        """Scores ``(n, k)`` of ``(k, n, n)`` per-image similarities (tensor)."""
        if self._groups is not None:
            scores = np.full((self.n_images, len(similarities)), np.nan)
            for images, columns, human in self._groups:
                candidates = similarities[:, images[:, None], columns]
                found = correlations(candidates, human, self.comparison)
                scores[images.cpu().numpy()] = found.T.cpu().numpy()
            return scores
        candidates = self._others(similarities)
        return correlations(candidates, self._scores, self.comparison).T.cpu().numpy()


class _OnTheCPU:
    """A numba-path comparison fed with tensors copied to the CPU."""

    def __init__(self, comparison):
        self.comparison = comparison

    def score(self, candidates):
        return self.comparison.score(candidates.cpu().numpy())

    def score_many(self, candidates):
        return self.comparison.score_many(candidates.cpu().numpy())


def _warn_cpu_scoring(comparison, device):
    warnings.warn(
        f"comparison={comparison!r} has no torch implementation: the masked "
        f"similarities are computed on {str(device)!r} and compared with the "
        "human ones on the CPU.",
        DeviceFallbackWarning,
        stacklevel=4,
    )


class TorchGAPEngine(PooledMaps, MaskedEngine):
    """The GAP engine's closed forms in torch, on any device (float64).

    The same families as :class:`~sklearn_ais._engine.gap.GAPEngine`, with
    chunk results as tensors on the device, scored there by the comparisons
    ``pair_comparison`` and ``per_image_comparison`` make. ``embed`` and the
    cross family (new images against fitted ones, ``n x n_reference`` per
    map) run in numpy on the CPU, as in the numba engine
    (:class:`~sklearn_ais._engine.gap.PooledMaps`).

    Parameters
    ----------
    features : ndarray of shape (n_images, n_maps)
        The pooled feature maps.
    similarity : str
        Similarity between embeddings.
    device : str or torch.device
        Where everything runs.
    chunk_mb : float, default=64
        Memory budget of one chunk, in megabytes.
    dtype : numpy dtype or None, default=None
        The dtype ``embed`` returns; None is that of ``features``.
    """

    def __init__(
        self, features, similarity, device, chunk_mb=DEFAULT_CHUNK_MB, dtype=None
    ):
        self._set_pooled(features, similarity, chunk_mb, dtype)
        self.device = torch.device(device)

    # Put on the device when first used: ``embed`` (``transform``) needs no
    # device, so a fitted selector still transforms where it is gone.

    @functools.cached_property
    def features(self):
        """The pooled maps on the device, float64."""
        return torch.tensor(self.pooled, device=self.device)

    @functools.cached_property
    def _rows(self):
        # A copy: the cached indices are read-only.
        return torch.tensor(pair_indices(self.n_images)[0], device=self.device)

    @functools.cached_property
    def _cols(self):
        return torch.tensor(pair_indices(self.n_images)[1], device=self.device)

    @functools.cached_property
    def _diagonal(self):
        return torch.eye(self.n_images, dtype=torch.bool, device=self.device)

    @property
    def embedding_dim(self):
        """Dimension of the embeddings: one per map."""
        return self.n_maps

    def pair_comparison(self, human_pairs, comparison):
        """The comparison that scores this engine's pair similarities."""
        if comparison == "kendall":
            _warn_cpu_scoring(comparison, self.device)
            return _OnTheCPU(PairComparison(human_pairs, comparison))
        return TorchPairComparison(human_pairs, comparison, self.device)

    def per_image_comparison(self, human_pairs, comparison):
        """The comparison that scores this engine's per-image similarities."""
        if comparison == "kendall":
            _warn_cpu_scoring(comparison, self.device)
            return _OnTheCPU(PerImageComparison(human_pairs, comparison))
        return TorchPerImageComparison(human_pairs, comparison, self.device)

    def _step(self, dataset=True, per_image=False):
        """Masked networks per chunk."""
        n = self.n_images
        per_item = _ARRAYS_PER_VALUE * 8 * (self.n_pairs * dataset + n * n * per_image)
        if not self._closed_form:
            # Masked embeddings, their ranks, the sort's values and indices.
            per_item += 4 * 8 * n * self.n_maps
        return chunk_length(per_item, self.chunk_mb, self.n_maps)

    @functools.cached_property
    def _totals(self):
        """Gram matrix, sums and squared norms of the unmasked embeddings."""
        features = self.features
        return features @ features.T, features.sum(dim=1), (features * features).sum(1)

    def _pairs(self, gram_pairs, sums, sq_norms, similarity=None):
        """``(k, n_pairs)`` similarities of ``k`` embedding sets, from statistics."""
        rows, cols = self._rows, self._cols
        return _similarities(
            similarity or self.similarity,
            gram_pairs,
            (sums[:, rows], sq_norms[:, rows]),
            (sums[:, cols], sq_norms[:, cols]),
            self.n_maps,
        )

    def _cross(self, gram, row_sums, row_sq_norms, columns, similarity=None):
        """``(k, n, n)`` per-image similarities: masked rows, unmasked ``columns``."""
        return _similarities(
            similarity or self.similarity,
            gram,
            (row_sums[..., None], row_sq_norms[..., None]),
            columns,
            self.n_maps,
            diagonal=self._diagonal,
        )

    def _left_out(self, values, dataset, per_image):
        """Similarities with the maps whose values are ``values`` ``(k, n)`` masked.

        The dataset part masks each map in every image; the per-image part,
        in image ``t`` alone for row ``t``.
        """
        gram, sums, sq_norms = self._totals
        sums, sq_norms = sums - values, sq_norms - values * values
        pairs = cross = None
        if dataset:
            rows, cols = self._rows, self._cols
            products = values[:, rows] * values[:, cols]
            pairs = self._pairs(gram[rows, cols] - products, sums, sq_norms)
        if per_image:
            products = values[:, :, None] * values[:, None, :]
            cross = self._cross(gram - products, sums, sq_norms, self._totals[1:])
        return pairs, cross

    # Spearman similarity has no closed form: masked embeddings are ranked.

    @functools.cached_property
    def _full_ranks(self):
        ranks = average_ranks(self.features)
        return ranks, (ranks.sum(dim=-1), (ranks * ranks).sum(dim=-1))

    def _ranked(self, keep, dataset, per_image):
        """Similarities of the masked embeddings ``features * keep[c]``."""
        keep = torch.as_tensor(keep, dtype=torch.float64, device=self.device)
        ranks = average_ranks(self.features[None] * keep[:, None, :])
        sums, sq_norms = ranks.sum(dim=-1), (ranks * ranks).sum(dim=-1)
        pairs = cross = None
        if dataset:
            gram = torch.bmm(ranks, ranks.transpose(1, 2))[:, self._rows, self._cols]
            pairs = self._pairs(gram, sums, sq_norms, "pearson")
        if per_image:
            full, columns = self._full_ranks
            gram = torch.matmul(ranks, full.T)
            cross = self._cross(gram, sums, sq_norms, columns, "pearson")
        return pairs, cross

    def full(self):
        """Pair similarities with every map kept, tensor ``(n_pairs,)``."""
        return self._masked_out(None, dataset=True, per_image=False)[0][0]

    def full_per_image(self):
        """Per-image similarities with every map kept, tensor ``(n, n)``."""
        return self._masked_out(None, dataset=False, per_image=True)[1][0]

    def _masked_out(self, maps, dataset, per_image):
        """The leave-one-out similarities of ``maps`` (a slice; None: mask nothing).

        Masking nothing is masking a map of zeros, so that a map that is zero
        everywhere gets exactly the unmasked similarities.
        """
        if maps is None:
            values = self.features.new_zeros(1, self.n_images)
            keep = np.ones((1, self.n_maps), dtype=bool)
        else:
            values = self.features[:, maps].T
            keep = leave_one_out_masks(self.n_maps, maps.start, maps.stop)
        if self._closed_form:
            return self._left_out(values, dataset, per_image)
        return self._ranked(keep, dataset, per_image)

    def _leave_one_out_chunk(self, start, stop, dataset, per_image):
        pairs, cross = self._masked_out(slice(start, stop), dataset, per_image)
        return ChunkResult(start, stop, pairs, cross)

    def leave_one_out(self, *, dataset=True, per_image=False):
        """The leave-one-map-out family; see :class:`MaskedEngine`."""
        bounds = chunk_bounds(self.n_maps, self._step(dataset, per_image))
        self._totals, self._full_ranks  # computed once, before the threads start
        return chunk_family(bounds, self._leave_one_out_chunk, dataset, per_image)

    def prefixes(self, order):
        """The prefix family of ``order``; see :class:`MaskedEngine`.

        As in the numba engine, each chunk sums its own maps' contributions
        from zero and adds the statistics of the maps before it.
        """
        order = np.asarray(order, dtype=np.intp)
        bounds = chunk_bounds(self.n_maps, self._step())
        return Family(len(bounds), self._prefix_tasks(order, bounds))

    def _prefix_tasks(self, order, bounds):
        zeros = functools.partial(self.features.new_zeros, dtype=torch.float64)
        carry = (zeros(self.n_pairs), zeros(self.n_images), zeros(self.n_images))
        for start, stop in bounds:
            yield functools.partial(self._prefix_chunk, order, carry, start, stop)
            if self._closed_form:
                kept = self.features[:, self._maps(order[start:stop])]
                added = (
                    (kept @ kept.T)[self._rows, self._cols],
                    kept.sum(dim=1),
                    (kept * kept).sum(dim=1),
                )
                carry = tuple(before + more for before, more in zip(carry, added))

    def _maps(self, maps):
        return torch.as_tensor(maps, device=self.device)

    def _prefix_chunk(self, order, carry, start, stop):
        if not self._closed_form:
            pairs, _ = self._ranked(prefix_masks(order, start, stop), True, False)
            return ChunkResult(start, stop, pairs, None)
        values = self.features[:, self._maps(order[start:stop])].T
        rows, cols = self._rows, self._cols
        gram, sums, sq_norms = (
            torch.cumsum(added, dim=0) + before
            for added, before in zip(
                (values[:, rows] * values[:, cols], values, values * values), carry
            )
        )
        return ChunkResult(start, stop, self._pairs(gram, sums, sq_norms), None)
