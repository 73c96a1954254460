"""AIS heatmaps against saliency maps: relative risk, precision-recall."""

import warnings

import numpy as np
import pytest


def test_relative_risk_known_cases():
    from sklearn_ais.analysis import relative_risk

    h = np.arange(100.0).reshape(10, 10)
    # Identical maps: the AIS region lies only where it is salient.
    assert relative_risk([h], [h], top=10)[0] == np.inf
    # Disjoint top regions.
    assert relative_risk([h], [-h], top=10)[0] == 0.0
    # A flat saliency map: the salient region is everything, nothing outside.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(relative_risk([h], [np.zeros((10, 10))], top=10)[0])
    # Half overlap: top 20 % of h (rows 8-9) vs a map whose top 20 % is rows
    # 9 and 0: P(A|S) = 10/20, P(A|not S) = 10/80.
    other = h.copy()
    other[0] += 1000
    assert relative_risk([h], [other], top=20)[0] == pytest.approx(4.0)


def test_precision_recall_equal_sklearn_at_the_same_thresholds():
    from sklearn.metrics import precision_recall_curve

    from sklearn_ais.analysis import saliency_precision_recall, top_region

    rng = np.random.default_rng(2)
    heatmaps = [rng.uniform(size=(12, 16)) for _ in range(3)]
    saliency = [h + rng.normal(scale=0.3, size=h.shape) for h in heatmaps]
    percentiles = np.arange(1, 100, 2)
    precision, recall = saliency_precision_recall(
        heatmaps, saliency, ais_percentile=70, saliency_percentiles=percentiles
    )
    assert precision.shape == recall.shape == (4, len(percentiles))
    for i in range(3):
        target = top_region(heatmaps[i], percent=30).ravel()
        scores = saliency[i].ravel()
        sk_precision, sk_recall, sk_thresholds = precision_recall_curve(target, scores)
        for j, threshold in enumerate(np.percentile(scores, percentiles)):
            # sklearn's point for "score >= threshold": the smallest distinct
            # score at or above it.
            k = np.searchsorted(sk_thresholds, threshold)
            assert precision[i, j] == pytest.approx(sk_precision[k])
            assert recall[i, j] == pytest.approx(sk_recall[k])
    # Pooled: counts summed over images.
    assert np.all(recall[-1] >= recall[:-1].min(axis=0) - 1e-12)
    # Recall falls as the saliency threshold rises.
    assert np.all(np.diff(recall[:-1], axis=1) <= 1e-12)


def test_spectral_residual_saliency_finds_a_lone_object():
    pytest.importorskip("cv2")
    from sklearn_ais.analysis import relative_risk, spectral_residual_saliency

    image = np.full((64, 80, 3), 128, dtype=np.uint8)
    image[20:30, 50:62] = (255, 0, 0)
    (saliency,) = spectral_residual_saliency([image])
    assert saliency.shape == (64, 80) and saliency.dtype == np.float32
    mask = np.zeros((64, 80), dtype=bool)
    mask[20:30, 50:62] = True
    assert saliency[mask].mean() > 3 * saliency[~mask].mean()
    # An AIS heatmap on the object: its top region is where it is salient.
    assert relative_risk([mask * 1.0 + 0.01], [saliency], top=2)[0] > 5
