"""The pair-level split: hold out pairs of images, not images.

Fitting on some pairs and scoring on the others reuses every image on both
sides, so image information crosses between train and test: this measures
generalisation to new pairs of seen images, not to new images.
"""

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from sklearn.utils.validation import _num_samples

from .._human import item_ids, labelled_matrix, read_human_pairs
from .._similarity import pair_alignment, pair_indices
from ._cv import selector_input, split_pipeline


class PairShuffleSplit:
    """Random train/test splits of the pairs of images (the paper's 80:20).

    Each split draws ``test_size`` of the ``n (n - 1) / 2`` pairs of the
    ``n`` images of ``X`` as test pairs; the others are train pairs. The
    indices refer to the condensed pair order (scipy's ``pdist`` /
    ``squareform`` order: pair ``p`` is ``(rows[p], cols[p])`` with ``rows,
    cols = np.triu_indices(n, 1)``). Pass it as ``cv`` to
    :func:`compare_full_vs_retained`, which fits the selection with the test
    pairs unrated (``missing="ignore"``) and scores Full and Retained on the
    test pairs only.

    Image information crosses between train and test pairs: every image
    appears in both (its other pairs train the selection). A pair split
    therefore measures how well the selection generalises to new *pairs of
    seen images*, not to new images, and is optimistic compared with the
    image-level split (the default of :func:`compare_full_vs_retained`),
    where the test images are never seen in training.

    Parameters
    ----------
    n_splits : int, default=5
        Number of random splits.
    test_size : float, default=0.2
        Fraction of the pairs held out, in (0, 1); rounded up to whole pairs.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    See Also
    --------
    compare_full_vs_retained : Uses it with ``cv=PairShuffleSplit()``.
    sklearn.model_selection.ShuffleSplit : The same over samples.

    Notes
    -----
    The splits are over pairs, so scikit-learn's own cross-validation
    functions, which split samples, cannot use them: ``split`` refuses and
    says so; :meth:`split_pairs` gives the pair indices.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.model_selection import PairShuffleSplit
    >>> splitter = PairShuffleSplit(n_splits=1, random_state=0)
    >>> train, test = next(splitter.split_pairs(10))
    >>> len(train), len(test)
    (36, 9)
    """

    _parameter_constraints = {
        "n_splits": [Interval(Integral, 1, None, closed="left")],
        "test_size": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, n_splits=5, test_size=0.2, random_state=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.random_state = random_state

    def __repr__(self):
        return (
            f"PairShuffleSplit(n_splits={self.n_splits}, "
            f"test_size={self.test_size}, random_state={self.random_state!r})"
        )

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits.

        Parameters
        ----------
        X, y, groups : object
            Ignored.

        Returns
        -------
        int
            ``n_splits``.
        """
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Refuse: scikit-learn's cross-validation functions split samples.

        Given to ``cross_val_score`` or ``GridSearchCV``, pair indices would
        be read as image indices. Use :meth:`split_pairs`, or pass the
        splitter to :func:`compare_full_vs_retained`.

        Parameters
        ----------
        X, y, groups : object
            Ignored.

        Raises
        ------
        TypeError
            Always.
        """
        raise TypeError(
            "PairShuffleSplit splits the pairs of images, not the images: "
            "scikit-learn's cross-validation functions (cross_val_score, "
            "GridSearchCV, ...) would read its pair indices as image indices. "
            "Pass it to sklearn_ais.model_selection.compare_full_vs_retained("
            "..., cv=PairShuffleSplit()), or take the pair indices from "
            "split_pairs(n_images)."
        )

    def split_pairs(self, n_images):
        """Generate train and test pair indices over the pairs of ``n_images``.

        Parameters
        ----------
        n_images : int
            The number of images.

        Yields
        ------
        train, test : ndarray of int
            Sorted indices of the train and test pairs (condensed order).
        """
        validate_parameter_constraints(
            self._parameter_constraints,
            {
                "n_splits": self.n_splits,
                "test_size": self.test_size,
                "random_state": self.random_state,
            },
            caller_name=type(self).__name__,
        )
        n_pairs = n_images * (n_images - 1) // 2
        n_test = math.ceil(self.test_size * n_pairs)
        if n_test < 3 or n_pairs - n_test < 3:
            raise ValueError(
                f"{n_images} images give {n_pairs} pairs: test_size="
                f"{self.test_size} leaves {n_test} test and {n_pairs - n_test} "
                "train pairs; each side needs at least 3."
            )
        rng = check_random_state(self.random_state)
        for _ in range(self.n_splits):
            order = rng.permutation(n_pairs)
            yield np.sort(order[n_test:]), np.sort(order[:n_test])


def refuse_pair_split(cv, where):
    """Raise if ``cv`` is a :class:`PairShuffleSplit` (``where`` splits images)."""
    if isinstance(cv, PairShuffleSplit):
        raise ValueError(
            f"{where} splits images; a PairShuffleSplit splits pairs. The "
            "pair-level protocol is compare_full_vs_retained(..., "
            "cv=PairShuffleSplit())."
        )


def _square(y, n_images):
    """``y`` as a square float matrix and its labels (None for an array)."""
    if isinstance(y, pd.DataFrame):
        return labelled_matrix(y), y.index
    values = np.asarray(y, dtype=np.float64)
    if values.shape != (n_images, n_images):
        raise ValueError(
            "A pair-level split needs y as a square similarity matrix (a "
            "DataFrame labelled by item ids, or an array) over the images of X; "
            f"got shape {values.shape} for {n_images} images."
        )
    return values, None


def _unrated(matrix, labels, pairs):
    """The matrix with ``pairs`` (condensed indices) set to NaN on both sides."""
    rows, cols = pair_indices(len(matrix))
    out = matrix.copy()
    out[rows[pairs], cols[pairs]] = out[cols[pairs], rows[pairs]] = np.nan
    return out if labels is None else pd.DataFrame(out, index=labels, columns=labels)


def _ignoring_missing(estimator):
    """A clone whose selector reads NaN pairs as unrated."""
    fitted = clone(estimator)
    if isinstance(fitted, Pipeline):
        return fitted.set_params(**{f"{fitted.steps[-1][0]}__missing": "ignore"})
    return fitted.set_params(missing="ignore")


def _pair_fold(estimator, X, fit_y, human, test, comparison):
    """Fit on the train pairs; Full and Retained 2OI on the test pairs."""
    fitted = _ignoring_missing(estimator).fit(X, fit_y)
    selector, features = selector_input(fitted, X)
    everything = np.ones(selector.n_features_in_, dtype=bool)
    embeddings = selector.embed_subsets(features, [everything, selector.support_])
    scores = {}
    for name, embedded in zip(("full", "retained"), embeddings):
        scores[name] = pair_alignment(
            embedded,
            human,
            similarity=selector.similarity,
            comparison=comparison,
            pairs=test,
        )
    return scores, selector.support_.copy()


def pair_level_scores(estimator, X, y, cv, comparison, n_jobs=None, verbose=0):
    """Full and Retained 2OI on the held-out pairs of each pair split.

    Returns
    -------
    scores : dict of str to ndarray of shape (n_splits,)
        ``full`` and ``retained``.
    supports : ndarray of shape (n_splits, n_maps), dtype=bool
        The retained maps of each split.
    splits : list of (train, test) pair index arrays
        The splits.
    """
    _, selector = split_pipeline(estimator)
    n_images = _num_samples(X)
    matrix, labels = _square(y, n_images)
    # The human pairs as the selector reads them (the user's own NaN pairs
    # follow its missing=); the held-out pairs are scored against these.
    human = read_human_pairs(
        y,
        n_images,
        target=selector.target,
        similarity=selector.similarity,
        ids=item_ids(X),
        missing=selector.missing,
    ).pairs
    splits = list(cv.split_pairs(n_images))
    results = Parallel(n_jobs=n_jobs, verbose=verbose)(
        delayed(_pair_fold)(
            estimator, X, _unrated(matrix, labels, test), human, test, comparison
        )
        for _, test in splits
    )
    scores = {
        name: np.array([fold[name] for fold, _ in results])
        for name in ("full", "retained")
    }
    supports = np.array([support for _, support in results])
    return scores, supports, splits
