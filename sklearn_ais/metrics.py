"""The second-order isomorphism (2OI) as a metric function, and Mantel's test.

:func:`second_order_isomorphism` is to :class:`~sklearn_ais.RSAScorer` what
``r2_score`` is to ``make_scorer``: the scorer, the studies (pair splits,
bootstrap, faithfulness curves) and the estimators all compute the 2OI
through the same pair-level core, so one fix reaches every number.

:func:`mantel` tests two fixed matrices against each other (nothing is
fitted), with the library's comparisons of upper triangles.
"""

from numbers import Integral
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._engine import embeddings_of
from ._human import (
    MIN_IMAGES,
    MISSING,
    TARGETS,
    _as_strings,
    _show,
    item_ids,
    labelled_matrix,
    read_human_pairs,
)
from ._kernels import _kernel, kendall_sorted_keys
from ._similarity import (
    COMPARISONS,
    SIMILARITIES,
    _dense_ranks,
    _sorted_keys,
    _standardize,
    pair_alignment,
    pair_indices,
)

__all__ = ["MantelResult", "mantel", "second_order_isomorphism"]


@validate_params(
    {
        "y": ["array-like"],
        "embeddings": ["array-like"],
        "similarity": [StrOptions(set(SIMILARITIES))],
        "comparison": [StrOptions(set(COMPARISONS))],
        "target": [StrOptions(set(TARGETS))],
        "missing": [StrOptions(set(MISSING))],
    },
    prefer_skip_nested_validation=True,
)
def second_order_isomorphism(
    y,
    embeddings,
    *,
    similarity="cosine",
    comparison="spearman",
    target="auto",
    missing="raise",
):
    """Second-order isomorphism of embeddings with human similarities.

    The pair similarities of the embeddings (first order) are correlated
    with the human similarities of the same pairs of images (second order):
    the correlation of the two upper triangles. Greater is better.

    Parameters
    ----------
    y : DataFrame of shape (n_images, n_images) or array-like
        The human judgments, read as :class:`~sklearn_ais.RSAScorer` and
        :class:`~sklearn_ais.AISFeatureMapSelector` read them: a DataFrame
        whose index and columns are the item ids (``pd.read_csv(path,
        index_col=0)``), a square array, a condensed upper triangle
        (``scipy.spatial.distance.pdist`` order), or target embeddings with
        ``target="embedding"``.
    embeddings : array-like of shape (n_images, n_dims) or feature maps
        The model's embeddings, one row per image; feature maps of shape
        ``(n_images, n_maps, height, width)`` are embedded by the head they
        carry, or by global average pooling. Item ids they carry (a
        DataFrame's index, :class:`~sklearn_ais.FeatureMaps` made from a
        Series) must be ``y``'s, in the same order.
    similarity : {"cosine", "pearson", "spearman", "euclidean"}, \
default="cosine"
        Similarity between embeddings (negative distance for "euclidean").
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        Correlation between model and human pair similarities; "r2" is the
        squared Pearson correlation, "kendall" Kendall's tau-a.
    target : {"auto", "similarity", "dissimilarity", "embedding"}, \
default="auto"
        What ``y`` holds; ``"auto"`` reads a matrix's diagonal (largest
        value of every row: similarities; smallest: dissimilarities).
    missing : {"raise", "ignore"}, default="raise"
        What a NaN pair of ``y`` means: an error, or a pair nobody rated, left
        out of the comparison (pairwise-complete).

    Returns
    -------
    float
        The 2OI; NaN when it is undefined (constant model similarities).

    See Also
    --------
    sklearn_ais.RSAScorer : The same number as a scorer of fitted estimators.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial.distance import pdist, squareform
    >>> from sklearn_ais.metrics import second_order_isomorphism
    >>> rng = np.random.default_rng(0)
    >>> embeddings = rng.normal(size=(10, 4))
    >>> rdm = squareform(pdist(embeddings + 0.1 * rng.normal(size=(10, 4))))
    >>> score = second_order_isomorphism(rdm, embeddings, similarity="euclidean")
    >>> bool(score > 0.9)
    True
    """
    return _score_against(
        y,
        embeddings,
        similarity=similarity,
        comparison=comparison,
        target=target,
        missing=missing,
        ids=item_ids(embeddings),
    )


def _score_against(
    y,
    embeddings,
    *,
    similarity,
    comparison,
    target,
    missing,
    ids=None,
    fitted_target=None,
):
    """:func:`second_order_isomorphism` with the ids and reading given.

    ``ids`` are the images' item ids, checked against ``y``'s (a scorer
    takes them from ``X``, which the embeddings no longer carry);
    ``fitted_target`` is the reading of ``y`` of the estimator being scored,
    which an ``"auto"`` reading must agree with.
    """
    embeddings = embeddings_of(embeddings)
    human = read_human_pairs(
        y,
        len(embeddings),
        target=target,
        similarity=similarity,
        ids=ids,
        missing=missing,
    )
    if fitted_target is not None and human.target != fitted_target:
        raise ValueError(
            f"target='auto' reads y here as {human.target}, but the estimator "
            f"was fitted with target_={fitted_target!r}. Leave target=None to "
            "read y as the estimator did."
        )
    return pair_alignment(
        embeddings, human.pairs, similarity=similarity, comparison=comparison
    )


# --- Mantel's test of two fixed matrices ---------------------------------------

MANTEL_METHODS = ("pearson", "spearman", "kendall")
MANTEL_ALTERNATIVES = ("greater", "less", "two-sided")
# Permutations drawn and scored at a time: memory O(_BATCH x n_items).
_BATCH = 1000
# Kendall gathers each permutation's pairs first: at most this many per call.
_KENDALL_BATCH_PAIRS = 2**18
# How far y[i, j] may differ from y[j, i], relative to the scale (as _human).
_SYMMETRY_TOLERANCE = 1e-8


class MantelResult(NamedTuple):
    """Result of :func:`mantel`: the statistic, its p-value, the permutations.

    A named tuple, so ``statistic, pvalue, permutations = mantel(x, y)``
    unpacks it.

    Parameters
    ----------
    statistic : float
        The comparison of the two upper triangles (Pearson's or Spearman's
        correlation, or Kendall's tau-a), in [-1, 1].
    pvalue : float
        ``(C + 1) / (permutations + 1)``, with ``C`` the number of permuted
        statistics at least as extreme as ``statistic``; NaN when
        ``permutations`` is 0.
    permutations : int
        Number of permutations in the null distribution.

    See Also
    --------
    mantel : Computes it.

    Examples
    --------
    >>> from sklearn_ais.metrics import MantelResult
    >>> result = MantelResult(statistic=0.42, pvalue=0.001, permutations=999)
    >>> statistic, pvalue, permutations = result
    >>> result.pvalue
    0.001
    """

    statistic: float
    pvalue: float
    permutations: int


@_kernel
def _permuted_dots(square, orders, scores, out):
    """``scores`` dotted with each permuted upper triangle of ``square``.

    ``out[b]`` is the dot product of ``scores`` with the strict upper
    triangle, row by row, of ``square[o][:, o]`` for ``o = orders[b]``, read
    from the rows of ``square`` without building the permuted matrix. Four
    partial sums (one chain of dependent additions would wait on each), in
    the same order for every permutation, the identity included.
    """
    n = orders.shape[1]
    for b in range(orders.shape[0]):
        order = orders[b]
        s0 = s1 = s2 = s3 = 0.0
        k = 0
        for i in range(n - 1):
            row = square[order[i]]
            j = i + 1
            while j + 3 < n:
                s0 += scores[k] * row[order[j]]
                s1 += scores[k + 1] * row[order[j + 1]]
                s2 += scores[k + 2] * row[order[j + 2]]
                s3 += scores[k + 3] * row[order[j + 3]]
                k += 4
                j += 4
            while j < n:
                s0 += scores[k] * row[order[j]]
                k += 1
                j += 1
        out[b] = (s0 + s1) + (s2 + s3)


@_kernel
def _permuted_pairs(square, orders, out):
    """``out[b]``: the upper triangle of ``square[o][:, o]``, ``o = orders[b]``."""
    n = orders.shape[1]
    for b in range(orders.shape[0]):
        order = orders[b]
        k = 0
        for i in range(n - 1):
            row = square[order[i]]
            for j in range(i + 1, n):
                out[b, k] = row[order[j]]
                k += 1


def _square(pairs, n):
    """The symmetric ``n x n`` matrix of a strict upper triangle (zero diagonal)."""
    rows, cols = pair_indices(n)
    square = np.zeros((n, n), dtype=pairs.dtype)
    square[rows, cols] = pairs
    square[cols, rows] = pairs
    return square


class _PermutedComparison:
    """The comparison of ``x``'s pairs with ``y``'s, items of ``y`` permuted.

    Permuting items permutes pairs, so what a comparison needs of ``y`` is
    prepared once and carried along: Pearson standardises both triangles and
    Spearman their ranks (a permutation's statistic is then one dot
    product); Kendall sorts ``x``'s pairs once and counts, for each
    permutation, the inversions of ``y``'s permuted dense ranks in that order
    (the library's tau-a kernel, with ``x`` as the candidate of every row).
    """

    def __init__(self, x_pairs, y_pairs, n, method):
        self.method = method
        if method == "kendall":
            y_ranks, self._y_tied = _dense_ranks(y_pairs)
            self._y_square = _square(y_ranks, n)
            self._keys, self._index_bits = _sorted_keys(x_pairs[None])
            self._x_pairs = x_pairs[None]
            return
        if method == "spearman":
            x_pairs, y_pairs = stats.rankdata(x_pairs), stats.rankdata(y_pairs)
        self._x_scores = _standardize(x_pairs)
        self._y_square = _square(_standardize(y_pairs), n)

    def __call__(self, orders):
        """The statistic of each permutation, ``orders`` of shape ``(k, n)``."""
        orders = np.ascontiguousarray(orders, dtype=np.intp)
        out = np.empty(len(orders))
        if self.method != "kendall":
            _permuted_dots(self._y_square, orders, self._x_scores, out)
            return out
        n_pairs = self._x_pairs.shape[1]
        batch = max(1, _KENDALL_BATCH_PAIRS // n_pairs)
        ranks = np.empty((min(batch, len(orders)), n_pairs), dtype=self._y_square.dtype)
        keys = np.repeat(self._keys, len(ranks), axis=0)
        candidates = np.repeat(self._x_pairs, len(ranks), axis=0)
        tied = np.full(len(ranks), self._y_tied, dtype=np.int64)
        for start in range(0, len(orders), batch):
            chunk = orders[start : start + batch]
            k = len(chunk)
            _permuted_pairs(self._y_square, chunk, ranks[:k])
            kendall_sorted_keys(
                keys[:k],
                candidates[:k],
                ranks[:k],
                tied[:k],
                1,
                self._index_bits,
                out[start : start + k],
            )
        return out


def _mantel_matrix(values, name):
    """``values`` as a square float matrix, with its item ids (or None)."""
    if isinstance(values, pd.DataFrame):
        try:
            matrix = labelled_matrix(values)
        except ValueError as error:
            raise ValueError(
                f"{name} is not a labelled matrix as the library reads them (the "
                f"message names it y): {error}"
            ) from error
        if values.shape[0] != values.shape[1]:
            raise ValueError(
                f"{name} has shape {values.shape}: Mantel's test compares square "
                "matrices, one row and one column per item."
            )
        return matrix, item_ids(values)
    try:
        matrix = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} must hold numbers; could not convert it to float: {error}. "
            "(A scikit-bio DistanceMatrix is passed as dm.to_data_frame().)"
        ) from error
    if matrix.ndim == 1:
        raise ValueError(
            f"{name} has shape {matrix.shape}: pass the square matrix. A "
            "condensed upper triangle (scipy's pdist) becomes one with "
            f"scipy.spatial.distance.squareform({name})."
        )
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(
            f"{name} has shape {matrix.shape}: Mantel's test compares square "
            "matrices, one row and one column per item."
        )
    return matrix, None


def _check_same_items(x_ids, y_ids):
    """Raise unless labelled ``x`` and ``y`` list the same ids in the same order."""
    if x_ids is None or y_ids is None:
        return
    x_str, y_str = _as_strings(x_ids), _as_strings(y_ids)
    if len(x_str) == len(y_str) and (x_str == y_str).all():
        return
    if len(x_str) == len(y_str) and set(x_str) == set(y_str):
        i = int(np.flatnonzero(x_str != y_str)[0])
        raise ValueError(
            f"x and y list the same items in another order (row {i}: x has "
            f"{x_ids[i]!r}, y has {y_ids[i]!r}). Nothing is realigned silently: "
            "reorder y with y.loc[x.index, x.index]."
        )
    in_x, in_y = set(x_str), set(y_str)
    problem = "x and y do not describe the same items:"
    only_x = [label for label in x_ids if str(label) not in in_y]
    only_y = [label for label in y_ids if str(label) not in in_x]
    if only_x:
        problem += f" ids of x not in y: {_show(only_x)};"
    if only_y:
        problem += f" ids of y not in x: {_show(only_y)};"
    if not only_x and not only_y:
        problem += " one of them repeats an id;"
    raise ValueError(
        problem.rstrip(";") + ". Compare the items both describe: ids = "
        "x.index.intersection(y.index), then x.loc[ids, ids] and y.loc[ids, ids]."
    )


def _mantel_pairs(matrix, name):
    """The strict upper triangle of ``matrix``, after checking it."""
    off = matrix.copy()
    np.fill_diagonal(off, 0.0)
    bad = np.argwhere(~np.isfinite(off))
    if len(bad):
        i, j = bad[0]
        raise ValueError(
            f"{name} has {'NaN' if np.isnan(off[i, j]) else 'infinite'} values "
            f"off its diagonal ({name}[{i}, {j}] is {off[i, j]}): Mantel's test "
            "compares every pair of items. Drop the items with unrated pairs "
            "from both matrices."
        )
    asymmetry = np.abs(off - off.T)
    i, j = np.unravel_index(np.argmax(asymmetry), asymmetry.shape)
    if asymmetry[i, j] > _SYMMETRY_TOLERANCE * max(np.abs(off).max(), 1.0):
        raise ValueError(
            f"{name} is not symmetric: {name}[{i}, {j}] is {off[i, j]:.6g} but "
            f"{name}[{j}, {i}] is {off[j, i]:.6g}. Mantel's test compares the "
            "upper triangles of symmetric matrices; symmetrise directed "
            f"judgments first, e.g. ({name} + {name}.T) / 2."
        )
    rows, cols = pair_indices(len(matrix))
    pairs = matrix[rows, cols]
    if np.ptp(pairs) == 0:
        raise ValueError(
            f"The values of {name} off its diagonal are all equal ({pairs[0]:.6g}): "
            "there is no structure to compare."
        )
    return pairs


@validate_params(
    {
        "x": ["array-like"],
        "y": ["array-like"],
        "method": [StrOptions(set(MANTEL_METHODS))],
        "permutations": [Interval(Integral, 0, None, closed="left")],
        "alternative": [StrOptions(set(MANTEL_ALTERNATIVES))],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def mantel(
    x, y, *, method="pearson", permutations=9999, alternative="greater", random_state=0
):
    """Test whether two fixed similarity matrices are related (Mantel's test).

    The statistic compares the strict upper triangles of ``x`` and ``y``
    (the diagonals are ignored) with Pearson's or Spearman's correlation or
    Kendall's tau-a, as :func:`second_order_isomorphism` compares a model's
    pairs with the humans'. Under the null hypothesis the items of one
    matrix are exchangeable: the rows and columns of ``y`` are permuted
    together ``permutations`` times, and the p-value counts the permuted
    statistics at least as extreme as the observed one, as scikit-bio's
    ``skbio.stats.distance.mantel`` does. Nothing is fitted: this tests two
    given matrices, such as a model's similarity matrix and the humans'.

    Parameters
    ----------
    x, y : DataFrame of shape (n_items, n_items) or array-like
        The two matrices: DataFrames whose index and columns are the item ids
        (``pd.read_csv(path, index_col=0)``, read as
        :func:`second_order_isomorphism` reads ``y``), or square arrays
        (``squareform(pdist(...))``). Both must be symmetric and finite off
        the diagonal, and describe the same items in the same order: where
        both carry ids they must be the same ids in the same order (nothing
        is realigned; reorder with ``y.loc[x.index, x.index]``). They are
        compared as given, so both must be of the same kind: a similarity
        matrix against a dissimilarity matrix (an RDM) gives a negative
        statistic; negate one of them, or test ``alternative="less"``.
    method : {"pearson", "spearman", "kendall"}, default="pearson"
        Pearson's correlation of the two triangles, Pearson's correlation of
        their ranks (ties averaged), or Kendall's tau-a (pairs tied in either
        count as neither; scikit-bio's ``"kendalltau"`` is tau-b, the same
        number when neither triangle has ties).
    permutations : int, default=9999
        Number of permutations in the null distribution; 0 skips the test
        (the p-value is NaN).
    alternative : {"greater", "less", "two-sided"}, default="greater"
        Which permuted statistics are at least as extreme as the observed
        one: those greater than or equal to it (the matrices are more alike
        than chance), less than or equal, or not smaller in absolute value.
        (scikit-bio's default is "two-sided".)
    random_state : int, RandomState instance or None, default=0
        Seed of the permutations.

    Returns
    -------
    MantelResult
        ``(statistic, pvalue, permutations)``; see :class:`MantelResult`.

    See Also
    --------
    sklearn_ais.model_selection.mantel_test : Whether a fitted *selection*
        (feature maps chosen by AIS on training images) aligns with held-out
        human judgments beyond chance; it refits the estimator for every
        permutation, so it takes minutes. ``mantel`` answers whether two
        *given* matrices are related, in a fraction of a second.
    second_order_isomorphism : The statistic alone, from embeddings.

    Notes
    -----
    Permuted statistics within ``n_pairs`` machine epsilons of the observed
    one (the rounding of a sum of ``n_pairs`` products) count as equal to
    it: with tied values (a model matrix that sorts items into categories)
    permutations give statistics equal to the observed one in exact
    arithmetic, which rounding alone would otherwise count or not. Kendall's
    statistics are ratios of integer counts and are compared exactly. The
    observed statistic is computed by the code that computes the permuted
    ones (the identity permutation).

    Cost: Pearson and Spearman standardise the two triangles once (Spearman
    ranks them first: permuting items permutes pairs, so the ranks are
    carried along); a permutation is then one pass over its ``n_pairs``
    products in compiled code, on one thread: 9,999 permutations took about
    0.06 s at 92 items, 0.2 s at 200 and 0.8 s at 400. Kendall's tau-a
    counts the discordant pairs of each permutation with a Fenwick tree,
    ``O(n_pairs log n_pairs)``, 10 to 30 times slower: about 0.8 s at 92
    items, 5 s at 200 and 25 s at 400 (``benchmarks/bench_mantel.py``, on a
    shared 2-core machine whose speed drifts).

    Examples
    --------
    A model's cosine similarities against a human dissimilarity matrix (an
    RDM): the matrices are related, but of opposite kinds, so the statistic
    is negative and the default one-sided test finds nothing.

    >>> import numpy as np
    >>> from scipy.spatial.distance import pdist, squareform
    >>> from sklearn.metrics.pairwise import cosine_similarity
    >>> from sklearn_ais.metrics import mantel
    >>> rng = np.random.default_rng(0)
    >>> embeddings = rng.normal(size=(20, 8))
    >>> human_rdm = squareform(pdist(embeddings + 0.5 * rng.normal(size=(20, 8))))
    >>> model = cosine_similarity(embeddings)
    >>> result = mantel(model, human_rdm, permutations=999)
    >>> bool(result.statistic < 0), bool(result.pvalue > 0.5)
    (True, True)

    Negating the RDM makes both similarities:

    >>> result = mantel(model, -human_rdm, permutations=999)
    >>> bool(result.statistic > 0.5), float(result.pvalue)
    (True, 0.001)
    """
    x_matrix, x_ids = _mantel_matrix(x, "x")
    y_matrix, y_ids = _mantel_matrix(y, "y")
    _check_same_items(x_ids, y_ids)
    if len(x_matrix) != len(y_matrix):
        raise ValueError(
            f"x describes {len(x_matrix)} items and y {len(y_matrix)}: Mantel's "
            "test compares two matrices of the same items, in the same order."
        )
    n = len(x_matrix)
    if n < MIN_IMAGES:
        raise ValueError(
            f"Mantel's test needs at least {MIN_IMAGES} items (3 pairs); x and y "
            f"describe {n}."
        )
    x_pairs = _mantel_pairs(x_matrix, "x")
    y_pairs = _mantel_pairs(y_matrix, "y")
    compare = _PermutedComparison(x_pairs, y_pairs, n, method)
    statistic = float(np.clip(compare(np.arange(n)[None])[0], -1.0, 1.0))
    if permutations == 0:
        return MantelResult(statistic, np.nan, 0)
    rng = check_random_state(random_state)
    null = np.empty(permutations)
    for start in range(0, permutations, _BATCH):
        stop = min(start + _BATCH, permutations)
        orders = np.array([rng.permutation(n) for _ in range(stop - start)])
        null[start:stop] = compare(orders)
    null = np.clip(null, -1.0, 1.0)
    tolerance = 0.0 if method == "kendall" else len(x_pairs) * np.finfo(float).eps
    if alternative == "greater":
        extreme = null >= statistic - tolerance
    elif alternative == "less":
        extreme = null <= statistic + tolerance
    else:
        extreme = np.abs(null) >= abs(statistic) - tolerance
    pvalue = (np.count_nonzero(extreme) + 1) / (permutations + 1)
    return MantelResult(statistic, float(pvalue), int(permutations))
