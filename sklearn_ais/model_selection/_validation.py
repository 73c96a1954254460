"""The paper's validation protocol and tests of a similarity matrix, out of sample."""

from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import check_cv, cross_val_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.validation import _num_samples

from .._human import item_ids, labelled_matrix
from .._scoring import RSAScorer
from .._statistics import corrected_ttest, fold_sizes, naive_ttest
from ._cv import run_cv, split_pipeline
from ._pairs import PairShuffleSplit, pair_level_scores, refuse_pair_split


@dataclass
class FullVsRetained:
    """Out-of-sample 2OI of the full model and of its retained maps, per fold.

    The result of :func:`compare_full_vs_retained`: the paired test, the
    paired standard errors and a text summary are computed from these
    per-fold scores.

    Parameters
    ----------
    full, retained : ndarray of shape (n_folds,)
        Test-set 2OI of all maps and of the retained maps.
    n_retained : ndarray of shape (n_folds,)
        Number of retained maps in each fold.
    n_maps : int
        Number of maps.
    supports : ndarray of shape (n_folds, n_maps), dtype=bool, default=None
        The retained maps of each fold (None when not recorded).
    splits : list of (train, test) index arrays, default=None
        The folds, in order (None when not recorded): pass them as ``cv=``
        to score something else on the same test x test blocks.
    n_images : int or None, default=None
        Number of images of the study (None when not recorded).

    See Also
    --------
    compare_full_vs_retained : Computes it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.model_selection import FullVsRetained
    >>> result = FullVsRetained(
    ...     full=np.array([0.1, 0.2, 0.15]), retained=np.array([0.2, 0.3, 0.2]),
    ...     n_retained=np.array([5, 6, 5]), n_maps=40)
    >>> result.difference.round(2).tolist()
    [0.1, 0.1, 0.05]
    """

    full: np.ndarray
    retained: np.ndarray
    n_retained: np.ndarray
    n_maps: int
    supports: np.ndarray | None = field(default=None, kw_only=True, repr=False)
    splits: list | None = field(default=None, kw_only=True, repr=False)
    n_images: int | None = field(default=None, kw_only=True)

    @property
    def difference(self):
        """``retained - full`` per fold."""
        return self.retained - self.full

    @property
    def retention_frequency(self):
        """Fraction of the folds in which each map is retained (stability)."""
        if self.supports is None:
            raise ValueError("The retained maps of each fold were not recorded.")
        return np.asarray(self.supports, dtype=float).mean(axis=0)

    @property
    def fold_sizes(self):
        """Mean numbers of training and test units per fold: ``(n_train, n_test)``.

        Images for an image-level split, pairs for a :class:`PairShuffleSplit`
        (its ``splits`` hold pair indices). The corrected test needs them.
        """
        if self.splits is None:
            raise ValueError(
                "The folds were not recorded (splits=None), so the corrected "
                "test cannot size its correction: pass splits= (the (train, "
                "test) indices of the folds), or use naive_ttest, which "
                "assumes independent folds."
            )
        return fold_sizes(self.splits)

    def paired_test(self, method="corrected", *, alternative="two-sided"):
        """Test Retained against Full over the folds.

        Parameters
        ----------
        method : {"corrected", "naive"}, default="corrected"
            ``"corrected"``: the corrected resampled t-test (Nadeau & Bengio
            2003), which allows for the folds sharing images (see
            :attr:`ttest`). ``"naive"``: the paired t-test that treats the
            folds as independent; its p-value is too small.
        alternative : {"two-sided", "greater", "less"}, default="two-sided"
            ``"greater"``: Retained scores higher than Full.

        Returns
        -------
        PairedTest
            A :class:`~typing.NamedTuple` with ``statistic``, ``pvalue``,
            ``df``, ``mean_difference``, ``standard_error`` (the error bar of
            each condition's mean, with the same correction), ``method``,
            ``alternative`` and a one-sentence ``description``.
        """
        if method == "corrected":
            n_train, n_test = self.fold_sizes
            return corrected_ttest(
                self.full,
                self.retained,
                n_train=n_train,
                n_test=n_test,
                alternative=alternative,
            )
        if method == "naive":
            return naive_ttest(self.full, self.retained, alternative=alternative)
        raise ValueError(f"method must be 'corrected' or 'naive'; got {method!r}.")

    @property
    def ttest(self):
        """Corrected resampled t-test of Retained against Full, two-sided.

        The folds of a repeated k-fold share images (each image is in the
        training set of ``k - 1`` folds of every repetition), so their
        differences are correlated and ``var(d) / J`` understates the
        variance of their mean. Nadeau & Bengio (2003) use ``var(d) (1 / J +
        n_test / n_train)`` on ``J - 1`` degrees of freedom; the user guide
        shows by simulation that it holds its level where the naive test
        does not. :meth:`paired_test` gives the one-sided versions.
        """
        return self.paired_test("corrected")

    @property
    def naive_ttest(self):
        """Naive paired t-test of Retained against Full, two-sided.

        ``scipy.stats.ttest_rel`` over the folds as if they were independent:
        the test published studies report, kept for comparison; its p-value
        is too small because the folds share images.
        """
        return self.paired_test("naive")

    @property
    def standard_error(self):
        """Standard error of each condition's mean, adjusted for the pairing.

        Loftus & Masson (1994): the error term is the fold x condition
        interaction, so the between-fold variability that both conditions
        share does not count: ``sqrt(var(retained - full) / 2)`` times the
        square root of the corrected test's factor ``1 / J + n_test /
        n_train`` (Loftus & Masson's own factor is ``1 / J``, right for
        independent folds only).
        """
        return self.ttest.standard_error

    def to_frame(self):
        """Get the per-fold scores as a DataFrame.

        Returns
        -------
        pandas.DataFrame
            Columns ``full``, ``retained`` and ``n_retained``, a row per fold.
        """
        return pd.DataFrame(
            {
                "full": self.full,
                "retained": self.retained,
                "n_retained": self.n_retained,
            }
        )

    def summary(self):
        """Summarise in a short text table: means, paired errors, the tests.

        Returns
        -------
        str
            The table, ready to print.
        """
        n = len(self.full)
        if self.splits is None:
            test, naive, label = None, self.naive_ttest, "SE (naive)"
        else:
            test, naive, label = self.ttest, self.naive_ttest, "SE (corrected)"
        error = (test or naive).standard_error
        lines = [
            f"{'':10s}{'mean test 2OI':>15s}{label:>16s}",
            f"{'Full':10s}{self.full.mean():15.4f}{error:16.4f}",
            f"{'Retained':10s}{self.retained.mean():15.4f}{error:16.4f}",
            f"Retained maps: {self.n_retained.mean():.1f} of {self.n_maps} on "
            f"average (min {self.n_retained.min():.0f}, max "
            f"{self.n_retained.max():.0f})",
        ]
        if test is not None:
            lines.append(
                f"Corrected resampled t-test, Retained vs Full over {n} folds "
                f"sharing images: t({test.df}) = {test.statistic:.2f}, "
                f"p = {test.pvalue:.2g}"
            )
        lines.append(
            f"Naive paired t-test (folds as if independent; too liberal): "
            f"t({n - 1}) = {naive.statistic:.2f}, p = {naive.pvalue:.2g}"
        )
        return "\n".join(lines)


@validate_params(
    {
        "estimator": [HasMethods(["fit", "transform"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "cv": ["cv_object", PairShuffleSplit],
        "scoring": [callable, None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=False,
)
def compare_full_vs_retained(
    estimator, X, y, *, cv=None, scoring=None, n_jobs=None, verbose=0
):
    """Cross-validate the full model against its AIS-retained maps.

    In each fold the selector (and anything before it in the pipeline) is
    fitted on the training images and the train x train block of ``y``;
    then both the full model (all maps) and the retained maps are scored on
    the test x test block. This is Aim 1 of Truong, Pesenti & Hasson (2024):
    image-level 5-fold cross-validation repeated 8 times by default, and a
    test over the folds that allows for their sharing images (the corrected
    resampled t-test, :attr:`FullVsRetained.ttest`).

    With ``cv=PairShuffleSplit()`` the split is over *pairs* instead (the
    80:20 split of the paper's text): in each split the selector is fitted on
    all images with the test pairs unrated (``missing="ignore"``), and Full
    and Retained are scored on the test pairs only. Image information then
    crosses between train and test pairs (every image is in both), so this
    measures generalisation to new pairs of seen images, not to new images,
    and is optimistic compared with the image-level split.

    Parameters
    ----------
    estimator : AISFeatureMapSelector or Pipeline ending with one
        The model.
    X : array-like
        Images (for a pipeline starting with a featurizer) or features.
    y : DataFrame of shape (n_images, n_images)
        Human similarities labelled by item ids (see the target conventions);
        NaN for unrated pairs where the selector has ``missing="ignore"``.
    cv : int, cross-validation generator, iterable or PairShuffleSplit, \
default=None
        Splits of the images. ``None`` means ``RepeatedKFold(n_splits=5,
        n_repeats=8, random_state=0)``. Use plain (not stratified) folds. A
        :class:`PairShuffleSplit` splits the pairs instead (see above);
        ``splits`` then holds pair indices.
    scoring : RSAScorer, default=None
        How test sets are scored. ``None`` uses the selector's comparison;
        the similarity and the reading of ``y`` are always the selector's.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    verbose : int, default=0
        Verbosity of ``cross_validate``.

    Returns
    -------
    FullVsRetained
        Per-fold scores, with ``summary()``, ``ttest`` (corrected),
        ``naive_ttest`` and ``standard_error``.

    See Also
    --------
    mantel_test : Whether the cross-validated 2OI beats permuted items.
    PairShuffleSplit : The pair-level split.

    Examples
    --------
    >>> from sklearn.model_selection import KFold
    >>> from sklearn_ais import AISFeatureMapSelector
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> from sklearn_ais.model_selection import compare_full_vs_retained
    >>> X, H, _ = make_alignment_problem(80, 60, 6, random_state=0)
    >>> result = compare_full_vs_retained(
    ...     AISFeatureMapSelector(), X, H, cv=KFold(5, shuffle=True, random_state=0))
    >>> bool(result.retained.mean() > result.full.mean())
    True
    """
    if isinstance(cv, PairShuffleSplit):
        _, selector = split_pipeline(estimator)
        comparison = (scoring or selector).comparison
        scores, supports, splits = pair_level_scores(
            estimator, X, y, cv, comparison, n_jobs=n_jobs, verbose=verbose
        )
        return FullVsRetained(
            full=scores["full"],
            retained=scores["retained"],
            n_retained=supports.sum(axis=1),
            n_maps=supports.shape[1],
            supports=supports,
            splits=splits,
            n_images=_num_samples(X),
        )
    scores, supports, splits, _ = run_cv(
        estimator, X, y, cv=cv, scoring=scoring, n_jobs=n_jobs, verbose=verbose
    )
    return FullVsRetained(
        full=scores["full"],
        retained=scores["retained"],
        n_retained=scores["n_retained"].astype(int),
        n_maps=int(scores["n_maps"][0]),
        supports=supports,
        splits=splits,
        n_images=_num_samples(X),
    )


def _mean_cv_score(estimator, X, y, splits, scoring):
    return float(np.mean(cross_val_score(estimator, X, y, cv=splits, scoring=scoring)))


@validate_params(
    {
        "estimator": [HasMethods(["fit", "transform"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "cv": ["cv_object"],
        "n_permutations": [Interval(Integral, 1, None, closed="left")],
        "scoring": [callable, None],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=False,
)
def mantel_test(
    estimator,
    X,
    y,
    *,
    cv=None,
    n_permutations=100,
    scoring=None,
    n_jobs=None,
    random_state=0,
    verbose=0,
):
    """Permutation test of the cross-validated 2OI, permuting items of ``y``.

    scikit-learn's ``permutation_test_score`` shuffles the rows of ``y``
    only. For a similarity matrix the null hypothesis is that the items'
    labels are exchangeable, so this test permutes the rows and the columns
    of ``y`` together (as Mantel's test does) while its labels stay in place:
    item ``i`` is given the similarities of item ``p(i)``. The estimator is
    refitted and cross-validated on each permuted matrix, on the same splits
    as on the real one. Because the labels stay in place, ``X`` may carry item
    ids (which ``permutation_test_score`` refuses: its shuffle reorders
    them).

    Parameters
    ----------
    estimator : estimator or Pipeline
        The model, for example an :class:`~sklearn_ais.AISFeatureMapSelector`.
    X : array-like
        Images (for a pipeline starting with a featurizer) or features.
    y : DataFrame of shape (n_images, n_images) or ndarray
        The human similarity matrix: a DataFrame labelled by item ids whose
        index lists its items in ``X``'s order, or a square array.
    cv : int, cross-validation generator or iterable, default=None
        Splits of the images, as in ``cross_val_score`` (``None``: 5-fold
        ``KFold``). The same splits are used for every permutation.
    n_permutations : int, default=100
        Number of permuted matrices.
    scoring : RSAScorer or None, default=None
        Scorer of the test folds; ``None`` is ``RSAScorer()``.
    n_jobs : int or None, default=None
        Permutations run in parallel (joblib).
    random_state : int, RandomState instance or None, default=0
        Seed of the permutations.
    verbose : int, default=0
        Verbosity of the joblib loop over permutations.

    Returns
    -------
    score : float
        Mean cross-validated score on the real ``y``.
    permutation_scores : ndarray of shape (n_permutations,)
        Mean cross-validated score on each permuted ``y``.
    pvalue : float
        ``(C + 1) / (n_permutations + 1)``, with ``C`` the number of permuted
        scores greater than or equal to ``score``.

    See Also
    --------
    sklearn.model_selection.permutation_test_score : Shuffles rows of ``y``
        only; valid here when ``X`` carries no ids and ``y`` is a labelled
        DataFrame (each split then takes its block by label).

    Examples
    --------
    >>> from sklearn_ais import AISFeatureMapSelector
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> from sklearn_ais.model_selection import mantel_test
    >>> X, H, _ = make_alignment_problem(40, 20, 4, random_state=0)
    >>> score, null, pvalue = mantel_test(
    ...     AISFeatureMapSelector(), X, H, cv=3, n_permutations=9)
    >>> bool(pvalue <= 0.1)
    True
    """
    refuse_pair_split(cv, "mantel_test")
    if isinstance(y, pd.DataFrame):
        values, labels = labelled_matrix(y), y.index
    else:
        values = np.asarray(y, dtype=np.float64)
        if values.ndim != 2 or values.shape[0] != values.shape[1]:
            raise ValueError(
                "mantel_test permutes the rows and columns of a square similarity "
                f"matrix; y has shape {values.shape}."
            )
        labels = item_ids(X)
        labels = pd.RangeIndex(len(values)) if labels is None else labels
    if len(values) != len(labels) or len(values) != len(X):
        raise ValueError(
            f"y describes {len(values)} items (with {len(labels)} labels) but X "
            f"has {len(X)} images."
        )
    if scoring is None:
        scoring = RSAScorer()
    splits = list(check_cv(cv).split(X))
    rng = check_random_state(random_state)

    def relabelled(order):
        return pd.DataFrame(values[np.ix_(order, order)], index=labels, columns=labels)

    identity = np.arange(len(values))
    score = _mean_cv_score(clone(estimator), X, relabelled(identity), splits, scoring)
    orders = [rng.permutation(len(values)) for _ in range(n_permutations)]
    permutation_scores = np.array(
        Parallel(n_jobs=n_jobs, verbose=verbose)(
            delayed(_mean_cv_score)(
                clone(estimator), X, relabelled(order), splits, scoring
            )
            for order in orders
        )
    )
    pvalue = (np.sum(permutation_scores >= score) + 1.0) / (n_permutations + 1)
    return score, permutation_scores, float(pvalue)
