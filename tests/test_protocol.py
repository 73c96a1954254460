"""run_study: the command's study from Python, equal to its parts."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from sklearn_ais import AISFeatureMapSelector, AISHeatmapExplainer
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.model_selection import (
    compare_across_subjects,
    compare_selection_controls,
    noise_ceiling,
    run_study,
)

CV = KFold(3, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def problem():
    """Spatial maps (4 x 4 locations per map) whose pooled means carry the
    relevant attributes, and noisy per-subject copies of the matrix."""
    X, H, _ = make_alignment_problem(30, 12, 3, random_state=0)
    rng = np.random.default_rng(0)
    maps = X[:, :, None, None] + rng.normal(scale=0.1, size=(*X.shape, 4, 4))
    values = H.to_numpy()
    subjects = []
    for _ in range(3):
        noise = rng.normal(scale=0.05, size=values.shape)
        subject = values + noise + noise.T
        np.fill_diagonal(subject, subject.max())  # read as similarities
        subjects.append(pd.DataFrame(subject, index=H.index, columns=H.index))
    return maps.astype(np.float32), H, subjects


def test_the_study_equals_its_parts(problem):
    maps, H, subjects = problem
    estimator = AISFeatureMapSelector(comparison="pearson")
    study = run_study(
        estimator, maps, H, cv=CV, n_random=2, subjects=subjects, random_state=3
    )
    selector = AISFeatureMapSelector(comparison="pearson").fit(maps, H)
    np.testing.assert_array_equal(study.selector.ais_, selector.ais_)
    # The explainer takes the selector's options.
    assert isinstance(study.explainer, AISHeatmapExplainer)
    assert study.explainer.comparison == "pearson"
    assert study.explainer.featurizer == "passthrough"
    controls = compare_selection_controls(
        AISFeatureMapSelector(comparison="pearson"),
        maps,
        H,
        cv=CV,
        n_random=2,
        random_state=3,
    )
    pd.testing.assert_frame_equal(study.controls.to_frame(), controls.to_frame())
    ceiling = noise_ceiling(
        subjects, cv=controls.splits, comparison="pearson", random_state=3
    )
    pd.testing.assert_frame_equal(study.ceiling.to_frame(), ceiling.to_frame())
    # The subjects as a random effect, on the same fitted folds.
    across = compare_across_subjects(
        AISFeatureMapSelector(comparison="pearson"),
        maps,
        H,
        subjects,
        cv=CV,
        n_bootstrap=0,
    )
    pd.testing.assert_frame_equal(study.controls.subjects.scores, across.scores)
    assert not hasattr(estimator, "ais_")  # cloned, not fitted


def test_pooled_features_have_no_explainer_and_no_ceiling(problem):
    maps, H, _ = problem
    study = run_study(AISFeatureMapSelector(), maps.mean(axis=(2, 3)), H, cv=CV)
    assert study.explainer is None and study.ceiling is None
    assert len(study.controls.full) == 3


def test_bad_options_are_refused_before_any_work(problem):
    maps, H, _ = problem
    with pytest.raises(ValueError, match="subjects_target"):
        run_study(AISFeatureMapSelector(), maps, H, subjects_target="both")
