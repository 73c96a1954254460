"""Small statistics shared by the analyses, the study and its figures."""

import numpy as np


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
