"""The tests over cross-validation folds against scipy and their formulas."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.model_selection import KFold, RepeatedKFold

from sklearn_ais._statistics import (
    corrected_ttest,
    fold_sizes,
    naive_ttest,
    paired_standard_error,
)
from sklearn_ais.model_selection import FullVsRetained

ALTERNATIVES = ["two-sided", "greater", "less"]


def _scores(seed, n=40, shift=0.05):
    rng = np.random.default_rng(seed)
    full = rng.normal(0.3, 0.05, n)
    return full, full + rng.normal(shift, 0.05, n)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_naive_ttest_is_scipys_paired_test(alternative):
    full, retained = _scores(0)
    test = naive_ttest(full, retained, alternative=alternative)
    expected = stats.ttest_rel(retained, full, alternative=alternative)
    assert test.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert test.pvalue == pytest.approx(expected.pvalue, rel=1e-12)
    assert test.df == 39 and test.method == "naive"


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_corrected_ttest_follows_nadeau_and_bengio(alternative):
    full, retained = _scores(1)
    d = retained - full
    n_train, n_test = 73.6, 18.4  # 92 images in 5 folds
    test = corrected_ttest(
        full, retained, n_train=n_train, n_test=n_test, alternative=alternative
    )
    t = d.mean() / np.sqrt((1 / 40 + n_test / n_train) * d.var(ddof=1))
    p = {
        "two-sided": 2 * stats.t.sf(abs(t), 39),
        "greater": stats.t.sf(t, 39),
        "less": stats.t.cdf(t, 39),
    }[alternative]
    assert test.statistic == pytest.approx(t, rel=1e-12)
    assert test.pvalue == pytest.approx(p, rel=1e-10)
    assert test.method == "corrected" and test.alternative == alternative


def test_the_correction_shrinks_t_by_the_known_factor():
    # 5 x 8 folds of 92 images: the naive t is sqrt((1/40 + 1/4) / (1/40))
    # = 3.32 times the corrected one.
    full, retained = _scores(2)
    naive = naive_ttest(full, retained)
    corrected = corrected_ttest(full, retained, n_train=73.6, n_test=18.4)
    assert naive.statistic / corrected.statistic == pytest.approx(np.sqrt(11))
    assert corrected.pvalue > naive.pvalue
    ratio = corrected.standard_error / naive.standard_error
    assert ratio == pytest.approx(np.sqrt(11))


def test_standard_errors():
    full, retained = _scores(3, n=10)
    d = retained - full
    assert paired_standard_error(full, retained) == pytest.approx(
        np.sqrt(d.var(ddof=1) / (2 * 10))
    )
    assert paired_standard_error(full, retained, n_train=48, n_test=12) == (
        pytest.approx(np.sqrt((1 / 10 + 12 / 48) * d.var(ddof=1) / 2))
    )
    assert np.isnan(paired_standard_error([0.1], [0.2]))


def test_fold_sizes_count_images_of_each_fold():
    splits = list(
        RepeatedKFold(n_splits=5, n_repeats=2, random_state=0).split(np.zeros(92))
    )
    n_train, n_test = fold_sizes(splits)
    assert (n_train, n_test) == pytest.approx((73.6, 18.4))


def test_degenerate_differences():
    same = corrected_ttest([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], n_train=4, n_test=1)
    assert np.isnan(same.statistic) and np.isnan(same.pvalue)
    shifted = corrected_ttest([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], n_train=4, n_test=1)
    assert shifted.statistic == np.inf and shifted.pvalue == 0.0


@pytest.mark.parametrize(
    ("first", "second", "kwargs", "message"),
    [
        ([0.1], [0.2], {}, "at least 2 folds"),
        ([0.1, 0.2], [0.2], {}, "paired by fold"),
        ([0.1, 0.2], [0.2, 0.3], {"n_train": 4}, "both n_train and n_test"),
        ([0.1, 0.2], [0.2, 0.3], {"n_train": 0, "n_test": 1}, "positive"),
        ([0.1, 0.2], [0.2, 0.3], {"alternative": "bigger"}, "alternative"),
    ],
)
def test_bad_input_is_refused(first, second, kwargs, message):
    if "n_train" in kwargs or "n_test" in kwargs:
        kwargs = {"n_test": None, **kwargs}
        test = corrected_ttest
    else:
        test = naive_ttest
    with pytest.raises(ValueError, match=message):
        test(first, second, **kwargs)


def test_a_result_without_its_folds_refuses_the_corrected_test():
    result = FullVsRetained(
        full=np.array([0.1, 0.2, 0.15]),
        retained=np.array([0.2, 0.3, 0.2]),
        n_retained=np.array([5, 6, 5]),
        n_maps=40,
    )
    with pytest.raises(ValueError, match="naive_ttest"):
        result.ttest
    assert result.naive_ttest.method == "naive"
    assert "Naive paired t-test" in result.summary()


def test_one_sided_option_of_a_result():
    splits = list(KFold(4).split(np.zeros(20)))
    full, retained = _scores(4, n=4, shift=0.1)
    result = FullVsRetained(
        full=full,
        retained=retained,
        n_retained=np.ones(4, int),
        n_maps=3,
        splits=splits,
    )
    two = result.paired_test()
    greater = result.paired_test(alternative="greater")
    assert greater.pvalue == pytest.approx(two.pvalue / 2)
    with pytest.raises(ValueError, match="method"):
        result.paired_test("welch")


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-1, 1), min_size=3, max_size=20),
    st.floats(0.1, 10),
    st.floats(-1, 1),
)
def test_affine_invariance_and_antisymmetry(values, scale, offset):
    d = np.asarray(values)
    full = np.linspace(0, 1, len(d))
    retained = full + d
    if np.ptp(d) < 1e-6:
        return
    test = corrected_ttest(full, retained, n_train=9, n_test=3)
    scaled = corrected_ttest(
        scale * full + offset, scale * retained + offset, n_train=9, n_test=3
    )
    swapped = corrected_ttest(retained, full, n_train=9, n_test=3)
    assert scaled.statistic == pytest.approx(test.statistic, rel=1e-6, abs=1e-9)
    assert swapped.statistic == pytest.approx(-test.statistic, rel=1e-9, abs=1e-12)
    assert swapped.pvalue == pytest.approx(test.pvalue, rel=1e-9, abs=1e-12)
