"""Exact rank Gram matrices of masked embeddings, for the Spearman similarity.

Spearman similarity is Pearson similarity of each embedding's average ranks,
so each masked network needs the Gram matrix of its embeddings' ranks. Ranks
are integers or halves, so every sum here is exact in float64 and the Grams
are bit for bit those of ranking the masked embeddings and multiplying.

Notation for image ``i`` with values ``x_i`` over the ``d`` maps: ``Hc`` is
the unit step with ``Hc(0) = 1/2``; the average rank of map ``m`` is
``R_i[m] = sum_m' Hc(x_im - x_im') + 1/2``; ``h_i(t)[m] = Hc(t - x_im)`` (1
below ``t``, 1/2 at ``t``). In image ``i``'s sorted order the values equal
to ``t`` sit at positions ``[t0, t1)``, so for any weights ``w``,
``<w, h_i(t)> = (S[t0] + S[t1]) / 2`` with ``S`` the cumulative sum of ``w``
in that order: a *half-prefix sum*.

**Leave one out.** Setting map ``k`` of image ``i`` from ``v`` to 0 changes
only the term ``m' = k`` of the other ranks, so off ``k`` the masked ranks
are ``R_i - h_i(0) + h_i(v) = Y_i + h_i(v)`` with ``Y_i`` fixed, and ``k``
itself gets the rank ``r_i`` of a zero. With ``Y_i[k] + h_i(v)[k] =
Y_i[k] + 1/2``, the masked Gram is::

    G'_ij = <Y_i, Y_j> + <Y_i, h_j(v_j)> + <h_i(v_i), Y_j> + <h_i(v_i), h_j(v_j)>
            - (Y_i[k] + 1/2) (Y_j[k] + 1/2) + r_i r_j

The first term is one Gram for every map; the cross terms are half-prefix
sums (one cumulative sum per image and chunk: ``n^2 d`` additions per chunk
instead of ``2 n^2 d`` flops per map); the last inner product counts the
maps below ``k``'s value in both images (halves for ties), an AND and a
popcount of two bitsets per pair. An image where ``k`` is already 0 needs
no case of its own: ``v = 0``, so ``Y_i + h_i(v) = R_i``, its block is the
zeros' and ``r_i`` its own rank. The per-image family (``k`` zeroed in image
``t`` alone) needs ``<Y_t + h_t(v_t), R_j>``: ``<Y_t, R_j>`` once and one
half-prefix sum of ``R_j``.

**Prefixes.** Maps outside the prefix are zeros and tie: they share one rank
``z_i``, so the Gram is that of the kept columns plus ``(d - p) z_i z_j``.
Adding a map moves each kept rank by ``Hc(x - v) - Hc(x)``, in place.
"""

import numpy as np
from numba import types
from numba.extending import intrinsic

from .._kernels import _kernel
from .._similarity import pair_indices

WORD_BITS = 64


@intrinsic
def _popcount(typingctx, word):
    """Number of set bits of a uint64 (one machine instruction)."""

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


@_kernel
def _step(value):
    """``Hc``: 1 above 0, 1/2 at 0, 0 below."""
    return (value > 0.0) + 0.5 * (value == 0.0)


@_kernel
def _rank_shift(value, old, new):
    """How far the rank of ``value`` moves when another goes from ``old`` to ``new``."""
    return _step(value - new) - _step(value - old)


class RankStructure:
    """What every leave-one-out chunk of the Spearman similarity reads.

    Parameters
    ----------
    features : ndarray of shape (n_images, n_maps)
        The embeddings, float64, C-contiguous.

    Attributes
    ----------
    order : ndarray of shape (n_images, n_maps)
        Each image's maps in ascending order of value.
    block_start, block_stop : ndarray of shape (n_images, n_maps)
        Positions ``[t0, t1)`` in that order of the values equal to each map's.
    zero_start, zero_stop : ndarray of shape (n_images,)
        The same for the value 0 (empty where no map is 0).
    ranks : ndarray of shape (n_images, n_maps)
        Average ranks, ``(t0 + t1 + 1) / 2``.
    shifted : ndarray of shape (n_images, n_maps)
        ``Y = R - h(0)``: the ranks without the zero that a masked map becomes.
    ranks_by_map, shifted_by_map : ndarray of shape (n_maps, n_images)
        The same, transposed.
    shifted_gram, mixed_gram, gram : ndarray of shape (n_images, n_images)
        ``Y Y^T``, ``Y R^T`` and ``R R^T``.
    """

    def __init__(self, features):
        self.features = features

    def build(self):
        """Sort each image once and compute the arrays above; returns self."""
        x = self.features
        self.order = np.argsort(x, axis=1, kind="stable")
        ordered = np.take_along_axis(x, self.order, axis=1)
        self.block_start = np.empty(x.shape, dtype=np.int64)
        self.block_stop = np.empty(x.shape, dtype=np.int64)
        self.zero_start = np.empty(len(x), dtype=np.int64)
        self.zero_stop = np.empty(len(x), dtype=np.int64)
        for i, row in enumerate(ordered):
            self.block_start[i] = np.searchsorted(row, x[i], side="left")
            self.block_stop[i] = np.searchsorted(row, x[i], side="right")
            self.zero_start[i] = np.searchsorted(row, 0.0, side="left")
            self.zero_stop[i] = np.searchsorted(row, 0.0, side="right")
        self.ranks = (self.block_start + self.block_stop + 1) / 2.0
        self.shifted = self.ranks - ((x < 0) + 0.5 * (x == 0))
        # Rows by map, for the half-prefix sums.
        self.ranks_by_map = np.ascontiguousarray(self.ranks.T)
        self.shifted_by_map = np.ascontiguousarray(self.shifted.T)
        self.shifted_gram = self.shifted @ self.shifted.T
        self.mixed_gram = self.shifted @ self.ranks.T
        self.gram = self.ranks @ self.ranks.T
        return self

    @property
    def n_words(self):
        """uint64 words of one bitset over the maps."""
        return -(-self.features.shape[1] // WORD_BITS)


@_kernel
def _prefix_lengths(block_start, block_stop, maps, i, lengths):
    """Prefix lengths of image ``i``'s sorted order for a chunk, in sweep order.

    ``lengths[c]`` and ``lengths[n_chunk + c]`` get ``t0`` and ``t1`` of map
    ``maps[c]``; returns the indices of ``lengths`` in increasing length.
    """
    n_chunk = maps.shape[0]
    for c in range(n_chunk):
        lengths[c] = block_start[i, maps[c]]
        lengths[n_chunk + c] = block_stop[i, maps[c]]
    return np.argsort(lengths)


@_kernel
def half_prefix_sums(order, block_start, block_stop, weights, maps, out):
    """``out[c, i, j] = <w_j, h_i(x_i,maps[c])>`` for every pair of images.

    ``weights`` is ``d x n`` (row ``m``: every image's weight of map ``m``).
    One sweep of each image's sorted order, adding rows into a running sum
    and keeping it at each prefix length the chunk needs, serves every map.
    """
    n_images = order.shape[0]
    n_chunk, width = maps.shape[0], weights.shape[1]
    lengths = np.empty(2 * n_chunk, dtype=np.int64)
    running = np.empty(width)
    kept = np.empty((2 * n_chunk, width))
    for i in range(n_images):
        running[:] = 0.0
        p = 0
        for r in _prefix_lengths(block_start, block_stop, maps, i, lengths):
            while p < lengths[r]:
                row = weights[order[i, p]]
                for j in range(width):
                    running[j] += row[j]
                p += 1
            kept[r, :] = running
        for c in range(n_chunk):
            for j in range(width):
                out[c, i, j] = 0.5 * (kept[c, j] + kept[n_chunk + c, j])


@_kernel
def below_bitsets(order, block_start, block_stop, maps, below, at_most):
    """Bitsets of the maps whose value in image ``i`` is below (or at most) ``x_ik``.

    ``below[c, i]`` and ``at_most[c, i]`` (``k = maps[c]``) are prefixes of
    image ``i``'s sorted order, of lengths ``t0`` and ``t1``: one sweep of
    that order per image fills them all.
    """
    n_images = order.shape[0]
    n_chunk = maps.shape[0]
    current = np.zeros(below.shape[2], dtype=np.uint64)
    lengths = np.empty(2 * n_chunk, dtype=np.int64)
    for i in range(n_images):
        current[:] = 0
        p = 0
        for r in _prefix_lengths(block_start, block_stop, maps, i, lengths):
            while p < lengths[r]:
                m = order[i, p]
                current[m // WORD_BITS] |= np.uint64(1) << np.uint64(m % WORD_BITS)
                p += 1
            if r < n_chunk:
                below[r, i, :] = current
            else:
                at_most[r - n_chunk, i, :] = current


@_kernel
def _common_count(a, b):
    total = np.uint64(0)
    for w in range(a.shape[0]):
        total += _popcount(a[w] & b[w])
    return float(total)


@_kernel
def _half_overlap(below, at_most, c, i, j, single_i, single_j):
    """``<h_i(x_ik), h_j(x_jk)>`` from the bitsets of chunk item ``c``.

    ``h = (below + at_most) / 2``. Map ``k`` is in both "at most" sets and in
    neither "below" set; where it is alone in its block, "at most" is "below"
    plus ``k``, so that count need not be taken.
    """
    count = _common_count(below[c, i], below[c, j])
    if single_i and single_j:
        return count + 0.25
    if single_j:
        return 0.5 * (count + _common_count(at_most[c, i], below[c, j])) + 0.25
    if single_i:
        return 0.5 * (count + _common_count(below[c, i], at_most[c, j])) + 0.25
    count += _common_count(below[c, i], at_most[c, j])
    count += _common_count(at_most[c, i], below[c, j])
    count += _common_count(at_most[c, i], at_most[c, j])
    return 0.25 * count


@_kernel
def leave_one_out_rank_grams(
    features,
    maps,
    ranks,
    shifted,
    shifted_gram,
    mixed_gram,
    gram,
    zero_start,
    zero_stop,
    block_start,
    block_stop,
    shifted_sums,
    rank_sums,
    below,
    at_most,
    pair_gram,
    sq_norms,
    cross_gram,
):
    """Rank Grams with map ``maps[c]`` zeroed, from the formula of the module.

    ``shifted_sums[c, i, j] = <Y_j, h_i(x_ik)>`` (dataset part) and
    ``rank_sums[c, i, j] = <R_j, h_i(x_ik)>`` (per-image part) come from
    :func:`half_prefix_sums`; ``below`` and ``at_most`` (dataset part) from
    :func:`below_bitsets`. Writes ``sq_norms[c, i]`` (the masked ranks'
    squared norms), the dataset ``pair_gram[c, p]`` (pairs ``i < j`` row by
    row, ``k`` zeroed in every image) when it has rows, and the per-image
    ``cross_gram[c, t, j]`` (``k`` zeroed in ``t`` alone, against ``j``
    unmasked) when it has rows.
    """
    n_images = features.shape[0]
    own = np.empty(n_images)
    zero_rank = np.empty(n_images)
    masked = np.empty(n_images, dtype=np.bool_)
    single = np.empty(n_images, dtype=np.bool_)
    for c in range(maps.shape[0]):
        k = maps[c]
        for i in range(n_images):
            value = features[i, k]
            tied = block_stop[i, k] - block_start[i, k]
            masked[i] = value != 0.0
            single[i] = tied == 1
            own[i] = shifted[i, k] + 0.5
            # k joins the zeros: those below 0 (without k), then the middle
            # of the zeros' block grown by one.
            zero_rank[i] = (
                zero_start[i]
                - (value < 0.0)
                + 0.5 * (zero_stop[i] - zero_start[i] + 1 - (value == 0.0))
                + 0.5
            )
            # A block of t tied ranks has t (t^2 - 1) / 12 less square sum than
            # distinct ones; k leaves its block (t) and joins the zeros' (z).
            zeros = zero_stop[i] - zero_start[i]
            sq_norms[c, i] = gram[i, i]
            if masked[i]:
                sq_norms[c, i] += 0.25 * (tied * (tied - 1) - zeros * (zeros + 1))
        if pair_gram.shape[0]:
            p = 0
            for i in range(n_images):
                for j in range(i + 1, n_images):
                    if masked[i] or masked[j]:
                        # Also where one value is already 0: its ranks are
                        # Y + h(0), its "zero rank" its own, its block the zeros'.
                        value = (
                            shifted_gram[i, j]
                            + shifted_sums[c, j, i]
                            + shifted_sums[c, i, j]
                            + _half_overlap(
                                below, at_most, c, i, j, single[i], single[j]
                            )
                            - own[i] * own[j]
                            + zero_rank[i] * zero_rank[j]
                        )
                    else:
                        value = gram[i, j]
                    pair_gram[c, p] = value
                    p += 1
        if cross_gram.shape[0]:
            for t in range(n_images):
                for j in range(n_images):
                    if masked[t]:
                        cross_gram[c, t, j] = (
                            mixed_gram[t, j]
                            + rank_sums[c, t, j]
                            - ranks[j, k] * (own[t] - zero_rank[t])
                        )
                    else:
                        cross_gram[c, t, j] = gram[t, j]


def leave_one_out_grams(structure, start, stop, dataset, per_image):
    """Rank Grams of the maps ``start .. stop - 1`` zeroed, one at a time.

    Parameters
    ----------
    structure : RankStructure
        Built for the unmasked embeddings.
    start, stop : int
        The chunk of maps.
    dataset, per_image : bool
        Which families to compute.

    Returns
    -------
    pair_gram : ndarray of shape (stop - start, n_pairs) or None
    sq_norms : ndarray of shape (stop - start, n_images)
    cross_gram : ndarray of shape (stop - start, n_images, n_images) or None
    """
    n_images = len(structure.ranks)
    maps = np.arange(start, stop)
    k = len(maps)
    args = (structure.order, structure.block_start, structure.block_stop)
    shifted_sums = rank_sums = np.empty((0, 0, 0))
    below = at_most = np.empty((0, 0, 0), dtype=np.uint64)
    if dataset:
        shifted_sums = np.empty((k, n_images, n_images))
        half_prefix_sums(*args, structure.shifted_by_map, maps, shifted_sums)
        below = np.empty((k, n_images, structure.n_words), dtype=np.uint64)
        at_most = np.empty_like(below)
        below_bitsets(*args, maps, below, at_most)
    if per_image:
        rank_sums = np.empty((k, n_images, n_images))
        half_prefix_sums(*args, structure.ranks_by_map, maps, rank_sums)
    pair_gram = np.empty((k if dataset else 0, n_images * (n_images - 1) // 2))
    cross_gram = np.empty((k if per_image else 0, n_images, n_images))
    sq_norms = np.empty((k, n_images))
    leave_one_out_rank_grams(
        structure.features,
        maps,
        structure.ranks,
        structure.shifted,
        structure.shifted_gram,
        structure.mixed_gram,
        structure.gram,
        structure.zero_start,
        structure.zero_stop,
        structure.block_start,
        structure.block_stop,
        shifted_sums,
        rank_sums,
        below,
        at_most,
        pair_gram,
        sq_norms,
        cross_gram,
    )
    return (
        (pair_gram if dataset else None),
        sq_norms,
        (cross_gram if per_image else None),
    )


# Where a chunk holds few maps (many images, a small memory budget), the
# cumulative sums above cost more per map than ranking the masked embeddings
# and multiplying: setting map k from v to 0 moves the other ranks by
# h(v) - h(0), an O(d) update per image, and a chunk's Grams are one batched
# product. The same exact numbers.


@_kernel
def leave_one_out_ranks(features, ranks, start, out):
    """Average ranks with map ``start + c`` zeroed, into ``out[c]`` (``k x n x d``)."""
    n_maps = features.shape[1]
    for c in range(out.shape[0]):
        k = start + c
        for i in range(features.shape[0]):
            x = features[i]
            v = x[k]
            below = 0
            equal = 0
            for m in range(n_maps):
                out[c, i, m] = ranks[i, m] + _rank_shift(x[m], v, 0.0)
                below += x[m] < 0.0
                equal += x[m] == 0.0
            # k is no longer where it was: uncount it, then rank a zero.
            below -= v < 0.0
            equal -= v == 0.0
            out[c, i, k] = below + 0.5 * equal + 1.0


def leave_one_out_ranked_grams(structure, start, stop, dataset, per_image):
    """:func:`leave_one_out_grams` by ranking and multiplying, one product per map."""
    ranks = np.empty((stop - start, *structure.ranks.shape))
    leave_one_out_ranks(structure.features, structure.ranks, start, ranks)
    sq_norms = np.einsum("knd,knd->kn", ranks, ranks)
    pair_gram = cross_gram = None
    if dataset:
        rows, cols = pair_indices(len(structure.ranks))
        pair_gram = np.matmul(ranks, ranks.transpose(0, 2, 1))[:, rows, cols]
    if per_image:
        cross_gram = np.matmul(ranks, structure.ranks.T)
    return pair_gram, sq_norms, cross_gram


@_kernel
def prefix_kept_ranks(values, base_ranks, n_maps, ranks, zero_ranks):
    """Ranks of the kept maps as maps are added one by one, in place.

    ``values`` (``n x stop``) are the features in the order maps are added;
    the first ``start`` (``base_ranks.shape[1]``) are kept before the chunk,
    ``base_ranks`` their average ranks among themselves. Step ``c`` keeps the
    first ``start + c + 1``: ``ranks[c, i, q]`` (zeros, on entry) gets the
    rank of kept column ``q`` among all ``n_maps`` values, and
    ``zero_ranks[c, i]`` the rank every map left out shares.
    """
    n_images = values.shape[0]
    start = base_ranks.shape[1]
    for i in range(n_images):
        x = values[i]
        zero_rank = 0.0
        for q in range(start):
            zero_rank += (x[q] < 0.0) + 0.5 * (x[q] == 0.0)
        zero_rank += 0.5 * (n_maps - start) + 0.5
        for c in range(ranks.shape[0]):
            kept = start + c
            out = ranks[c, i]
            v = x[kept]
            if c == 0:
                for q in range(start):
                    out[q] = base_ranks[i, q] + (n_maps - start) * _step(x[q])
            else:
                previous = ranks[c - 1, i]
                for q in range(kept):
                    out[q] = previous[q]
            below = 0
            equal = 0
            for q in range(kept):
                out[q] += _rank_shift(x[q], 0.0, v)
                below += x[q] < v
                equal += x[q] == v
            out[kept] = below + 0.5 * equal + (n_maps - kept - 1) * _step(v) + 1.0
            zero_rank += _step(-v) - 0.5
            zero_ranks[c, i] = zero_rank


@_kernel
def subset_ranks(order, block_stop, column, out):
    """Average ranks among a subset of the maps, without sorting again.

    Maps with ``column[m] >= 0`` are the subset; ``out[i, column[m]]`` gets
    map ``m``'s rank among them in image ``i``, read off the image's sorted
    order (``order``, and ``block_stop`` for its ties).
    """
    n_images, n_maps = order.shape
    for i in range(n_images):
        p = 0
        below = 0
        while p < n_maps:
            end = block_stop[i, order[i, p]]
            kept = 0
            for q in range(p, end):
                kept += column[order[i, q]] >= 0
            rank = below + 0.5 * (kept + 1)
            for q in range(p, end):
                if column[order[i, q]] >= 0:
                    out[i, column[order[i, q]]] = rank
            below += kept
            p = end


@_kernel
def prefix_pair_grams(gram, left_out, zero_ranks, pair_gram, sq_norms):
    """Add the left-out maps' tied zeros to kept-column Grams; pairs and diagonal.

    ``gram[c]`` is the Gram of step ``c``'s kept columns; each of its
    ``left_out[c]`` zeros has rank ``zero_ranks[c, i]`` in image ``i``.
    """
    n_images = gram.shape[1]
    for c in range(gram.shape[0]):
        p = 0
        for i in range(n_images):
            zi = left_out[c] * zero_ranks[c, i]
            sq_norms[c, i] = gram[c, i, i] + zi * zero_ranks[c, i]
            for j in range(i + 1, n_images):
                pair_gram[c, p] = gram[c, i, j] + zi * zero_ranks[c, j]
                p += 1


def prefix_grams(structure, order, start, stop):
    """Rank Grams of the prefixes ``order[:m]``, ``m = start + 1 .. stop``.

    Parameters
    ----------
    structure : RankStructure
        Built for the unmasked embeddings.
    order : ndarray of shape (n_maps,)
        The order maps are added in.
    start, stop : int
        The chunk of prefixes.

    Returns
    -------
    pair_gram : ndarray of shape (stop - start, n_pairs)
    sq_norms : ndarray of shape (stop - start, n_images)
    """
    features = structure.features
    n_images, n_maps = features.shape
    values = np.ascontiguousarray(features[:, order[:stop]])
    column = np.full(n_maps, -1, dtype=np.int64)
    column[order[:start]] = np.arange(start)
    base = np.empty((n_images, start))
    subset_ranks(structure.order, structure.block_stop, column, base)
    ranks = np.zeros((stop - start, n_images, stop))
    zero_ranks = np.empty((stop - start, n_images))
    prefix_kept_ranks(values, base, n_maps, ranks, zero_ranks)
    gram = np.matmul(ranks, ranks.transpose(0, 2, 1))
    left_out = n_maps - np.arange(start + 1, stop + 1, dtype=np.float64)
    pair_gram = np.empty((stop - start, n_images * (n_images - 1) // 2))
    sq_norms = np.empty((stop - start, n_images))
    prefix_pair_grams(gram, left_out, zero_ranks, pair_gram, sq_norms)
    return pair_gram, sq_norms
