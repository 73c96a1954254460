"""Compiled loops for the hot paths of dataset AIS (numba).

Dataset AIS scores thousands of masked networks, each a vector of ``n_pairs``
pair similarities. In numpy every step of the closed forms is a separate pass
over a chunk of such vectors (gathers of pair indices, products, snapping,
packing, ...); here each masked network's similarities are built in one
loop over its pairs, while they sit in cache. The float operations are those
of the numpy passes they replaced, in the same order (bitwise equal results
were checked when they were swapped); ``similarity_from_stats`` in
``_similarity`` documents the formulas.

Every kernel releases the GIL, so chunks run in parallel threads. Kernels
write into arrays the caller allocates; none of them allocates per row.
Compiled code is cached on disk after the first call.
"""

import numba
import numpy as np

COSINE, PEARSON, EUCLIDEAN = 0, 1, 2
SIMILARITY_CODES = {"cosine": COSINE, "pearson": PEARSON, "euclidean": EUCLIDEAN}

# Similarities are snapped to a grid of 2**-40 (about 9e-13) of their scale.
# Values that are equal in exact arithmetic (cosines of one-dimensional
# embeddings, pairs of identical images, sparse maps with equal patterns) then
# tie exactly instead of being ranked by their rounding noise (measured: up
# to 1.8e-15 against scipy). A finer grid (2**-46 was tried) lets such values
# straddle a cell boundary. The price: two distinct similarities closer than
# about 1e-12 tie too, which moves a correlation by about 1e-7 at most.
GRID = 2.0**40
# Differences of sufficient statistics below this fraction of the terms they
# came from are float64 rounding noise.
CANCELLATION_FLOOR = 1e-12


def _kernel(function):
    """Compile ``function`` with numba, caching the machine code on disk.

    IEEE semantics for division (no Python exceptions) and no fast-math
    reassociation: results are those of the same operations in numpy.
    Where no cache directory is writable (a read-only install with no
    writable home), numba refuses to cache; the kernels are then compiled
    at each start instead of failing the import.
    """
    options = {"nogil": True, "error_model": "numpy"}
    try:
        return numba.njit(cache=True, **options)(function)
    except RuntimeError:
        return numba.njit(**options)(function)


@_kernel
def _inverse_or_zero(value):
    # A zero-norm embedding has no direction; like scikit-learn's
    # cosine_similarity it gets similarity 0 to everything.
    return 1.0 / value if value > 0 else 0.0


@_kernel
def _pearson_terms(total, sq_norm, n_dims):
    """Mean, ``n_dims`` times the mean, and inverse standard deviation (x sqrt d).

    Cancellation: a constant embedding whose value is not exact in binary
    leaves a variance of rounding noise, counted as 0.
    """
    mean = total / n_dims
    variance = sq_norm - n_dims * (mean * mean)
    if variance <= CANCELLATION_FLOOR * sq_norm:
        variance = 0.0
    return mean, n_dims * mean, _inverse_or_zero(np.sqrt(variance))


@_kernel
def _snap(value, up, down):
    return np.rint(value * up) * down


@_kernel
def _snap_correlation(value):
    # A cosine or correlation beyond +-1 is rounding: the cancellation in a
    # small variance (sum of squares minus d times the squared mean) can put
    # an exact -1 at -1 - 1e-12, one grid cell away from its exact ties.
    return _snap(min(max(value, -1.0), 1.0), GRID, 1.0 / GRID)


# The pair loops below run, for each image i, over a slice of the row that
# holds the pairs (i, i+1), ..., (i, n-1): a simple counted loop over
# contiguous slices, which the compiler vectorizes.


@_kernel
def _row_from_stats(kind, row, sums, sq_norms, n_dims, scratch):
    """Turn one row of pair dot products into pair similarities, in place.

    ``scratch`` is a ``3 x n`` work array.
    """
    n = sums.shape[0]
    inverse, mean, scaled_mean = scratch[0], scratch[1], scratch[2]
    if kind == COSINE:
        for i in range(n):
            inverse[i] = _inverse_or_zero(np.sqrt(max(sq_norms[i], 0.0)))
        p = 0
        for i in range(n - 1):
            pairs, inverse_j = row[p : p + n - 1 - i], inverse[i + 1 :]
            for j in range(pairs.shape[0]):
                pairs[j] = _snap_correlation(pairs[j] * (inverse[i] * inverse_j[j]))
            p += pairs.shape[0]
    elif kind == PEARSON:
        for i in range(n):
            mean[i], scaled_mean[i], inverse[i] = _pearson_terms(
                sums[i], sq_norms[i], n_dims
            )
        p = 0
        for i in range(n - 1):
            pairs, mean_j = row[p : p + n - 1 - i], mean[i + 1 :]
            inverse_j = inverse[i + 1 :]
            for j in range(pairs.shape[0]):
                centred = pairs[j] - scaled_mean[i] * mean_j[j]
                pairs[j] = _snap_correlation(centred * (inverse[i] * inverse_j[j]))
            p += pairs.shape[0]
    else:
        p = 0
        for i in range(n - 1):
            pairs, sq_norms_j = row[p : p + n - 1 - i], sq_norms[i + 1 :]
            for j in range(pairs.shape[0]):
                norm_sum = sq_norms[i] + sq_norms_j[j]
                squared = pairs[j] * -2.0 + norm_sum
                # Same cancellation: identical embeddings are at distance 0.
                if squared <= CANCELLATION_FLOOR * norm_sum:
                    squared = 0.0
                pairs[j] = -np.sqrt(squared)
            p += pairs.shape[0]
        largest = 0.0
        for p in range(row.shape[0]):
            largest = max(largest, -row[p])
        scale = largest if largest > 0 else 1.0
        up, down = GRID / scale, scale / GRID
        for p in range(row.shape[0]):
            row[p] = _snap(row[p], up, down)


@_kernel
def similarities_from_stats(kind, gram, sums, sq_norms, n_dims):
    """Pair similarities of ``k`` embedding sets from their statistics.

    ``gram`` (``k x n_pairs`` dot products, row by row over pairs ``i < j``)
    is overwritten with the similarities. ``sums`` and ``sq_norms`` are
    ``k x n``.
    """
    n = sums.shape[1]
    scratch = np.empty((3, n))
    for c in range(gram.shape[0]):
        _row_from_stats(kind, gram[c], sums[c], sq_norms[c], n_dims, scratch)


# Per-image similarities: image t with some maps masked (a row) against every
# image j unmasked (a column). The formulas are those of _row_from_stats, with
# row and column statistics from two different embedding sets.


@_kernel
def column_terms(kind, sums, sq_norms, n_dims, terms):
    """Per-column quantities of the unmasked embeddings, into ``terms`` (3 x n).

    Cosine: inverse norms. Pearson: means, scaled means and inverse standard
    deviations. Euclidean: squared norms.
    """
    n = sums.shape[0]
    inverse, mean, scaled_mean = terms[0], terms[1], terms[2]
    for j in range(n):
        if kind == COSINE:
            inverse[j] = _inverse_or_zero(np.sqrt(max(sq_norms[j], 0.0)))
        elif kind == PEARSON:
            mean[j], scaled_mean[j], inverse[j] = _pearson_terms(
                sums[j], sq_norms[j], n_dims
            )
        else:
            inverse[j] = sq_norms[j]


@_kernel
def _cross_row(kind, row, t, row_sum, row_sq_norm, n_dims, terms):
    """Dot products of masked image ``t`` with every unmasked image, in place.

    ``terms`` are the columns' ``column_terms``. Entry ``t`` (the image with
    itself) is computed like the others and ignored by callers, and left out
    of the Euclidean snapping scale.
    """
    n = row.shape[0]
    if kind == COSINE:
        inverse_t = _inverse_or_zero(np.sqrt(max(row_sq_norm, 0.0)))
        inverse = terms[0]
        for j in range(n):
            row[j] = _snap_correlation(row[j] * (inverse_t * inverse[j]))
    elif kind == PEARSON:
        _, scaled_mean_t, inverse_t = _pearson_terms(row_sum, row_sq_norm, n_dims)
        inverse, mean = terms[0], terms[1]
        for j in range(n):
            centred = row[j] - scaled_mean_t * mean[j]
            row[j] = _snap_correlation(centred * (inverse_t * inverse[j]))
    else:
        sq_norms = terms[0]
        largest = 0.0
        for j in range(n):
            norm_sum = row_sq_norm + sq_norms[j]
            squared = row[j] * -2.0 + norm_sum
            if squared <= CANCELLATION_FLOOR * norm_sum:
                squared = 0.0
            row[j] = -np.sqrt(squared)
            if j != t:
                largest = max(largest, -row[j])
        scale = largest if largest > 0 else 1.0
        up, down = GRID / scale, scale / GRID
        for j in range(n):
            row[j] = _snap(row[j], up, down)


@_kernel
def cross_similarities_from_stats(kind, gram, row_sums, row_sq_norms, terms, n_dims):
    """Per-image similarities of ``k`` masked embedding sets, in place.

    ``gram[c, t, j]`` is the dot product of image ``t``'s embedding in masked
    set ``c`` with image ``j``'s unmasked embedding; ``row_sums`` and
    ``row_sq_norms`` (``k x n``) are the masked embeddings' statistics,
    ``terms`` the unmasked ones' ``column_terms``.
    """
    for c in range(gram.shape[0]):
        for t in range(gram.shape[1]):
            _cross_row(
                kind, gram[c, t], t, row_sums[c, t], row_sq_norms[c, t], n_dims, terms
            )


@_kernel
def per_image_rows(similarities, out):
    """``out[t, c]`` = ``similarities[c, t]`` without its diagonal entry ``t``.

    Gathers each image's ``n - 1`` similarities to the others, image by image.
    """
    n = similarities.shape[1]
    for t in range(n):
        for c in range(similarities.shape[0]):
            source, target = similarities[c, t], out[t, c]
            for j in range(t):
                target[j] = source[j]
            for j in range(t + 1, n):
                target[j - 1] = source[j]


SIGN_BIT = np.uint64(1 << 63)
# Radix sort digits: 11 bits (2,048 counters) keep a pass's scatter streams in
# cache; three passes cover the value bits left at 1.72 M pairs.
DIGIT_BITS = 11
N_DIGITS = 1 << DIGIT_BITS


@_kernel
def pack_keys(candidates, index_bits, keys):
    """Unsigned keys in the order of the values, the column index in the low bits.

    A float64's bits, with the sign bit flipped for a positive value and every
    bit for a negative one, compare as unsigned integers in the order of the
    floats. Truncating the low bits for the index keeps that order (up to
    ties within a relative 1e-12, which the kernels order again), so sorting
    the keys sorts the values and carries the permutation.
    """
    floats = keys.view(np.float64)
    high = ~np.uint64((1 << index_bits) - 1)
    for r in range(candidates.shape[0]):
        for p in range(candidates.shape[1]):
            # Adding +0.0 turns -0.0 into +0.0: equal values, equal keys.
            floats[r, p] = candidates[r, p] + 0.0
            key = keys[r, p]
            key ^= ~np.uint64(0) if key & SIGN_BIT else SIGN_BIT
            keys[r, p] = (key & high) | np.uint64(p)


@_kernel
def _finite_key(key):
    """Whether a packed key encodes a finite value (the index bits are below
    the exponent)."""
    bits = key ^ SIGN_BIT if key & SIGN_BIT else ~key
    return (bits >> np.uint64(52)) & np.uint64(0x7FF) != np.uint64(0x7FF)


@_kernel
def radix_sort_keys(keys, index_bits, buffer, counts):
    """Sort each row of ``keys`` in place by the bits above the index bits.

    Least significant digit first, stable, and the keys of a row start in
    index order: the result is that of a full sort of the keys. Only the
    digits below the highest bit in which a row's keys differ are sorted.
    ``buffer`` is as long as a row; ``counts`` has shape ``(passes, 2048)``
    for passes enough to cover ``64 - index_bits`` bits.
    """
    shift = np.uint64(index_bits)
    mask = np.uint64(N_DIGITS - 1)
    for r in range(keys.shape[0]):
        row = keys[r]
        lowest = highest = row[0] >> shift
        for key in row:
            lowest = min(lowest, key >> shift)
            highest = max(highest, key >> shift)
        spread = lowest ^ highest
        passes = 0
        while spread:
            passes += 1
            spread >>= np.uint64(DIGIT_BITS)
        counts[:passes] = 0
        for key in row:
            high = key >> shift
            for d in range(passes):
                counts[d, (high >> np.uint64(DIGIT_BITS * d)) & mask] += 1
        for d in range(passes):
            start = 0
            for b in range(N_DIGITS):
                count = counts[d, b]
                counts[d, b] = start
                start += count
        source, target = row, buffer
        for d in range(passes):
            digit_shift = shift + np.uint64(DIGIT_BITS * d)
            offsets = counts[d]
            for key in source:
                b = (key >> digit_shift) & mask
                target[offsets[b]] = key
                offsets[b] += 1
            source, target = target, source
        if passes % 2:
            row[:] = buffer


# Rank comparisons. A row's packed keys are sorted (a radix sort, or numpy's);
# keys whose value bits agree form a *run*: exact ties, or distinct values
# closer than the truncated mantissa resolves (more index bits, for more
# pairs, leave fewer value bits). Runs are ordered again by their true values
# where they occur, so every row stays at the cost of its sort.


@_kernel
def _order_run(values, ranks, length):
    """Sort ``values[:length]`` in place, ``ranks[:length]`` along with them.

    Ties in ``values`` are ordered by ``ranks``. Runs are short (insertion
    sort) unless many values tie or nearly tie.
    """
    if length <= 16:
        for a in range(1, length):
            value, rank = values[a], ranks[a]
            b = a
            while b > 0 and (
                values[b - 1] > value
                or (values[b - 1] == value and ranks[b - 1] > rank)
            ):
                values[b], ranks[b] = values[b - 1], ranks[b - 1]
                b -= 1
            values[b], ranks[b] = value, rank
        return
    constant = True
    for a in range(1, length):
        constant = constant and values[a] == values[0]
    if constant:
        ranks[:length].sort()
        return
    # By rank, then stably by value.
    order = np.argsort(ranks[:length], kind="mergesort")
    values[:length] = values[:length][order]
    ranks[:length] = ranks[:length][order]
    order = np.argsort(values[:length], kind="mergesort")
    values[:length] = values[:length][order]
    ranks[:length] = ranks[:length][order]


@_kernel
def _gather_run(row, start, stop, low, candidates, index_of, values, ranks):
    """The run's true values and their ``index_of`` entries, in key order."""
    for a in range(stop - start):
        index = row[start + a] & low
        values[a] = candidates[index] + 0.0
        ranks[a] = index_of[index]


@_kernel
def _run_end(row, start, shift):
    end = start + 1
    while end < row.shape[0] and (row[end] >> shift) == (row[start] >> shift):
        end += 1
    return end


@_kernel
def _spearman_tied_row(row, candidates, human_scores, shift, low, total, scratch):
    """Spearman correlation of a row whose sorted keys hold runs.

    ``total`` is the row's sum as if every key were distinct; only the runs
    are visited again, ordered by their true values, and their part of the
    sum replaced. Tied values share their average rank; the centred ranks'
    norm is the untied one less the ties' ``t (t^2 - 1) / 12``, counted in
    integers while they fit, so a constant row gives exactly 0 (and NaN).
    """
    identity, values, indices = scratch
    n = row.shape[0]
    centre = (n - 1) / 2
    ties = 0
    ties_float = 0.0
    i = 1
    while i < n:
        if (row[i] >> shift) != (row[i - 1] >> shift):
            i += 1
            continue
        start = i - 1
        end = _run_end(row, start, shift)
        _gather_run(row, start, end, low, candidates, identity, values, indices)
        for a in range(end - start):
            total -= human_scores[indices[a]] * (start + a - centre)
        _order_run(values, indices, end - start)
        a = 0
        while a < end - start:
            b = a + 1
            while b < end - start and values[b] == values[a]:
                b += 1
            group = 0.0
            for c in range(a, b):
                group += human_scores[indices[c]]
            total += group * (start + (a + b - 1) / 2 - centre)
            ties += (b - a) * ((b - a) * (b - a) - 1)
            ties_float += (b - a) * ((b - a) * (b - a) - 1.0)
            a = b
        # The key after a run differs from the run's last key.
        i = end + 1
    if n < 2**21:  # n^3 fits in int64
        variance = (n * (n * n - 1) - ties) / 12.0
    else:
        variance = (n * (n * n - 1.0) - ties_float) / 12.0
    return total / np.sqrt(variance) if variance > 0 else np.nan


@_kernel
def _finite_row(keys):
    # Non-finite values sort first (negative) or last (positive).
    return _finite_key(keys[0]) and _finite_key(keys[keys.shape[0] - 1])


@_kernel
def spearman_sorted_keys(keys, candidates, human_scores, group, index_bits, scores):
    """Spearman correlations from row-sorted packed keys.

    With distinct values, the value at sorted position ``i`` has rank
    ``i + 1``; the correlation is the dot product of the centred ranks with
    the human pairs' standardized ranks, gathered by the packed indices. A row
    with runs (ties or colliding keys) is scored again with its runs ordered
    by their true values (``candidates``) and average ranks for ties; a
    constant row or one with a non-finite value scores NaN.

    ``human_scores`` holds one row per group of ``group`` consecutive rows
    of ``keys`` (one group for dataset AIS; one per image for per-image AIS).
    """
    shift = np.uint64(index_bits)
    low = np.uint64((1 << index_bits) - 1)
    n = keys.shape[1]
    centre = (n - 1) / 2
    rank_norm = np.sqrt(n * (n * n - 1) / 12.0)
    scratch = (np.arange(n), np.empty(n), np.empty(n, dtype=np.int64))
    for r in range(keys.shape[0]):
        row, human = keys[r], human_scores[r // group]
        if not _finite_row(keys[r]):
            scores[r] = np.nan
            continue
        total = 0.0
        for i in range(n):
            total += human[row[i] & low] * (i - centre)
        n_runs = 0
        for i in range(1, n):
            n_runs += (row[i] >> shift) == (row[i - 1] >> shift)
        if n_runs == 0:
            scores[r] = total / rank_norm
        else:
            scores[r] = _spearman_tied_row(
                row, candidates[r], human, shift, low, total, scratch
            )


@_kernel
def _count_inversions(ranks, tree):
    """How many pairs ``a < b`` have ``ranks[a] > ranks[b]`` (ties are not).

    A Fenwick tree of the ranks seen so far counts, for each rank, the
    earlier ones not above it: O(n log n) with no unpredictable branch, 3x a
    merge sort at 7,140 ranks and faster still at 1.7 M (measured here).
    ``ranks`` are in ``[0, len(tree) - 1)``.
    """
    size = tree.shape[0] - 1
    tree[:] = 0
    inversions = 0
    for a in range(ranks.shape[0]):
        rank = ranks[a] + 1
        i = rank
        not_above = 0
        while i > 0:
            not_above += tree[i]
            i &= i - 1
        inversions += a - not_above
        i = rank
        while i <= size:
            tree[i] += 1
            i += i & -i
    return inversions


@_kernel
def kendall_sorted_keys(
    keys, candidates, human_ranks, human_tied_pairs, group, index_bits, scores
):
    """Kendall's tau-a from row-sorted packed keys, by counting inversions.

    ``human_ranks`` are the human pairs' dense ranks (ties equal) and
    ``human_tied_pairs`` the number of pairs they tie. With the candidates in
    sorted order, ties (and colliding keys) ordered by their true values, then
    by human rank, the discordant pairs are the inversions of the human ranks
    (a Fenwick tree counts them) and
    ``concordant - discordant = n0 - x ties - y ties + joint ties - 2 discordant``
    (Knight 1966). Integer counts, one division. A constant row, or one with a
    non-finite value, scores NaN. The human arrays hold one entry per group
    of ``group`` consecutive rows, as in :func:`spearman_sorted_keys`.
    """
    shift = np.uint64(index_bits)
    low = np.uint64((1 << index_bits) - 1)
    n = keys.shape[1]
    n_pairs = n * (n - 1) // 2
    values = np.empty(n)
    ranks = np.empty(n, dtype=human_ranks.dtype)
    tree = np.empty(n + 1, dtype=np.int32)  # counts below n: half the cache
    for r in range(keys.shape[0]):
        row, human = keys[r], human_ranks[r // group]
        human_tied = human_tied_pairs[r // group]
        if not _finite_row(keys[r]) or human_tied == n_pairs:
            scores[r] = np.nan
            continue
        for i in range(n):
            ranks[i] = human[row[i] & low]
        tied = joint = 0
        start = 0
        while start < n:
            end = _run_end(row, start, shift)
            if end > start + 1:
                _gather_run(
                    row,
                    start,
                    end,
                    low,
                    candidates[r],
                    human,
                    values,
                    ranks[start:end],
                )
                _order_run(values, ranks[start:end], end - start)
                a = 0
                while a < end - start:
                    b = a + 1
                    while b < end - start and values[b] == values[a]:
                        b += 1
                    tied += (b - a) * (b - a - 1) // 2
                    c = a
                    while c < b:
                        d = c + 1
                        while d < b and ranks[start + d] == ranks[start + c]:
                            d += 1
                        joint += (d - c) * (d - c - 1) // 2
                        c = d
                    a = b
            start = end
        if tied == n_pairs:
            scores[r] = np.nan
            continue
        discordant = _count_inversions(ranks, tree)
        balance = n_pairs - tied - human_tied + joint - 2 * discordant
        scores[r] = balance / n_pairs
