"""Match between two models' heatmaps, softmax entropy, and their correlation."""

import numpy as np
import pytest


def test_heatmap_match_known_cases():
    from sklearn_ais.analysis import heatmap_match

    rng = np.random.default_rng(0)
    h = rng.uniform(size=(7, 7))
    match, sizes = heatmap_match([h, h, h], [h, -h, np.ones((7, 7))])
    assert match[0] == pytest.approx(1.0) and match[1] == pytest.approx(-1.0)
    assert np.isnan(match[2])
    # Different resolutions: compared at the stated size, recorded.
    fine = np.kron(h, np.ones((2, 2)))
    match, sizes = heatmap_match([h], [fine], size=(14, 14))
    assert sizes == [(14, 14)] and match[0] > 0.9
    with pytest.raises(ValueError, match="2 heatmaps against 1"):
        heatmap_match([h, h], [h])


def test_softmax_entropy_bounds():
    from sklearn_ais.analysis import softmax_entropy

    logits = np.array([[0.0] * 10, [50.0] + [0.0] * 9, [1.0, 2.0] + [0.0] * 8])
    entropy = softmax_entropy(logits)
    assert entropy[0] == pytest.approx(np.log(10))
    assert entropy[1] == pytest.approx(0.0, abs=1e-12)
    assert 0 < entropy[2] < np.log(10)
    # Invariant to a shift of the logits (softmax is).
    np.testing.assert_allclose(softmax_entropy(logits + 1000.0), entropy)


def test_match_entropy_correlation():
    from sklearn_ais.analysis import match_entropy_correlation

    match = np.array([0.9, 0.7, np.nan, 0.2, 0.1])
    low, high = np.array([0.1, 0.3, 0.5, 1.0, 1.5]), np.array([0.2, 0.2, 0.2, 0.2, 2.0])
    result = match_entropy_correlation(match, low, high)
    assert result["n"] == 4
    expected = np.corrcoef([0.9, 0.7, 0.2, 0.1], [0.2, 0.3, 1.0, 2.0])[0, 1]
    assert result["r"] == pytest.approx(expected)
    assert np.isnan(match_entropy_correlation([1, 1, 1], low[:3], high[:3])["r"])
