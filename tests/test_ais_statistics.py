"""Summaries of per-image AIS and the comparison of two sets of AIS."""

import numpy as np
import pytest


def test_ais_statistics_and_comparison():
    from sklearn_ais.analysis import ais_statistics, compare_ais

    ais = np.array([[0.2, -0.2, np.nan], [0.4, 0.0, 0.1]])
    per_map, per_image = ais_statistics(ais)
    np.testing.assert_allclose(per_map["mean"], [0.3, -0.1, 0.1])
    np.testing.assert_allclose(per_map["mad"], [0.1, 0.1, 0.0])
    np.testing.assert_allclose(per_image["mean"], [0.0, 0.5 / 3])
    rng = np.random.default_rng(1)
    a = rng.normal(size=500)
    same = compare_ais(a, a)
    assert same["ks_statistic"] == 0.0 and same["pearson_r"] == pytest.approx(1.0)
    shifted = compare_ais(a, rng.normal(loc=1.0, size=400))
    assert shifted["ks_pvalue"] < 1e-6 and "pearson_r" not in shifted


def test_compare_ais_without_a_common_finite_pair_is_nan():
    from sklearn_ais.analysis import compare_ais

    # Same shape, but no entry finite on both sides: no correlation.
    result = compare_ais([1.0, 2.0, np.nan, np.nan], [np.nan, np.nan, 1.0, 2.0])
    assert result["ks_statistic"] == 0.0
    assert np.isnan(result["pearson_r"]) and np.isnan(result["pearson_pvalue"])
