"""The cross-validation machinery every function of this package shares.

One ``cross_validate`` call per study: in each fold the pipeline is fitted
on the training images and the train x train block of ``y``; one scorer then
scores every subset of maps of interest (all maps, the retained ones, the
controls) on the test x test block, so the upstream steps (the featurizer)
run once per test fold and every subset sees the same images.
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.model_selection import RepeatedKFold, check_cv, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from .._human import item_ids
from .._scoring import RSAScorer
from ..selection import AISFeatureMapSelector

STATISTICS_STEP = "map_statistics"


def default_cv(cv):
    """The paper's image-level 5-fold cross-validation repeated 8 times."""
    return RepeatedKFold(n_splits=5, n_repeats=8, random_state=0) if cv is None else cv


def split_pipeline(estimator):
    """``(upstream, selector)``: the steps before the selector, and the selector."""
    if isinstance(estimator, Pipeline):
        selector = estimator.steps[-1][1]
        upstream = estimator[:-1] if len(estimator.steps) > 1 else None
    else:
        selector, upstream = estimator, None
    if not isinstance(selector, AISFeatureMapSelector):
        raise TypeError(
            "This needs an AISFeatureMapSelector, or a Pipeline ending with "
            f"one; got {type(selector).__name__}."
        )
    return upstream, selector


def selector_input(estimator, X):
    """``(selector, features)``: the fitted selector of ``estimator`` and what
    it receives for ``X`` (the output of the upstream steps), for its
    :meth:`~sklearn_ais.AISFeatureMapSelector.embed_subsets`."""
    upstream, selector = split_pipeline(estimator)
    return selector, X if upstream is None else upstream.transform(X)


def pooled(X):
    """One value per (image, map): the maps' spatial means, or the 2-D columns."""
    values = np.asarray(X, dtype=np.float64)
    return values.mean(axis=(2, 3)) if values.ndim == 4 else values


class MapStatistics(TransformerMixin, BaseEstimator):
    """Passes ``X`` through; records each map's mean and variance in ``fit``.

    Placed before the selector, so that the control rankings of a fold come
    from its training images only.
    """

    def fit(self, X, y=None):
        values = pooled(X)
        self.means_ = values.mean(axis=0)
        self.variances_ = values.var(axis=0)
        return self

    def transform(self, X):
        return X

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)


def _with_statistics(estimator):
    """The estimator as a pipeline with a :class:`MapStatistics` step before
    the selector (a selector's own featurizer becomes the first step)."""
    upstream, selector = split_pipeline(estimator)
    steps = [] if upstream is None else list(upstream.steps)
    if not isinstance(selector.featurizer, str):
        steps.append(("featurizer", selector.featurizer))
        selector = clone(selector).set_params(featurizer="passthrough")
    name = estimator.steps[-1][0] if isinstance(estimator, Pipeline) else "selector"
    return Pipeline([*steps, (STATISTICS_STEP, MapStatistics()), (name, selector)])


def top_maps(values, size):
    """Mask of the ``size`` maps of largest ``values`` (ties in map order)."""
    mask = np.zeros(len(values), dtype=bool)
    mask[np.argsort(-np.asarray(values), kind="stable")[:size]] = True
    return mask


def random_orders(seed, n_random, n_maps):
    """``n_random`` seeded random orders of the maps; draw ``j`` keeps the
    first ``m`` maps of order ``j`` in a fold whose S* has ``m`` maps."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n_maps) for _ in range(n_random)]


class SubsetScorer:
    """Scores Full, Retained and the control subsets on one test fold.

    Returns a dict of floats, as ``cross_validate`` wants: ``full``,
    ``retained``, ``n_retained``, ``n_maps``, then ``random_0`` ...
    ``random_{n_random - 1}``, and ``top_mean`` and ``top_variance`` when the
    pipeline has a :class:`MapStatistics` step; and the retained maps as
    ``support_0`` ... ``support_{n_maps - 1}`` (0 or 1), so that the fitted
    estimators need not come back from the workers (a VGG head weighs
    about 0.5 GB).
    """

    def __init__(self, scorer, n_random=0, seed=0):
        self.scorer = scorer
        self.n_random = n_random
        self.seed = seed

    def _controls(self, estimator, n_maps, size):
        subsets = {}
        for j, order in enumerate(random_orders(self.seed, self.n_random, n_maps)):
            subsets[f"random_{j}"] = np.zeros(n_maps, dtype=bool)
            subsets[f"random_{j}"][order[:size]] = True
        if isinstance(estimator, Pipeline) and STATISTICS_STEP in estimator.named_steps:
            statistics = estimator.named_steps[STATISTICS_STEP]
            subsets["top_mean"] = top_maps(statistics.means_, size)
            subsets["top_variance"] = top_maps(statistics.variances_, size)
        return subsets

    def __call__(self, estimator, X, y):
        ids = item_ids(X)
        selector, features = selector_input(estimator, X)
        n_maps, size = selector.n_features_in_, selector.n_features_
        subsets = {
            "full": np.ones(n_maps, dtype=bool),
            "retained": selector.support_,
            **self._controls(estimator, n_maps, size),
        }
        # One featurizer pass and one engine for every subset.
        embeddings = selector.embed_subsets(features, list(subsets.values()))
        scores = {
            name: self.scorer.score_model(selector, embedded, y, ids=ids)
            for name, embedded in zip(subsets, embeddings)
        }
        results = {
            "full": scores.pop("full"),
            "retained": scores.pop("retained"),
            "n_retained": float(size),
            "n_maps": float(n_maps),
            **scores,
        }
        for k, kept in enumerate(selector.support_):
            results[f"support_{k}"] = float(kept)
        return results


def run_cv(
    estimator,
    X,
    y,
    *,
    cv=None,
    scoring=None,
    n_random=0,
    statistics=False,
    random_state=0,
    return_estimator=False,
    n_jobs=None,
    verbose=0,
):
    """Cross-validate the subsets of maps; the one loop over folds.

    Returns
    -------
    scores : dict of str to ndarray of shape (n_folds,)
        What :class:`SubsetScorer` returns, per fold.
    supports : ndarray of shape (n_folds, n_maps), dtype=bool
        The retained maps of each fold.
    splits : list of (train, test) index arrays
        The folds.
    estimators : list or None
        The fitted pipelines (or selectors), one per fold, with
        ``return_estimator``.
    """
    _, selector = split_pipeline(estimator)
    if scoring is None:
        scoring = RSAScorer(comparison=selector.comparison)
    seed = (
        random_state
        if isinstance(random_state, Integral)
        else check_random_state(random_state).randint(np.iinfo(np.int32).max)
    )
    if statistics:
        estimator = _with_statistics(estimator)
    results = cross_validate(
        estimator,
        X,
        y,
        cv=check_cv(default_cv(cv)),
        scoring=SubsetScorer(scoring, n_random, seed),
        n_jobs=n_jobs,
        verbose=verbose,
        error_score="raise",
        return_estimator=return_estimator,
        return_indices=True,
    )
    scores = {
        key.removeprefix("test_"): value
        for key, value in results.items()
        if key.startswith("test_") and not key.startswith("test_support_")
    }
    n_maps = int(scores["n_maps"][0])
    supports = np.column_stack(
        [results[f"test_support_{k}"] for k in range(n_maps)]
    ).astype(bool)
    estimators = list(results["estimator"]) if return_estimator else None
    indices = results["indices"]
    splits = list(zip(indices["train"], indices["test"]))
    return scores, supports, splits, estimators
