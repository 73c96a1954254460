"""The whole study of one data set in one call: what ``sklearn-ais`` runs."""

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch
from sklearn.utils._param_validation import (
    HasMethods,
    StrOptions,
    validate_params,
)

from .._human import TARGETS
from ._ceiling import noise_ceiling
from ._controls import compare_selection_controls


def _explainer(estimator):
    """A heatmap explainer with the selector's shared options."""
    from ..explain import AISHeatmapExplainer

    explainer = AISHeatmapExplainer(featurizer="passthrough")
    own = estimator.get_params(deep=False)
    shared = set(explainer.get_params(deep=False)) & set(own) - {"featurizer"}
    return explainer.set_params(**{name: own[name] for name in shared})


# The data, cv, n_random, n_bootstrap and random_state are validated by
# compare_selection_controls, which runs first.
@validate_params(
    {
        "estimator": [HasMethods(["fit", "transform"])],
        "subjects": ["array-like", None],
        "subjects_target": [StrOptions(set(TARGETS))],
    },
    prefer_skip_nested_validation=False,
)
def run_study(
    estimator,
    X,
    y,
    *,
    cv=None,
    n_random=10,
    n_bootstrap=0,
    subjects=None,
    subjects_target="auto",
    random_state=0,
):
    """Fit AIS on all images and validate it out of sample, in one call.

    What ``sklearn-ais run`` and ``sklearn-ais demo`` compute, and what
    :func:`~sklearn_ais.report.write_report` draws: the selector fitted on
    every image (AIS, S*), per-image heatmaps when ``X`` holds spatial
    feature maps, the retained maps against the full model and same-size
    controls on the same test folds (:func:`compare_selection_controls`)
    and, with per-subject matrices, the subjects as a random effect and the
    noise ceiling on those folds in the selector's comparison
    (:class:`SubjectLevel`, :func:`noise_ceiling`).

    Parameters
    ----------
    estimator : AISFeatureMapSelector
        The selector, unfitted; it is cloned. The explainer takes its
        options (similarity, comparison, target, missing, device, ...).
    X : FeatureMaps or array-like
        Feature maps of shape (n_images, n_maps, height, width) (pass the
        output of a featurizer's ``fit_transform`` so that the maps are
        computed once), or pooled features of shape (n_images, n_maps).
    y : DataFrame of shape (n_images, n_images)
        Human similarities labelled by item ids.
    cv : int, cross-validation generator or iterable, default=None
        Splits of the images; ``None`` means ``RepeatedKFold(n_splits=5,
        n_repeats=8, random_state=0)``.
    n_random : int, default=10
        Random same-size subsets scored in each fold.
    n_bootstrap : int, default=0
        Bootstrap samples of the images for the intervals of Full, Retained
        and their difference; 0 computes none.
    subjects : list of DataFrame of shape (n_images, n_images), default=None
        Per-subject matrices over the same images (see
        :func:`~sklearn_ais.io.read_subjects`): Full and Retained against
        each subject (``controls.subjects``) and the noise ceiling; ``None``
        computes neither.
    subjects_target : {"auto", "similarity", "dissimilarity"}, default="auto"
        What the per-subject matrices hold (may differ from ``y``).
    random_state : int, RandomState instance or None, default=0
        Seed of the random subsets, the bootstrap and the ceiling's split
        halves.

    Returns
    -------
    study : :class:`~sklearn.utils.Bunch`
        With attributes ``selector`` (fitted on every image), ``explainer``
        (a fitted :class:`~sklearn_ais.AISHeatmapExplainer`, or ``None``
        when ``X`` is not 4-D), ``controls`` (a :class:`SelectionControls`
        whose ``splits`` are the folds) and ``ceiling`` (a
        :class:`NoiseCeiling`, or ``None`` without ``subjects``).

    See Also
    --------
    compare_selection_controls : The cross-validation of the study.
    sklearn_ais.report.write_report : The study as a report folder.

    Examples
    --------
    >>> from sklearn.model_selection import KFold
    >>> from sklearn_ais import AISFeatureMapSelector
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> from sklearn_ais.model_selection import run_study
    >>> X, H, _ = make_alignment_problem(40, 30, 4, random_state=0)
    >>> study = run_study(
    ...     AISFeatureMapSelector(), X, H, cv=KFold(3, shuffle=True, random_state=0)
    ... )
    >>> study.selector.n_features_ > 0, study.explainer is None
    (True, True)
    >>> len(study.controls.full)
    3
    """
    controls = compare_selection_controls(
        clone(estimator),
        X,
        y,
        cv=cv,
        n_random=n_random,
        n_bootstrap=n_bootstrap,
        subjects=subjects,
        subjects_target=subjects_target,
        random_state=random_state,
    )
    selector = clone(estimator).fit(X, y)
    explainer = None
    if np.ndim(X) == 4:
        explainer = _explainer(estimator).fit(X, y)
    ceiling = None
    if subjects is not None:
        # The blocks of Full and Retained, in the study's comparison.
        ceiling = noise_ceiling(
            subjects,
            cv=controls.splits,
            comparison=selector.comparison,
            target=subjects_target,
            random_state=random_state,
        )
    return Bunch(
        selector=selector, explainer=explainer, controls=controls, ceiling=ceiling
    )
