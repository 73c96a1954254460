"""Small statistics shared by the analyses, the study and its figures.

The tests over cross-validation folds live here, once: the corrected
resampled t-test (the headline of every study) and the naive paired t-test
beside it. The folds of a repeated k-fold share images (each image is in the
training set of ``k - 1`` folds of every repetition), so their scores are
correlated and the naive test's variance ``var(d) / J`` is too small.
Nadeau & Bengio (2003) replace ``1 / J`` by ``1 / J + n_test / n_train``
(Bouckaert & Frank 2004 for repeated k-fold); ``docs/user_guide`` shows by
simulation how each test holds its level.
"""

from typing import NamedTuple

import numpy as np
from scipy import stats

ALTERNATIVES = ("two-sided", "greater", "less")

# The one sentence each report, summary and figure gives for its test.
METHODS = {
    "corrected": (
        "corrected resampled t-test (Nadeau & Bengio 2003): the folds share "
        "images, so the variance of the mean difference is var(d) (1/J + "
        "n_test/n_train), not var(d)/J"
    ),
    "naive": (
        "naive paired t-test over the folds, as if they were independent "
        "(its p-value is too small when folds share images)"
    ),
}


def spearman_brown(r, factor=2):
    """Reliability of a mean of ``factor`` times as many raters as gave ``r``.

    ``factor=2``: the whole from the correlation of two halves. No warnings
    at ``r = -1`` (the result is then infinite or NaN).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return factor * r / (1 + (factor - 1) * r)


def fold_sizes(splits):
    """Mean numbers of training and test units over the folds.

    Images for image-level splits, pairs for a pair-level split (its splits
    hold pair indices): the ``n_train`` and ``n_test`` of
    :func:`corrected_ttest`.
    """
    n_train = float(np.mean([len(train) for train, _ in splits]))
    n_test = float(np.mean([len(test) for _, test in splits]))
    return n_train, n_test


def variance_factor(n_folds, n_train=None, n_test=None):
    """Factor of ``var(d)`` in the variance of a mean of ``n_folds`` differences.

    ``1 / J`` for independent folds (no sizes given), ``1 / J + n_test /
    n_train`` for folds that share their units (Nadeau & Bengio 2003).
    """
    if (n_train is None) != (n_test is None):
        raise ValueError("Give both n_train and n_test, or neither.")
    factor = 1.0 / n_folds
    if n_train is not None:
        if n_train <= 0 or n_test <= 0:
            raise ValueError(
                f"n_train and n_test must be positive; got {n_train} and {n_test}."
            )
        factor += n_test / n_train
    return factor


def paired_standard_error(first, second, *, n_train=None, n_test=None):
    """Error bar of each of two paired conditions' means over folds.

    Loftus & Masson (1994): the error term is the fold x condition
    interaction, so the variability that both conditions share does not
    count; with two conditions its mean square is ``var(second - first) /
    2``, and the error ``sqrt(factor var(d) / 2)`` with the factor of
    :func:`variance_factor`: ``1 / J`` as in Loftus & Masson when no sizes
    are given, corrected for folds that share images when ``n_train`` and
    ``n_test`` are. NaN with fewer than two pairs.
    """
    difference = np.asarray(second, float) - np.asarray(first, float)
    if len(difference) < 2:
        return float("nan")
    factor = variance_factor(len(difference), n_train, n_test)
    return float(np.sqrt(factor * difference.var(ddof=1) / 2))


class PairedTest(NamedTuple):
    """A paired test of two conditions over folds.

    ``standard_error`` is the error bar of each condition's mean
    (:func:`paired_standard_error`, with the same correction as the test).
    """

    statistic: float
    pvalue: float
    df: int
    mean_difference: float
    standard_error: float
    method: str
    alternative: str

    @property
    def description(self):
        """The test in one sentence, for reports and summaries."""
        return METHODS[self.method]

    def to_dict(self):
        """The test as plain JSON values."""
        return {
            "test": self.method,
            "description": self.description,
            "alternative": self.alternative,
            "statistic": self.statistic,
            "df": self.df,
            "pvalue": self.pvalue,
            "mean_difference": self.mean_difference,
        }


def _t_test(difference, factor, alternative):
    """Statistic and p-value of ``mean(d) / sqrt(factor var(d))`` on J - 1 df."""
    if alternative not in ALTERNATIVES:
        raise ValueError(
            f"alternative must be one of {ALTERNATIVES}; got {alternative!r}."
        )
    mean = float(difference.mean())
    scale = float(np.sqrt(factor * difference.var(ddof=1)))
    df = len(difference) - 1
    if scale == 0.0:
        # Every fold gives the same difference: no evidence of spread.
        statistic = float("nan") if mean == 0.0 else float(np.sign(mean) * np.inf)
    else:
        statistic = mean / scale
    if np.isnan(statistic):
        return statistic, float("nan")
    if alternative == "two-sided":
        pvalue = 2 * stats.t.sf(abs(statistic), df)
    elif alternative == "greater":
        pvalue = stats.t.sf(statistic, df)
    else:
        pvalue = stats.t.cdf(statistic, df)
    return float(statistic), float(min(pvalue, 1.0))


def _paired_test(first, second, method, alternative, n_train=None, n_test=None):
    first, second = np.asarray(first, float), np.asarray(second, float)
    if first.shape != second.shape or first.ndim != 1:
        raise ValueError(
            "The two conditions must be 1-D and paired by fold; got shapes "
            f"{first.shape} and {second.shape}."
        )
    if len(first) < 2:
        raise ValueError(f"A test over folds needs at least 2 folds; got {len(first)}.")
    difference = second - first
    factor = variance_factor(len(difference), n_train, n_test)
    statistic, pvalue = _t_test(difference, factor, alternative)
    return PairedTest(
        statistic=statistic,
        pvalue=pvalue,
        df=len(difference) - 1,
        mean_difference=float(difference.mean()),
        standard_error=paired_standard_error(
            first, second, n_train=n_train, n_test=n_test
        ),
        method=method,
        alternative=alternative,
    )


def corrected_ttest(first, second, *, n_train, n_test, alternative="two-sided"):
    """Corrected resampled t-test of ``second`` against ``first`` over folds.

    Nadeau & Bengio's (2003) correction for folds whose training and test
    sets overlap between folds (repeated k-fold, Bouckaert & Frank 2004):
    ``t = mean(d) / sqrt((1 / J + n_test / n_train) var(d))`` on ``J - 1``
    degrees of freedom, with ``d = second - first`` over the ``J`` folds.
    The headline test of the library's studies.

    Parameters
    ----------
    first, second : array-like of shape (n_folds,)
        The two conditions' scores, paired by fold (for example Full and
        Retained).
    n_train, n_test : float
        Mean numbers of training and test units per fold (images; pairs for
        a pair-level split): see :func:`fold_sizes`.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        ``"greater"``: ``second`` scores higher than ``first``.

    Returns
    -------
    PairedTest
        With ``method="corrected"``.
    """
    return _paired_test(first, second, "corrected", alternative, n_train, n_test)


def naive_ttest(first, second, *, alternative="two-sided"):
    """Naive paired t-test of ``second`` against ``first`` over folds.

    ``scipy.stats.ttest_rel(second, first)``: right for independent pairs,
    too liberal for cross-validation folds that share images (see
    :func:`corrected_ttest`). Kept beside the corrected test because it is
    the test published studies report.

    Parameters
    ----------
    first, second : array-like of shape (n_folds,)
        The two conditions' scores, paired by fold.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        ``"greater"``: ``second`` scores higher than ``first``.

    Returns
    -------
    PairedTest
        With ``method="naive"`` and Loftus & Masson's standard error.
    """
    return _paired_test(first, second, "naive", alternative)
