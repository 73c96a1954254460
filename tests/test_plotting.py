"""Displays: from_estimator / plot, ax= accepted, artists kept."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sklearn_ais import AISFeatureMapSelector, AISHeatmapExplainer
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.plotting import HeatmapDisplay, SelectionPathDisplay


@pytest.fixture(scope="module")
def explainer_and_images():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (20, 28, 3), dtype=np.uint8) for _ in range(6)]
    maps = rng.uniform(size=(6, 5, 4, 6)).astype(np.float32)
    _, H, _ = make_alignment_problem(6, 4, 2, random_state=0)
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(maps, H)
    return explainer, images


def test_heatmap_display_from_estimator(explainer_and_images):
    explainer, _ = explainer_and_images
    display = HeatmapDisplay.from_estimator(explainer, n_cols=3)
    assert len(display.overlays_) == 6 and display.axes_.shape == (6,)
    assert display.axes_[0].get_title() == "img0000"
    assert display.colorbar_ is not None
    plt.close("all")


def test_heatmap_display_accepts_axes_and_images(explainer_and_images):
    explainer, images = explainer_and_images
    heatmaps = [np.resize(h, (20, 28)) for h in explainer.heatmaps_[:2]]
    figure, axes = plt.subplots(1, 2)
    display = HeatmapDisplay(heatmaps=heatmaps, images=images[:2], titles=["a", "b"])
    display.plot(ax=axes)
    assert display.figure_ is figure
    assert [ax.get_title() for ax in display.axes_] == ["a", "b"]
    # The image and the overlay on each axes.
    assert len(axes[0].get_images()) == 2
    with pytest.raises(ValueError, match="2 heatmaps need 2 axes"):
        HeatmapDisplay(heatmaps=heatmaps).plot(ax=axes[:1])
    plt.close("all")


def test_selection_path_display():
    X, H, _ = make_alignment_problem(40, 20, 4, random_state=0)
    selector = AISFeatureMapSelector().fit(X, H)
    figure, ax = plt.subplots()
    display = SelectionPathDisplay.from_estimator(selector, ax=ax)
    assert display.ax_ is ax and display.figure_ is figure
    np.testing.assert_array_equal(display.line_.get_ydata(), selector.scores_path_)
    m = selector.n_features_
    assert display.marker_.get_xdata()[0] == m
    assert display.marker_.get_ydata()[0] == selector.scores_path_[m - 1]
    plt.close("all")


def test_saliency_comparison_display():
    from sklearn_ais.analysis import relative_risk
    from sklearn_ais.plotting import SaliencyComparisonDisplay

    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (24, 30, 3), dtype=np.uint8) for _ in range(3)]
    heatmaps = [rng.uniform(size=(24, 30)) for _ in range(3)]
    saliency = [heatmaps[0], -heatmaps[1], rng.uniform(size=(24, 30))]
    figure, axes = plt.subplots(1, 3)
    display = SaliencyComparisonDisplay(
        images=images, ais_heatmaps=heatmaps, saliency=saliency, titles=list("abc")
    ).plot(ax=axes)
    assert display.figure_ is figure and display.relative_risks_.shape == (3, 3)
    assert np.isinf(display.relative_risks_[0]).all()
    assert (display.relative_risks_[1] == 0).all()
    np.testing.assert_array_equal(
        display.relative_risks_[:, 1], relative_risk(heatmaps, saliency, top=10)
    )
    assert display.axes_[0].get_title().startswith("a\nRR 5%: inf")
    # Two contour sets (AIS solid, saliency dashed) per region size.
    assert len(display.axes_[2].collections) == 6
    plt.close("all")


def test_ais_distribution_display(explainer_and_images):
    from sklearn_ais.plotting import AISDistributionDisplay

    explainer, _ = explainer_and_images
    figure, ax = plt.subplots()
    display = AISDistributionDisplay.from_estimator(explainer, per_image=True, ax=ax)
    assert display.ax_ is ax and list(display.bars_) == ["AISHeatmapExplainer"]
    counts = sum(patch.get_height() for patch in display.bars_["AISHeatmapExplainer"])
    assert counts == np.isfinite(explainer.ais_per_image_).sum()
    plt.close("all")


def test_saliency_precision_recall_display_draws_the_pooled_curves():
    from sklearn_ais.analysis import saliency_precision_recall
    from sklearn_ais.plotting import SaliencyPrecisionRecallDisplay

    rng = np.random.default_rng(0)
    heatmaps = [rng.random((12, 15)) for _ in range(3)]
    saliency = [h + rng.normal(scale=0.3, size=h.shape) for h in heatmaps]
    _, ax = plt.subplots()
    display = SaliencyPrecisionRecallDisplay.from_predictions(
        heatmaps, saliency, ais_percentiles=(70, 90), ax=ax, per_image=True
    )
    assert display.ax_ is ax and len(display.lines_) == 2
    precision, recall = saliency_precision_recall(heatmaps, saliency, ais_percentile=90)
    np.testing.assert_array_equal(display.lines_[1].get_xdata(), recall[-1])
    np.testing.assert_array_equal(display.lines_[1].get_ydata(), precision[-1])
    # 2 pooled lines, 2 x 3 per-image lines (chance lines are not Line2D data).
    assert len(ax.lines) >= 8
    plt.close("all")


def test_deletion_curve_display_means_and_areas():
    import pandas as pd

    from sklearn_ais.analysis import deletion_auc
    from sklearn_ais.plotting import DeletionCurveDisplay

    rng = np.random.default_rng(1)
    rows = [
        (fold, method, percent, rng.random())
        for fold in range(3)
        for method in ("ais", "random", "saliency")
        for percent in (0.0, 10.0, 40.0)
    ]
    curves = pd.DataFrame(rows, columns=["fold", "method", "percent", "score"])
    _, ax = plt.subplots()
    display = DeletionCurveDisplay(curves=curves, keep=True, label="in-sample")
    display.plot(ax=ax)
    assert display.ax_ is ax and set(display.lines_) == {"ais", "random", "saliency"}
    expected = curves[curves["method"] == "random"].groupby("percent")["score"].mean()
    np.testing.assert_allclose(display.lines_["random"].get_ydata(), expected)
    pd.testing.assert_frame_equal(display.auc_, deletion_auc(curves))
    assert "in-sample" in ax.get_title() and "kept" in ax.get_xlabel()
    assert "AUC" in display.lines_["ais"].get_label()
    plt.close("all")


def test_map_resolution_heatmaps_cover_their_images(explainer_and_images):
    # featurizer="passthrough": heatmaps of 4 x 6 over images of 20 x 28.
    explainer, images = explainer_and_images
    display = HeatmapDisplay.from_estimator(explainer, images, indices=[0, 1])
    for axis, overlay in zip(display.axes_, display.overlays_):
        image = axis.get_images()[0]
        assert image.get_array().shape[:2] == (20, 28)
        # The overlay spans the whole image, not its top-left pixels.
        assert overlay.get_extent() == pytest.approx([-0.5, 27.5, 19.5, -0.5])
    # Given directly at map resolution, the same.
    direct = HeatmapDisplay(
        heatmaps=list(explainer.map_heatmaps_[:1]), images=images[:1]
    )
    assert direct.plot().overlays_[0].get_extent() == pytest.approx(
        [-0.5, 27.5, 19.5, -0.5]
    )
    plt.close("all")


def test_large_photos_are_drawn_at_the_panel_size(tmp_path, monkeypatch):
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i in range(3):
        path = tmp_path / f"photo{i}.jpg"
        pixels = rng.integers(0, 256, (1200, 1800, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path, quality=80)
        paths.append(path)
    maps = rng.uniform(size=(3, 4, 5, 7)).astype(np.float32)
    H = np.array([[1.0, 0.2, 0.5], [0.2, 1.0, 0.3], [0.5, 0.3, 1.0]])
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(maps, H)

    def full_size(self):
        raise AssertionError("heatmaps_ computes every image's full-size heatmap")

    monkeypatch.setattr(AISHeatmapExplainer, "heatmaps_", property(full_size))
    display = HeatmapDisplay.from_estimator(explainer, paths, indices=[2])
    # 1200 x 1800 drawn at 341 x 512, the heatmap at the same size.
    assert display.heatmaps[0].shape == (341, 512)
    assert display.axes_[0].get_images()[0].get_array().shape == (341, 512, 3)
    assert display.overlays_[0].get_extent() == pytest.approx(
        [-0.5, 511.5, 340.5, -0.5]
    )
    full = HeatmapDisplay.from_estimator(
        explainer, paths[:1], indices=[0], max_size=None
    )
    assert full.heatmaps[0].shape == (1200, 1800)
    plt.close("all")


def test_full_vs_retained_display_uses_the_corrected_test():
    import matplotlib.pyplot as plt
    from sklearn.model_selection import RepeatedKFold

    from sklearn_ais.model_selection import FullVsRetained
    from sklearn_ais.plotting import FullVsRetainedDisplay

    rng = np.random.default_rng(0)
    full = rng.normal(0.3, 0.05, 10)
    retained = full + rng.normal(0.05, 0.05, 10)
    splits = list(RepeatedKFold(n_splits=5, n_repeats=2).split(np.zeros(20)))
    result = FullVsRetained(
        full=full,
        retained=retained,
        n_retained=np.ones(10, int),
        n_maps=4,
        splits=splits,
    )
    display = FullVsRetainedDisplay.from_cv_results(result)
    test = result.ttest
    title = display.ax_.get_title()
    assert f"corrected t(9) = {test.statistic:.2f}" in title
    assert "corrected for folds sharing images" in title
    # The error bars are the corrected paired standard error.
    (segments,) = display.bars_.errorbar.lines[2]
    low, high = segments.get_segments()[0][:, 1]
    assert (high - low) / 2 == pytest.approx(test.standard_error)
    # Without the folds' sizes the figure says it is the naive test.
    naive = FullVsRetainedDisplay(full=full, retained=retained).plot()
    assert "naive t(9)" in naive.ax_.get_title()
    plt.close("all")
