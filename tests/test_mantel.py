"""``sklearn_ais.metrics.mantel``: Mantel's test of two fixed matrices.

Checked against scikit-bio's ``skbio.stats.distance.mantel`` (statistic to
1e-12, p-values within Monte Carlo error), against a plain loop over the same
permutations (p-values equal), on the files and arrays users pass, on the bad
inputs it refuses, for its level under the null hypothesis, and for the
invariances of its statistics.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import pdist, squareform
from skbio import DistanceMatrix
from skbio.stats.distance import mantel as skbio_mantel
from sklearn.utils import check_random_state

from sklearn_ais import metrics
from sklearn_ais._similarity import compare
from sklearn_ais.metrics import MantelResult, mantel

METHODS = ("pearson", "spearman", "kendall")
ALTERNATIVES = ("greater", "less", "two-sided")
SKBIO_METHOD = {"pearson": "pearson", "spearman": "spearman", "kendall": "kendalltau"}


def _rdm(n, rng, dims=3):
    """A hollow distance matrix of ``n`` random points (no ties)."""
    return squareform(pdist(rng.normal(size=(n, dims))))


def _related(n, rng, weight):
    """Two distance matrices of ``n`` items, ``y`` partly made of ``x``."""
    x = _rdm(n, rng)
    return x, weight * x + _rdm(n, rng)


def _upper(matrix):
    return matrix[np.triu_indices(len(matrix), k=1)]


def _skbio(x, y, method, permutations, alternative):
    with warnings.catch_warnings():
        # scikit-bio's own deprecations are not ours to fail on.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return skbio_mantel(
            DistanceMatrix(x),
            DistanceMatrix(y),
            method=SKBIO_METHOD[method],
            permutations=permutations,
            alternative=alternative,
            seed=1,
        )


# -- agreement with scikit-bio ---------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n, seed", [(3, 0), (7, 1), (25, 2), (60, 3)])
def test_statistic_is_scikit_bio_s(method, n, seed):
    # No ties: Kendall's tau-a (the library's) is scikit-bio's tau-b.
    x, y = _related(n, np.random.default_rng(seed), 0.3)
    expected = _skbio(x, y, method, 0, "two-sided")[0]
    result = mantel(x, y, method=method, permutations=0)
    assert result.statistic == pytest.approx(expected, abs=1e-12)
    assert np.isnan(result.pvalue) and result.permutations == 0


@pytest.mark.parametrize(
    "method",
    # scikit-bio's Kendall calls scipy once per permutation (about 100 s here).
    ["pearson", "spearman", pytest.param("kendall", marks=pytest.mark.slow)],
)
def test_pvalues_are_scikit_bio_s_within_monte_carlo_error(method):
    # Weakly related, so that every alternative's p-value is away from 0 and 1.
    x, y = _related(20, np.random.default_rng(5), 0.06)
    # scikit-bio's Kendall runs scipy once per permutation: fewer of them.
    theirs_n = 9999 if method != "kendall" else 2999
    for alternative in ALTERNATIVES:
        ours = mantel(x, y, method=method, alternative=alternative)
        theirs = _skbio(x, y, method, theirs_n, alternative)
        assert ours.statistic == pytest.approx(theirs[0], abs=1e-12)
        p = (ours.pvalue + theirs[1]) / 2
        assert 0.02 < p < 0.98, "the data should not decide the test"
        # Two independent Monte Carlo estimates of the same p-value.
        error = np.sqrt(p * (1 - p) * (1 / 9999 + 1 / theirs_n))
        assert abs(ours.pvalue - theirs[1]) < 4 * error + 1e-3, alternative


# -- against a plain loop over the same permutations ------------------------------


def _plain_mantel(x, y, method, permutations, alternative, random_state=0):
    """The test written out: one permuted matrix and one comparison at a time.

    Draws the permutations as ``mantel`` does (``rng.permutation(n)`` in turn
    from ``check_random_state(random_state)``), applied as ``y[o][:, o]``.
    """
    x_pairs = _upper(x)
    statistic = compare(x_pairs, _upper(y), method)
    rng = check_random_state(random_state)
    null = []
    for _ in range(permutations):
        order = rng.permutation(len(y))
        null.append(compare(x_pairs, _upper(y[np.ix_(order, order)]), method))
    null = np.array(null)
    extreme = {
        "greater": null >= statistic,
        "less": null <= statistic,
        "two-sided": np.abs(null) >= abs(statistic),
    }[alternative]
    return statistic, (extreme.sum() + 1) / (permutations + 1)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_pvalue_is_that_of_a_plain_loop(method, alternative):
    x, y = _related(15, np.random.default_rng(7), 0.05)
    statistic, pvalue = _plain_mantel(x, y, method, 499, alternative)
    result = mantel(x, y, method=method, permutations=499, alternative=alternative)
    assert result.statistic == pytest.approx(statistic, abs=1e-12)
    assert result.pvalue == pvalue
    assert result.permutations == 499


def test_batches_do_not_change_the_result(monkeypatch):
    x, y = _related(30, np.random.default_rng(8), 0.05)
    expected = {m: mantel(x, y, method=m, permutations=300) for m in METHODS}
    monkeypatch.setattr(metrics, "_BATCH", 7)
    monkeypatch.setattr(metrics, "_KENDALL_BATCH_PAIRS", 1000)
    for method in METHODS:
        assert mantel(x, y, method=method, permutations=300) == expected[method]


def test_kendall_is_tau_a_with_ties():
    rng = np.random.default_rng(9)
    x = squareform(rng.integers(0, 4, size=28).astype(float))
    y = squareform(rng.integers(0, 3, size=28).astype(float))
    a, b = _upper(x), _upper(y)
    i, j = np.triu_indices(len(a), k=1)
    tau_a = np.sum(np.sign(a[i] - a[j]) * np.sign(b[i] - b[j])) / len(i)
    assert mantel(x, y, method="kendall", permutations=0).statistic == pytest.approx(
        tau_a, abs=1e-15
    )
    # scikit-bio's tau-b differs with ties.
    assert abs(stats.kendalltau(a, b).statistic - tau_a) > 1e-3


@pytest.mark.parametrize("method", METHODS)
def test_permutations_equal_in_exact_arithmetic_count_as_ties(method):
    # Two category models: a pair is 1 when both items share a category. The
    # statistic is an increasing function of the number of pairs both models
    # put together, so permutations that give the same overlap tie in exact
    # arithmetic; in floating point only about 1 in 10 of them gives the
    # observed statistic bit for bit (scikit-bio, which compares exactly, gets
    # a "less" p-value of 0.073 here for an exact 0.187).
    categories_x = np.repeat(np.arange(4), 5)
    categories_y = np.random.default_rng(0).permutation(categories_x)
    categories_y[:2] = categories_x[:2]
    x = (categories_x[:, None] == categories_x).astype(float)
    y = (categories_y[:, None] == categories_y).astype(float)
    a = _upper(x)
    overlap = a @ _upper(y)
    rng = check_random_state(0)
    overlaps = []
    for _ in range(999):
        order = rng.permutation(len(y))
        overlaps.append(a @ _upper(y[np.ix_(order, order)]))
    overlaps = np.array(overlaps)
    assert (overlaps == overlap).sum() > 50  # many exact ties
    for alternative, extreme in [
        ("greater", overlaps >= overlap),
        ("less", overlaps <= overlap),
    ]:
        result = mantel(x, y, method=method, permutations=999, alternative=alternative)
        assert result.pvalue == (extreme.sum() + 1) / 1000


# -- the inputs users pass ---------------------------------------------------------


def _labelled(matrix, ids):
    return pd.DataFrame(matrix, index=ids, columns=ids)


def test_read_csv_of_saved_labelled_matrices(tmp_path):
    rng = np.random.default_rng(10)
    x, y = _related(12, rng, 0.5)
    ids = [f"img{i:02d}" for i in range(12)]
    _labelled(x, ids).to_csv(tmp_path / "model.csv")
    _labelled(y, ids).to_csv(tmp_path / "human.csv")
    model = pd.read_csv(tmp_path / "model.csv", index_col=0)
    human = pd.read_csv(tmp_path / "human.csv", index_col=0)
    expected = mantel(x, y, permutations=999)
    assert mantel(model, human, permutations=999) == expected
    # A labelled matrix against an array of the same items, in the same order.
    assert mantel(model, y, permutations=999) == expected
    assert mantel(x, human, permutations=999) == expected


def test_integer_ids_read_from_csv_match_string_ids(tmp_path):
    rng = np.random.default_rng(11)
    x, y = _related(8, rng, 0.5)
    ids = [str(i + 1) for i in range(8)]
    _labelled(x, ids).to_csv(tmp_path / "model.csv")
    model = pd.read_csv(tmp_path / "model.csv", index_col=0)  # integer index
    assert mantel(model, _labelled(y, ids), permutations=99) == mantel(
        x, y, permutations=99
    )


def test_squareform_pdist_and_similarity_matrices():
    rng = np.random.default_rng(12)
    points = rng.normal(size=(15, 4))
    rdm = squareform(pdist(points))
    model_rdm = squareform(pdist(points + 0.5 * rng.normal(size=(15, 4)), "cosine"))
    result = mantel(model_rdm, rdm, permutations=999)
    assert isinstance(result, MantelResult)
    assert result.statistic > 0.3 and result.pvalue < 0.01
    # A similarity matrix's diagonal (ones) is ignored, as a zero one is.
    similarity = 1.0 - model_rdm
    assert mantel(-similarity, rdm, permutations=999) == result
    # Of opposite kinds, the statistic changes sign.
    opposite = mantel(similarity, rdm, permutations=999, alternative="less")
    assert opposite.statistic == pytest.approx(-result.statistic, abs=1e-12)
    assert opposite.pvalue == result.pvalue


def test_nan_diagonal_is_ignored():
    x, y = _related(10, np.random.default_rng(13), 0.5)
    with_nan = x.copy()
    np.fill_diagonal(with_nan, np.nan)
    assert mantel(with_nan, y, permutations=99) == mantel(x, y, permutations=99)


def test_the_result_unpacks_and_the_seed_is_fixed():
    x, y = _related(10, np.random.default_rng(14), 0.3)
    statistic, pvalue, permutations = mantel(x, y, permutations=199)
    assert permutations == 199 and 1 / 200 <= pvalue <= 1
    assert mantel(x, y, permutations=199) == (statistic, pvalue, permutations)
    other = mantel(x, y, permutations=199, random_state=1)
    assert other.statistic == statistic
    rng = np.random.RandomState(0)
    assert mantel(x, y, permutations=199, random_state=rng).pvalue == pvalue


def test_three_items():
    x = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], dtype=float)
    y = np.array([[0, 2, 7], [2, 0, 6], [7, 6, 0]], dtype=float)
    # scikit-bio's documented example: r = 0.7559.
    result = mantel(x, y, permutations=99, alternative="two-sided")
    assert result.statistic == pytest.approx(0.7559289460184544, abs=1e-12)
    assert 0 < result.pvalue <= 1


# -- what it refuses ---------------------------------------------------------------


def _good(n=6, seed=15):
    return _related(n, np.random.default_rng(seed), 0.5)


def _with(matrix, i, j, value, symmetric=True):
    matrix = matrix.copy()
    matrix[i, j] = value
    if symmetric:
        matrix[j, i] = value
    return matrix


@pytest.mark.parametrize(
    "x, y, match",
    [
        (_with(_good()[0], 0, 2, np.nan), _good()[1], r"x has NaN values off its"),
        (_good()[0], _with(_good()[1], 1, 3, np.inf), r"y has infinite values off"),
        (_good()[0][:, :5], _good()[1], r"x has shape \(6, 5\).*square"),
        (_good()[0], _upper(_good()[1]), r"y has shape \(15,\).*squareform\(y\)"),
        (_good()[0], np.zeros((6, 6, 1)), r"y has shape \(6, 6, 1\)"),
        (
            _with(_good()[0], 0, 1, 9.0, symmetric=False),
            _good()[1],
            r"x is not symmetric: x\[0, 1\] is 9 but x\[1, 0\]",
        ),
        (_good(2)[0], _good(2)[1], r"at least 3 items.*describe 2"),
        (np.ones((6, 6)), _good()[1], r"values of x off its diagonal are all equal"),
        (_good()[0], _good(7)[1], r"x describes 6 items and y 7"),
        ([["a", "b"], ["c", "d"]], _good()[1], r"x must hold numbers"),
    ],
    ids=[
        "nan",
        "inf",
        "not-square",
        "condensed",
        "3-d",
        "asymmetric",
        "two-items",
        "constant",
        "sizes",
        "text",
    ],
)
def test_bad_inputs(x, y, match):
    with pytest.raises(ValueError, match=match):
        mantel(x, y)


def test_labelled_matrices_in_another_order_are_refused():
    x, y = _good()
    ids = list("abcdef")
    order = ids[::-1]
    shuffled = _labelled(y, ids).loc[order, order]
    with pytest.raises(
        ValueError,
        match=r"same items in another order \(row 0: x has 'a', y has 'f'\).*"
        r"y\.loc\[x\.index, x\.index\]",
    ):
        mantel(_labelled(x, ids), shuffled)
    # Reordered as the message says, it is the test of the arrays.
    reordered = shuffled.loc[ids, ids]
    assert mantel(_labelled(x, ids), reordered, permutations=99) == mantel(
        x, y, permutations=99
    )


def test_labelled_matrices_of_other_items_are_refused():
    x, y = _good()
    with pytest.raises(
        ValueError,
        match=r"not describe the same items: ids of x not in y: 'f'; ids of y not "
        r"in x: 'z'\. .*intersection",
    ):
        mantel(_labelled(x, list("abcdef")), _labelled(y, list("abcdez")))
    with pytest.raises(ValueError, match=r"ids of y not in x: 'g'"):
        mantel(_labelled(x, list("abcdef")), _labelled(_good(7)[1], list("abcdefg")))


def test_labelled_matrix_that_is_not_square_is_refused():
    x, y = _good()
    wide = _labelled(x, list("abcdef")).iloc[:4]
    with pytest.raises(ValueError, match=r"x has shape \(4, 6\)"):
        mantel(wide, y)


def test_dataframe_read_without_its_index_is_refused(tmp_path):
    x, y = _good()
    _labelled(x, list("abcdef")).to_csv(tmp_path / "x.csv")
    with pytest.raises(ValueError, match=r"x is not a labelled matrix.*index_col=0"):
        mantel(pd.read_csv(tmp_path / "x.csv"), y)


@pytest.mark.parametrize(
    "options",
    [{"method": "kendalltau"}, {"permutations": -1}, {"alternative": "two_sided"}],
)
def test_bad_options(options):
    x, y = _good()
    with pytest.raises(ValueError):
        mantel(x, y, **options)


# -- level under the null hypothesis ---------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
def test_rejects_about_5_percent_of_independent_matrices(method, alternative):
    # 200 pairs of independent distance matrices, 199 permutations each: the
    # p-value is uniform on {1/200, ..., 1} (exchangeable items, no ties), so
    # a rejection at 0.05 happens with probability exactly 10/200. The count
    # must lie in the central 99.9 % of Binomial(200, 0.05); seeded, so the
    # result is the same at every run.
    draws, alpha = 200, 0.05
    rng = np.random.default_rng(16)
    rejections = 0
    for draw in range(draws):
        x, y = _rdm(12, rng), _rdm(12, rng)
        result = mantel(
            x,
            y,
            method=method,
            permutations=199,
            alternative=alternative,
            random_state=draw,
        )
        rejections += result.pvalue <= alpha
    low, high = stats.binom.ppf([0.0005, 0.9995], draws, alpha)
    assert low <= rejections <= high, (rejections, low, high)


# -- invariances -------------------------------------------------------------------


@st.composite
def _matrices(draw, values=st.integers(0, 20)):
    """Two symmetric integer matrices (ties likely), neither triangle constant."""
    n = draw(st.integers(3, 9))
    n_pairs = n * (n - 1) // 2
    pairs = st.lists(values, min_size=n_pairs, max_size=n_pairs)
    x = np.array(draw(pairs), dtype=float)
    y = np.array(draw(pairs), dtype=float)
    assume(np.ptp(x) > 0 and np.ptp(y) > 0)
    return squareform(x), squareform(y)


@settings(max_examples=40, deadline=None)
@given(matrices=_matrices(), data=st.data(), method=st.sampled_from(METHODS))
def test_relabelling_both_matrices_keeps_the_statistic(matrices, data, method):
    x, y = matrices
    order = np.array(data.draw(st.permutations(range(len(x)))))
    before = mantel(x, y, method=method, permutations=0).statistic
    after = mantel(
        x[np.ix_(order, order)], y[np.ix_(order, order)], method=method, permutations=0
    ).statistic
    assert after == pytest.approx(before, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    matrices=_matrices(),
    scale=st.floats(0.01, 100.0),
    shift=st.floats(-100.0, 100.0),
)
def test_affine_transform_keeps_pearson(matrices, scale, shift):
    x, y = matrices
    before = mantel(x, y, permutations=0).statistic
    after = mantel(x, scale * y + shift, permutations=0).statistic
    assert after == pytest.approx(before, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    matrices=_matrices(),
    transform=st.sampled_from([np.exp, np.sqrt, lambda v: v**3 + v]),
    method=st.sampled_from(["spearman", "kendall"]),
)
def test_monotone_transform_keeps_rank_statistics(matrices, transform, method):
    # Small integers stay distinct under each transform: ties are kept too.
    x, y = matrices
    before = mantel(x, y, method=method, permutations=0).statistic
    after = mantel(x, transform(y), method=method, permutations=0).statistic
    assert after == pytest.approx(before, abs=1e-12)
