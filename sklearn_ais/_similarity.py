"""Similarity matrices, upper triangles, ranks and batched correlations.

Everything here is float64. The batched functions work on many
"configurations" at once (one masked network each), laid out as arrays of
shape ``(k, ...)``, so that a whole chunk of masked maps is scored in one
call; their inner loops are the compiled kernels of ``_kernels``.
"""

import functools

import numpy as np
from scipy import stats

from ._kernels import (
    DIGIT_BITS,
    N_DIGITS,
    SIMILARITY_CODES,
    column_terms,
    cross_similarities_from_stats,
    kendall_sorted_keys,
    pack_keys,
    per_image_rows,
    radix_sort_keys,
    similarities_from_stats,
    spearman_sorted_keys,
)

SIMILARITIES = ("cosine", "pearson", "spearman", "euclidean")
COMPARISONS = ("spearman", "pearson", "r2", "kendall")
# Rows at least this long are radix sorted (see ``_sorted_keys``).
RADIX_SORT_MIN_LENGTH = 1024
# Fewest rated pairs a correlation is computed from.
MIN_RATED = 2


@functools.lru_cache(maxsize=8)
def pair_indices(n):
    """Row and column indices of the strict upper triangle of an ``n x n`` matrix.

    Cached (and read-only): the engines ask for them once per chunk.
    """
    rows, cols = np.triu_indices(n, k=1)
    rows.flags.writeable = False
    cols.flags.writeable = False
    return rows, cols


def upper_triangle(matrix):
    """The strict upper triangle of a square matrix, row by row, as a vector."""
    matrix = np.asarray(matrix)
    return matrix[pair_indices(matrix.shape[0])]


def similarity_from_stats(similarity, gram, sums, sq_norms, n_dims):
    """Pair similarities from sufficient statistics of the embeddings.

    Cosine, Pearson and negative Euclidean similarities of embeddings depend
    only on the pairwise dot products, the per-embedding sums and squared
    norms, and the embedding dimension. Masking a feature map changes these
    statistics additively, which is what the exact closed forms exploit.

    With ``g`` the dot product, ``s`` the sums, ``q`` the squared norms and
    ``d`` the dimension: cosine is ``g / sqrt(q_i q_j)``; Pearson is
    ``(g - d m_i m_j) / sqrt(v_i v_j)`` with ``m = s / d`` and
    ``v = q - d m**2``; negative Euclidean is ``-sqrt(q_i + q_j - 2 g)``.
    A zero norm or variance gives similarity 0; variances and squared
    distances below 1e-12 of the terms they came from are cancellation noise
    and count as 0.

    Parameters
    ----------
    similarity : {"cosine", "pearson", "euclidean"}
        The similarity.
    gram : ndarray of shape (k, n_pairs)
        Dot products of the pairs ``i < j``, row by row. Overwritten.
    sums, sq_norms : ndarray of shape (k, n)
        Sum and squared norm of each embedding.
    n_dims : int
        Embedding dimension (masked dimensions count: they are zeros).

    Returns
    -------
    ndarray of shape (k, n_pairs)
        ``gram`` itself when it is a C-contiguous float64 array, holding the
        similarities, snapped to a grid of about 1e-12 of their scale so that
        exactly equal similarities tie.
    """
    return _closed_form(
        similarities_from_stats, similarity, gram, sums, sq_norms, n_dims
    )


def _closed_form(kernel, similarity, gram, *arrays_then_n_dims):
    """Run a closed-form ``kernel`` in place on ``gram`` (C-contiguous float64).

    The statistics (every argument but the last, ``n_dims``) are passed as
    C-contiguous float64 arrays, the layout the compiled kernels read.
    """
    if similarity not in SIMILARITY_CODES:
        raise ValueError(f"No closed form for similarity={similarity!r}.")
    *arrays, n_dims = arrays_then_n_dims
    gram = np.ascontiguousarray(gram, dtype=np.float64)
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in arrays]
    kernel(SIMILARITY_CODES[similarity], gram, *arrays, n_dims)
    return gram


def embedding_ranks(embeddings):
    """Average ranks (ties share theirs) of each embedding's values, last axis.

    Spearman similarity is Pearson similarity of these ranks.
    """
    return stats.rankdata(np.asarray(embeddings, dtype=np.float64), axis=-1)


def pair_similarities(embeddings, similarity="cosine"):
    """Similarities of every pair of embeddings, for a batch of embedding sets.

    Parameters
    ----------
    embeddings : ndarray of shape (n, d) or (k, n, d)
        One set of ``n`` embeddings, or ``k`` sets.
    similarity : {"cosine", "pearson", "spearman", "euclidean"}, default="cosine"
        Cosine similarity, Pearson or Spearman correlation across dimensions,
        or negative Euclidean distance.

    Returns
    -------
    ndarray of shape (n_pairs,) or (k, n_pairs)
        The strict upper triangle of each similarity matrix, row by row.
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    single = embeddings.ndim == 2
    batch = embeddings[None] if single else embeddings
    if similarity == "spearman":
        # Spearman across dimensions = Pearson across the ranks of each embedding.
        batch = embedding_ranks(batch)
        similarity = "pearson"
    rows, cols = pair_indices(batch.shape[1])
    gram = np.matmul(batch, batch.transpose(0, 2, 1))[:, rows, cols]
    sums = batch.sum(axis=-1)
    sq_norms = np.einsum("knd,knd->kn", batch, batch)
    out = similarity_from_stats(similarity, gram, sums, sq_norms, batch.shape[-1])
    return out[0] if single else out


def unmasked_terms(similarity, sums, sq_norms, n_dims):
    """Per-image quantities of the unmasked embeddings, for the per-image forms.

    Parameters
    ----------
    similarity : {"cosine", "pearson", "euclidean"}
        The similarity.
    sums, sq_norms : ndarray of shape (n,)
        Sum and squared norm of each unmasked embedding.
    n_dims : int
        Embedding dimension.

    Returns
    -------
    ndarray of shape (3, n)
    """
    terms = np.zeros((3, len(sums)))
    column_terms(
        SIMILARITY_CODES[similarity],
        np.ascontiguousarray(sums, dtype=np.float64),
        np.ascontiguousarray(sq_norms, dtype=np.float64),
        n_dims,
        terms,
    )
    return terms


def cross_similarity_from_stats(
    similarity, gram, row_sums, row_sq_norms, terms, n_dims
):
    """Per-image similarities: masked image ``t`` against unmasked image ``j``.

    The same formulas and snapping as :func:`similarity_from_stats`, with the
    row's statistics from a masked embedding set and the column's from the
    unmasked one (``terms`` from :func:`unmasked_terms`).

    Parameters
    ----------
    similarity : {"cosine", "pearson", "euclidean"}
        The similarity.
    gram : ndarray of shape (k, n, n)
        ``gram[c, t, j]``: dot product of image ``t``'s embedding in masked set
        ``c`` with image ``j``'s unmasked embedding. Overwritten.
    row_sums, row_sq_norms : ndarray of shape (k, n)
        Statistics of the masked embeddings.
    terms : ndarray of shape (3, n)
        Quantities of the unmasked embeddings.
    n_dims : int
        Embedding dimension.

    Returns
    -------
    ndarray of shape (k, n, n)
        The similarities (``gram`` itself when it is C-contiguous float64). The
        diagonal ``[c, t, t]`` is not a pair of two images; callers drop it.
    """
    return _closed_form(
        cross_similarities_from_stats,
        similarity,
        gram,
        row_sums,
        row_sq_norms,
        terms,
        n_dims,
    )


def cross_pair_similarities(masked, full, similarity="cosine"):
    """Per-image similarities from embeddings: ``masked[c, t]`` against ``full[j]``.

    Parameters
    ----------
    masked : ndarray of shape (k, n, d)
        ``k`` sets of embeddings of the ``n`` images, some maps masked.
    full : ndarray of shape (n, d)
        The unmasked embeddings.
    similarity : {"cosine", "pearson", "spearman", "euclidean"}, default="cosine"
        See :func:`pair_similarities`.

    Returns
    -------
    ndarray of shape (k, n, n)
        See :func:`cross_similarity_from_stats`.
    """
    masked = np.asarray(masked, dtype=np.float64)
    full = np.asarray(full, dtype=np.float64)
    if similarity == "spearman":
        masked, full = embedding_ranks(masked), embedding_ranks(full)
        similarity = "pearson"
    gram = np.matmul(masked, full.T)
    terms = unmasked_terms(
        similarity, full.sum(axis=-1), np.einsum("nd,nd->n", full, full), full.shape[-1]
    )
    return cross_similarity_from_stats(
        similarity,
        gram,
        masked.sum(axis=-1),
        np.einsum("knd,knd->kn", masked, masked),
        terms,
        full.shape[-1],
    )


def similarity_matrix(embeddings, similarity="cosine"):
    """The ``n x n`` similarity matrix of ``n`` embeddings.

    Parameters
    ----------
    embeddings : array-like of shape (n, d)
        The embeddings, one per row.
    similarity : {"cosine", "pearson", "spearman", "euclidean"}, default="cosine"
        See :func:`pair_similarities`.

    Returns
    -------
    ndarray of shape (n, n)
        Symmetric; the diagonal holds each embedding's similarity to itself.
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    n = embeddings.shape[0]
    rows, cols = pair_indices(n)
    matrix = np.zeros((n, n))
    matrix[rows, cols] = pair_similarities(embeddings, similarity)
    matrix[cols, rows] = matrix[rows, cols]
    diagonal = np.stack([embeddings, embeddings], axis=1)
    matrix[np.diag_indices(n)] = pair_similarities(diagonal, similarity)[:, 0]
    return matrix


def _exact_ranks(values):
    return stats.rankdata(values, axis=-1)


def _standardize(rows):
    """Centre each row and scale it to unit norm; constant rows become NaN.

    Constancy is decided exactly (all values equal): centring a constant row
    whose mean is not representable leaves residues of 1e-17, not zeros.
    """
    # Row reductions by einsum round the same whatever the number of rows.
    centred = rows - (np.einsum("...j->...", rows) / rows.shape[-1])[..., None]
    norms = np.sqrt(np.einsum("...j,...j->...", centred, centred))[..., None]
    constant = np.ptp(rows, axis=-1, keepdims=True) == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(constant, np.nan, centred / norms)


def _row_dot(matrix, vector):
    """``matrix @ vector``, rounded the same way whatever the number of rows.

    A BLAS product's rounding of one row depends on the matrix's shape, so a
    map whose AIS is exactly 0 (an all-zero map) would come out as 1e-17 or
    not depending on how maps were chunked.
    """
    return np.einsum("ij,j->i", matrix, vector)


def _sorted_keys(candidates):
    """Each row's values as sorted unsigned keys carrying their column index.

    The index is packed into the low bits of a key that orders as the value
    (:func:`~sklearn_ais._kernels.pack_keys`), so one in-place sort per row
    yields the permutation (``argsort`` is 3-4x slower). Long rows take a
    radix sort over the value bits, 3.5-5x faster than numpy's sort here;
    short rows numpy's, faster below about 1,000 keys, where the radix sort's
    2,048 counters per digit outweigh the keys. Both give the fully sorted
    keys. Keys that agree but for their index bits (ties, or values closer
    than the bits left) are ordered again by the kernels that read them.
    """
    n = candidates.shape[1]
    index_bits = max(int(n - 1).bit_length(), 1)
    keys = np.empty(candidates.shape, dtype=np.uint64)
    pack_keys(candidates, index_bits, keys)
    if n < RADIX_SORT_MIN_LENGTH:
        keys.sort(axis=1)
    else:
        passes = -(-(64 - index_bits) // DIGIT_BITS)
        counts = np.empty((passes, N_DIGITS), dtype=np.int64)
        radix_sort_keys(keys, index_bits, np.empty(n, dtype=np.uint64), counts)
    return keys, index_bits


def _spearman_many(candidates, human_scores, group):
    """Spearman correlation of each row of ``candidates`` with the human pairs.

    ``human_scores`` (2-D) are human pairs' standardized ranks, one row per
    ``group`` consecutive candidates.
    """
    keys, index_bits = _sorted_keys(candidates)
    scores = np.empty(len(candidates))
    spearman_sorted_keys(keys, candidates, human_scores, group, index_bits, scores)
    return scores


def _kendall_many(candidates, human_ranks, human_tied_pairs, group):
    """Kendall's tau-a of each row of ``candidates`` with the human pairs.

    ``human_ranks`` (2-D) are human pairs' dense ranks and
    ``human_tied_pairs`` the number of pairs of pairs they tie, one entry
    per ``group`` consecutive candidates; O(n log n) per row.
    """
    keys, index_bits = _sorted_keys(candidates)
    scores = np.empty(len(candidates))
    kendall_sorted_keys(
        keys, candidates, human_ranks, human_tied_pairs, group, index_bits, scores
    )
    return scores


def _dense_ranks(values):
    """Ranks 0, 1, ... of the distinct values, and how many pairs tie."""
    _, ranks, counts = np.unique(values, return_inverse=True, return_counts=True)
    ranks = ranks.astype(np.int32 if len(ranks) < 2**31 else np.int64)
    return ranks, int(np.sum(counts * (counts - 1) // 2))


class PairComparison:
    """Compares candidate pair-similarity vectors with the human pairs.

    The human pair similarities are prepared once (ranked and standardized);
    then any number of candidates (one masked network each) are scored in a
    single vectorised call.

    Parameters
    ----------
    human_pairs : ndarray of shape (n_pairs,)
        The human pair similarities. NaN marks an unrated pair: every
        candidate is compared on the rated pairs only (pairwise-complete).
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        Spearman or Pearson correlation, squared Pearson correlation (as in
        the authors' released code), or Kendall's tau-a
        (``(concordant - discordant) / (n (n - 1) / 2)``: pairs tied in either
        vector count as neither). Both rank comparisons cost one sort per
        candidate (Kendall adds a Fenwick tree that counts inversions) and are
        exact for any ties.
    """

    def __init__(self, human_pairs, comparison="spearman"):
        if comparison not in COMPARISONS:
            raise ValueError(
                f"comparison must be one of {COMPARISONS}, got {comparison!r}."
            )
        human_pairs = np.asarray(human_pairs, dtype=np.float64)
        # Indices of the rated pairs, None when every pair is rated.
        self.rated = rated_pairs(human_pairs)
        if self.rated is not None:
            human_pairs = human_pairs[self.rated]
        self.human_pairs = human_pairs
        self.comparison = comparison
        if len(human_pairs) < MIN_RATED:
            return  # no correlation: score_many gives NaN
        values = (
            _exact_ranks(self.human_pairs)
            if comparison == "spearman"
            else self.human_pairs
        )
        self._scores = _standardize(values)
        if comparison == "kendall":
            self._ranks, self._tied_pairs = _dense_ranks(self.human_pairs)

    def score(self, candidate):
        """Compare one candidate vector of shape ``(n_pairs,)``; returns a float."""
        return float(self.score_many(np.asarray(candidate)[None])[0])

    def score_many(self, candidates):
        """Compare each row of ``candidates`` (shape ``(k, n_pairs)``).

        Returns
        -------
        ndarray of shape (k,)
            NaN for a constant candidate, whose correlation is undefined, and
            for a candidate with an infinite or NaN value (an overflow, not a
            similarity).
        """
        # Row reductions round by memory layout: one layout for every caller.
        candidates = np.ascontiguousarray(candidates, dtype=np.float64)
        if self.rated is not None:
            # take, not fancy indexing: its copy is C-contiguous, and 15x faster.
            candidates = np.take(candidates, self.rated, axis=1)
        if len(self.human_pairs) < MIN_RATED:
            return np.full(len(candidates), np.nan)
        if self.comparison == "spearman":
            return _spearman_many(candidates, self._scores[None], len(candidates))
        if self.comparison == "kendall":
            tied = np.array([self._tied_pairs])
            return _kendall_many(candidates, self._ranks[None], tied, len(candidates))
        pearson = _row_dot(_standardize(candidates), self._scores)
        return pearson**2 if self.comparison == "r2" else pearson


def rated_pairs(human_pairs):
    """Indices of the rated (non-NaN) human pairs; None when all are rated."""
    rated = ~np.isnan(human_pairs)
    return None if rated.all() else np.flatnonzero(rated)


def compare(a, b, comparison="spearman", *, pairs=None):
    """Correlation of vectors ``a`` with ``b`` (for example two upper triangles).

    With model pair similarities as ``a`` and human pairs as ``b`` this is
    the pair-level core of the second-order isomorphism: every 2OI of the
    package (:func:`pair_alignment`, the scorer, the studies, the bootstrap)
    is computed here.

    Parameters
    ----------
    a : array-like of shape (n,) or (k, n)
        The vector, or ``k`` candidate vectors compared one by one.
    b : array-like of shape (n,)
        The reference vector; NaN entries (unrated pairs) are left out of
        every comparison (pairwise-complete).
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        See :class:`PairComparison`.
    pairs : array-like of int or None, default=None
        Indices of the entries to compare (into ``b`` and the last axis of
        ``a``), in their order; repeats count as often as they appear (a
        bootstrap sample's pairs). None compares every entry.

    Returns
    -------
    float or ndarray of shape (k,)
        NaN when either vector is constant.

    Examples
    --------
    >>> from sklearn_ais._similarity import compare
    >>> compare([1.0, 2.0, 3.0, 5.0], [0.1, 0.2, 0.4, 0.3])
    0.8
    >>> round(compare([1.0, 2.0, 3.0, 5.0], [0.1, 0.2, 0.4, 0.3], pairs=[0, 1, 2]), 6)
    1.0
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if pairs is not None:
        a, b = np.take(a, pairs, axis=-1), np.take(b, pairs)
    scores = PairComparison(b, comparison).score_many(a.reshape(-1, a.shape[-1]))
    return float(scores[0]) if a.ndim == 1 else scores


def pair_alignment(
    embeddings, human_pairs, *, similarity="cosine", comparison="spearman", pairs=None
):
    """The second-order isomorphism of embeddings with the human pairs.

    The model's pair similarities (:func:`pair_similarities`) compared with
    the human pair similarities (:func:`compare`): the one recipe of the
    2OI, which :func:`sklearn_ais.metrics.second_order_isomorphism` wraps
    after reading ``y``.

    Parameters
    ----------
    embeddings : ndarray of shape (n, d) or (k, n, d)
        One set of ``n`` embeddings, or ``k`` sets scored one by one.
    human_pairs : ndarray of shape (n * (n - 1) // 2,)
        The human pair similarities, strict upper triangle row by row; NaN
        for an unrated pair.
    similarity : {"cosine", "pearson", "spearman", "euclidean"}, default="cosine"
        See :func:`pair_similarities`.
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        See :class:`PairComparison`.
    pairs : array-like of int or None, default=None
        Condensed indices of the pairs to compare (held-out pairs, a
        bootstrap sample's pairs with repeats); None compares every pair.

    Returns
    -------
    float or ndarray of shape (k,)
        The 2OI; NaN when it is undefined (constant similarities).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais._similarity import pair_alignment, pair_similarities
    >>> E = np.random.default_rng(0).normal(size=(5, 3))
    >>> round(pair_alignment(E, pair_similarities(E)), 6)
    1.0
    """
    model = pair_similarities(embeddings, similarity)
    return compare(model, human_pairs, comparison, pairs=pairs)


def others(matrix, t):
    """Row ``t`` of a square matrix without its diagonal entry, shape ``(n - 1,)``."""
    return np.delete(np.asarray(matrix)[t], t)


class PerImageComparison:
    """Compares each image's similarities to the others with the humans'.

    Per-image AIS (the paper's Aim 2) scores image ``t`` by the correlation
    of its ``n - 1`` model similarities to the other images with its
    ``n - 1`` human similarities (the diagonal left out). One
    :class:`PairComparison` per image is prepared once.

    With unrated pairs (NaN human pairs), image ``t`` is scored on its rated
    pairs only, so rows differ in length: the rank comparisons score the
    images in groups of equal length, one kernel call per group. An image
    with fewer than 2 rated pairs scores NaN.

    Parameters
    ----------
    human_pairs : ndarray of shape (n_pairs,)
        The human pair similarities, strict upper triangle row by row; NaN
        for an unrated pair.
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        See :class:`PairComparison`.
    """

    def __init__(self, human_pairs, comparison="spearman"):
        n_pairs = len(human_pairs)
        n = int(round((1 + np.sqrt(1 + 8 * n_pairs)) / 2))
        square = np.zeros((n, n))
        rows, cols = pair_indices(n)
        square[rows, cols] = human_pairs
        square[cols, rows] = human_pairs
        self.n_images = n
        self.comparison = comparison
        self.comparisons = [
            PairComparison(others(square, t), comparison) for t in range(n)
        ]
        self.groups = None
        if any(c.rated is not None for c in self.comparisons):
            # Each group's human rows, prepared once for every chunk.
            self.groups = rated_groups(square)
            self._group_humans = [
                self._human_rows([self.comparisons[t] for t in images])
                for images, _ in self.groups
            ]
            return
        # The rank comparisons score every image's rows in one kernel call.
        if comparison == "spearman":
            self._scores = np.stack([c._scores for c in self.comparisons])
        elif comparison == "kendall":
            self._ranks = np.stack([c._ranks for c in self.comparisons])
            self._tied_pairs = np.array([c._tied_pairs for c in self.comparisons])

    def _human_rows(self, comparisons):
        """What the kernels read of these images' human pairs, stacked."""
        if self.comparison == "kendall":
            ranks = np.stack([c._ranks for c in comparisons])
            return ranks, np.array([c._tied_pairs for c in comparisons])
        return np.stack([c._scores for c in comparisons])

    def score(self, similarities):
        """Score per-image similarity matrices.

        Parameters
        ----------
        similarities : ndarray of shape (k, n, n)
            ``similarities[c, t, j]``: image ``t`` (in masked configuration
            ``c``) against image ``j``; the diagonal is ignored.

        Returns
        -------
        ndarray of shape (n, k)
            The score of image ``t`` in configuration ``c`` at ``[t, c]``; NaN
            where it is undefined (constant similarities, for the model or the
            humans, or fewer than 2 rated pairs).
        """
        if self.groups is not None:
            return self._score_groups(np.asarray(similarities, dtype=np.float64))
        k, n = similarities.shape[:2]
        # candidates[t, c]: image t's similarities to the others in set c.
        candidates = np.empty((n, k, n - 1))
        per_image_rows(np.asarray(similarities, dtype=np.float64), candidates)
        rows = candidates.reshape(n * k, n - 1)
        if self.comparison == "spearman":
            return _spearman_many(rows, self._scores, k).reshape(n, k)
        if self.comparison == "kendall":
            return _kendall_many(rows, self._ranks, self._tied_pairs, k).reshape(n, k)
        scores = np.empty((n, k))
        for t, comparison in enumerate(self.comparisons):
            scores[t] = comparison.score_many(candidates[t])
        return scores

    def _score_groups(self, similarities):
        """Scores with unrated pairs: one call per group of equal row length."""
        k = similarities.shape[0]
        scores = np.full((self.n_images, k), np.nan)
        for (images, columns), human in zip(self.groups, self._group_humans):
            # rows[g, c]: image images[g]'s similarities to its rated columns.
            rows = similarities[:, images[:, None], columns].transpose(1, 0, 2)
            rows = np.ascontiguousarray(rows).reshape(len(images) * k, -1)
            if self.comparison == "spearman":
                found = _spearman_many(rows, human, k)
            elif self.comparison == "kendall":
                found = _kendall_many(rows, *human, k)
            else:
                rows = _standardize(rows.reshape(len(images), k, -1))
                found = np.einsum("gcj,gj->gc", rows, human)
                found = found**2 if self.comparison == "r2" else found
            scores[images] = found.reshape(-1, k)
        return scores


def rated_groups(square):
    """Images grouped by their number of rated pairs (at least 2).

    Returns a list of ``(images, columns)``: ``columns[g]`` are the rated
    columns of image ``images[g]`` in the square matrix, in order.
    """
    rated = ~np.isnan(square)
    np.fill_diagonal(rated, False)
    counts = rated.sum(axis=1)
    groups = []
    for count in np.unique(counts[counts >= MIN_RATED]):
        images = np.flatnonzero(counts == count)
        columns = np.stack([np.flatnonzero(rated[t]) for t in images])
        groups.append((images, columns))
    return groups
