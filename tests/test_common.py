"""scikit-learn's common estimator checks over every public estimator.

Estimators are discovered from ``sklearn_ais.__all__``. Each one either runs
the whole ``parametrize_with_checks`` suite, with every check it is expected
to fail listed in ``EXPECTED_FAILED_CHECKS`` with the reason, or, if its input
is not a numeric feature matrix (the data every data check feeds), is listed
in ``NOT_A_FEATURE_MATRIX`` with the reason and runs the checks that need no
data. Nothing is skipped silently: a test fails if an estimator is in neither
group.
"""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_cloneable,
    check_estimator_repr,
    check_estimators_unfitted,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    check_valid_tag_types,
    parametrize_with_checks,
)

import sklearn_ais

# Parameters under which the data checks run, with the reason.
CHECK_PARAMS = {
    # The data checks feed 1-D labels, one per sample. The selector refuses a
    # length-n vector under its default target="auto" (it compares pairs of
    # images; a vector of n values is not a similarity matrix), and reads it
    # with target="embedding" as one rating per image. The default
    # configuration runs the API checks below.
    "AISFeatureMapSelector": {"target": "embedding"},
    # Offline: default weights would download.
    "TorchvisionFeaturizer": {"weights": None},
    "VGGFeaturizer": {"weights": None},
}

EXPECTED_FAILED_CHECKS = {}

_IMAGES = (
    "input is images (file paths, PIL images, pixel arrays or tensors): the "
    "data checks feed 2-D numeric feature matrices, which are not images"
)
NOT_A_FEATURE_MATRIX = {
    "AISHeatmapExplainer": (
        "input is images, or 4-D feature maps with featurizer='passthrough': the "
        "data checks feed 2-D numeric feature matrices"
    ),
    "EfficientNetLite0Featurizer": _IMAGES,
    "EfficientNetLiteFeaturizer": _IMAGES,
    # module=None (its default) is an error in fit; the API checks need no fit.
    "ModuleFeaturizer": _IMAGES,
    "TorchvisionFeaturizer": _IMAGES,
    "VGGFeaturizer": _IMAGES,
}

API_CHECKS = [
    check_estimator_cloneable,
    check_valid_tag_types,
    check_estimator_repr,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_get_params_invariance,
    check_set_params,
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimators_unfitted,
]


def discover_estimators():
    """Every public estimator class of ``sklearn_ais``."""
    return [
        getattr(sklearn_ais, name)
        for name in sorted(sklearn_ais.__all__)
        if inspect.isclass(getattr(sklearn_ais, name))
        and issubclass(getattr(sklearn_ais, name), BaseEstimator)
    ]


def instances(feature_matrix):
    return [
        cls(**CHECK_PARAMS.get(cls.__name__, {}))
        for cls in discover_estimators()
        if (cls.__name__ not in NOT_A_FEATURE_MATRIX) == feature_matrix
    ]


def expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


def test_every_estimator_is_checked():
    names = {cls.__name__ for cls in discover_estimators()}
    assert "AISFeatureMapSelector" in names
    assert set(NOT_A_FEATURE_MATRIX) <= names
    for estimator in instances(feature_matrix=False):
        # Listed as taking no feature matrix: its tags must say so.
        assert not get_tags(estimator).input_tags.two_d_array


@parametrize_with_checks(
    instances(feature_matrix=True), expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def default_instances():
    """Every estimator with its default parameters, where CHECK_PARAMS changes them."""
    return [cls() for cls in discover_estimators() if cls.__name__ in CHECK_PARAMS]


@pytest.mark.parametrize(
    "estimator",
    instances(feature_matrix=False) + default_instances(),
    ids=lambda e: repr(e),
)
@pytest.mark.parametrize("check", API_CHECKS, ids=lambda check: check.__name__)
def test_sklearn_api_checks(estimator, check):
    """The API checks (no data) on image estimators and on default configurations."""
    check(type(estimator).__name__, estimator)
