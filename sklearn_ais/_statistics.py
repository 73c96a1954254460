"""Small statistics shared by the analyses, the study and its figures."""

from typing import NamedTuple

import numpy as np
from scipy import stats


def spearman_brown(r, factor=2):
    """Reliability of a mean of ``factor`` times as many raters as gave ``r``.

    ``factor=2``: the whole from the correlation of two halves. No warnings
    at ``r = -1`` (the result is then infinite or NaN).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return factor * r / (1 + (factor - 1) * r)


def paired_standard_error(first, second):
    """Loftus & Masson's (1994) error of two paired conditions' means.

    The error term is the fold x condition interaction, so the variability
    that both conditions share does not count; with two conditions its mean
    square is ``var(second - first) / 2``, and the error
    ``sqrt(var(d) / (2 n))``. NaN with fewer than two pairs.
    """
    difference = np.asarray(second, float) - np.asarray(first, float)
    if len(difference) < 2:
        return float("nan")
    return float(np.sqrt(difference.var(ddof=1) / (2 * len(difference))))


class PairedTest(NamedTuple):
    """A paired test of two conditions over folds (:func:`paired_ttest`)."""

    statistic: float
    pvalue: float
    df: int
    mean_difference: float
    standard_error: float

    def to_dict(self, description):
        """The test as plain JSON values, described by ``description``."""
        return {
            "test": description,
            "statistic": self.statistic,
            "df": self.df,
            "pvalue": self.pvalue,
        }


def paired_ttest(first, second):
    """Paired two-tailed t-test of ``second`` against ``first`` over folds.

    The one test that the study's results, summaries, figures and report
    use, with the paired standard error of :func:`paired_standard_error`.

    Parameters
    ----------
    first, second : array-like of shape (n_folds,)
        The two conditions' scores, paired by fold (for example Full and
        Retained).

    Returns
    -------
    PairedTest
        ``statistic`` and ``pvalue`` of ``scipy.stats.ttest_rel(second,
        first)``, ``df = n_folds - 1``, the mean of ``second - first`` and
        the Loftus & Masson standard error.
    """
    first, second = np.asarray(first, float), np.asarray(second, float)
    test = stats.ttest_rel(second, first)
    return PairedTest(
        statistic=float(test.statistic),
        pvalue=float(test.pvalue),
        df=len(first) - 1,
        mean_difference=float((second - first).mean()),
        standard_error=paired_standard_error(first, second),
    )
