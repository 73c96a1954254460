"""Displays: from_estimator / plot, ax= accepted, artists kept."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sklearn_ais import AISFeatureMapSelector, AISHeatmapExplainer
from sklearn_ais._plotting.common import PALETTE
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
    labels = [text.get_text() for text in display.legend_.get_texts()]
    assert labels[0].startswith("AIS heatmap") and labels[1].startswith("saliency")
    built = SaliencyComparisonDisplay.from_predictions(
        images[:1], heatmaps[:1], saliency[:1], tops=(10,)
    )
    assert built.relative_risks_.shape == (1, 1)
    plt.close("all")


def test_ais_distribution_display_per_image(explainer_and_images):
    from sklearn_ais.plotting import AISDistributionDisplay

    explainer, _ = explainer_and_images
    figure, ax = plt.subplots()
    display = AISDistributionDisplay.from_estimator(explainer, per_image=True, ax=ax)
    assert display.ax_ is ax and list(display.lines_) == ["per-image AIS"]
    # Every finite AIS, sorted from the highest; an explainer retains nothing.
    values = explainer.ais_per_image_
    finite = values[np.isfinite(values)]
    line = display.lines_["per-image AIS"]
    np.testing.assert_array_equal(line.get_ydata(), np.sort(finite)[::-1])
    assert display.retained_ == {} and ax.get_yscale() == "symlog"
    hist = AISDistributionDisplay.from_estimator(explainer, per_image=True, kind="hist")
    counts = sum(patch.get_height() for patch in hist.bars_["per-image AIS"])
    assert counts == finite.size and hist.ax_.get_yscale() == "log"
    plt.close("all")


def test_ais_distribution_marks_the_retained_maps():
    from sklearn_ais.plotting import AISDistributionDisplay

    X, H, _ = make_alignment_problem(40, 60, 4, random_state=0)
    selector = AISFeatureMapSelector().fit(X, H)
    display = AISDistributionDisplay.from_estimator(selector)
    marks = display.retained_["maps"]
    # The retained maps are their own artist, at their ranks, in Retained's colour.
    assert marks is not display.lines_["maps"]
    order = np.argsort(-selector.ais_, kind="stable")
    expected = np.flatnonzero(selector.get_support()[order]) + 1
    np.testing.assert_array_equal(np.sort(marks.get_offsets()[:, 0]), expected)
    assert _same(marks.get_facecolor()[0], "retained")
    # No tick within the linear band but 0: none crowd it.
    ticks = display.ax_.get_yticks()
    linthresh = display.ax_.yaxis.get_transform().linthresh
    assert set(ticks[np.abs(ticks) < linthresh]) == {0.0}
    hist = AISDistributionDisplay.from_estimator(selector, kind="hist")
    retained = sum(patch.get_height() for patch in hist.retained_["maps"])
    assert retained == selector.n_features_
    with pytest.raises(ValueError, match="kind must be"):
        display.plot(kind="violin")
    with pytest.raises(ValueError, match="3 entries for 60 AIS"):
        AISDistributionDisplay(ais=selector.ais_, retained=[True] * 3).plot()
    with pytest.raises(ValueError, match="per_image=True needs per-image AIS"):
        AISDistributionDisplay.from_estimator(selector, per_image=True)
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
    # AIS heatmaps in Retained's colour, saliency and random in theirs.
    for method, condition in (("ais", "retained"), ("saliency", "saliency")):
        assert _same(display.lines_[method].get_color(), condition)
    assert _same(display.lines_["random"].get_color(), "random")
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


def _same(colour, condition):
    return matplotlib.colors.same_color(colour, PALETTE[condition])


def _ceiling():
    from types import SimpleNamespace

    frame = pd.DataFrame(
        {"lower": [0.5, 0.6], "upper": [0.7, 0.8], "attenuation_bound": [0.9, 0.9]}
    )
    return SimpleNamespace(to_frame=lambda: frame)


def test_one_colour_per_condition_across_displays():
    from sklearn_ais.plotting import (
        ArchitectureComparisonDisplay,
        FullVsRetainedDisplay,
        SelectionControlsDisplay,
    )

    full, retained = [0.2, 0.3, 0.25], [0.3, 0.4, 0.3]
    pair = FullVsRetainedDisplay(full=full, retained=retained).plot()
    assert _same(pair.bars_[0].get_facecolor(), "full")
    assert _same(pair.bars_[1].get_facecolor(), "retained")
    conditions = pd.DataFrame(
        {
            "full": full,
            "retained": retained,
            "random": [0.1] * 3,
            "top_mean": [0.2] * 3,
            "top_variance": [0.2] * 3,
        }
    )
    controls = SelectionControlsDisplay(conditions=conditions).plot()
    expected = ["full", "retained", "random", "activation", "variance"]
    for bar, condition in zip(controls.bars_, expected):
        assert _same(bar.get_facecolor(), condition)
    frame = pd.DataFrame(
        {
            "architecture": ["a", "b"],
            "dataset": ["d", "d"],
            "full": [0.2, 0.1],
            "retained": [0.4, 0.2],
            "n_retained": [5, 9],
        }
    )
    table = ArchitectureComparisonDisplay.from_cv_results(frame)
    assert _same(table.bars_[("d", "retained")][0].get_facecolor(), "retained")
    assert _same(table.bars_[("d", "full")][0].get_facecolor(), "full")
    X, H, _ = make_alignment_problem(40, 20, 4, random_state=0)
    path = SelectionPathDisplay.from_estimator(AISFeatureMapSelector().fit(X, H))
    assert _same(path.marker_.get_color(), "retained")
    assert _same(path.full_line_.get_color(), "full")
    # The noise ceiling: one colour, told apart by line style, on every Display.
    for display in (
        FullVsRetainedDisplay(full=full, retained=retained, ceiling=_ceiling()).plot(),
        SelectionControlsDisplay(conditions=conditions, ceiling=_ceiling()).plot(),
    ):
        lines = display.reference_lines_
        assert all(_same(line.get_color(), "ceiling") for line in lines)
        assert len({str(line.get_linestyle()) for line in lines}) == 3
    plt.close("all")


def test_ceiling_numbers_and_a_legend_clear_of_the_lines():
    from sklearn_ais.plotting import FullVsRetainedDisplay, SelectionControlsDisplay

    full, retained = [0.2, 0.3, 0.25], [0.3, 0.4, 0.3]
    conditions = pd.DataFrame({"full": full, "retained": retained})
    for display in (
        FullVsRetainedDisplay(full=full, retained=retained, ceiling=_ceiling()).plot(),
        SelectionControlsDisplay(conditions=conditions, ceiling=_ceiling()).plot(),
    ):
        assert display.ceiling_ == pytest.approx(
            {"lower": 0.55, "upper": 0.75, "attenuation_bound": 0.9}
        )
        labels = [t.get_text() for t in display.legend_.get_texts()]
        assert labels == [
            "ceiling, lower: 0.550",
            "ceiling, upper: 0.750",
            "\u221a(split-half rel.): 0.900",
        ]
        # The legend sits beside the axes, not over the lines.
        renderer = display.figure_.canvas.get_renderer()
        legend = display.legend_.get_window_extent(renderer)
        assert legend.x0 >= display.ax_.get_window_extent(renderer).x1
    no_ceiling = FullVsRetainedDisplay(full=full, retained=retained).plot()
    assert no_ceiling.ceiling_ is None and no_ceiling.legend_ is None
    plt.close("all")


def test_plot_takes_style_dicts_merged_over_the_defaults():
    X, H, _ = make_alignment_problem(40, 20, 4, random_state=0)
    selector = AISFeatureMapSelector().fit(X, H)
    display = SelectionPathDisplay.from_estimator(
        selector, line_kwargs={"c": "red", "lw": 3}, marker_kwargs={"marker": "s"}
    )
    assert matplotlib.colors.same_color(display.line_.get_color(), "red")
    assert display.line_.get_linewidth() == 3
    # What the user did not set keeps its default.
    assert display.line_.get_label() == "top-m maps by AIS"
    assert display.marker_.get_marker() == "s"
    with pytest.raises(TypeError, match="'c' and 'color'"):
        display.plot(line_kwargs={"c": "red", "color": "blue"})
    with pytest.raises(TypeError, match="dict of matplotlib keywords"):
        display.plot(line_kwargs="red")
    plt.close("all")


@pytest.fixture(scope="module")
def generated():
    from sklearn_ais.datasets import make_comparison_images

    return make_comparison_images(4, 40, random_state=0)


def test_heatmap_outlines_the_known_regions(generated):
    rng = np.random.default_rng(0)
    heatmaps = [rng.random((5, 5)) for _ in range(3)]
    outlines = {
        "relevant object": generated.relevant_masks[:3],
        "distractor": list(generated.distractor_masks[:3]),
    }
    display = HeatmapDisplay(heatmaps=heatmaps, images=generated.images[:3])
    display.plot(outlines=outlines)
    assert list(display.outlines_) == ["relevant object", "distractor"]
    assert all(len(sets) == 3 for sets in display.outlines_.values())
    labels = [t.get_text() for t in display.legend_.get_texts()]
    assert labels == ["relevant object", "distractor"]
    for handle, label in zip(display.legend_.legend_handles, labels):
        assert _same(handle.get_color(), label)
    # The contour traces the mask's edge, in the image's pixel coordinates.
    rows, cols = np.nonzero(generated.relevant_masks[0])
    contour = display.outlines_["relevant object"][0]
    vertices = np.concatenate([p.vertices for p in contour.get_paths()])
    assert vertices[:, 0].min() == pytest.approx(cols.min() - 0.5, abs=1)
    assert vertices[:, 1].max() == pytest.approx(rows.max() + 0.5, abs=1)
    # Heatmaps are rasterized: vector files stay small.
    assert all(overlay.get_rasterized() for overlay in display.overlays_)
    plt.close("all")


def test_outlines_without_images_cover_the_heatmap(generated):
    # Heatmaps at map resolution, masks at the images' 40 x 40: stretched over.
    display = HeatmapDisplay(heatmaps=[np.ones((5, 5))]).plot(
        outlines={"relevant object": generated.relevant_masks[:1]}
    )
    contour = display.outlines_["relevant object"][0]
    vertices = np.concatenate([p.vertices for p in contour.get_paths()])
    assert vertices.min() >= -0.5 and vertices.max() <= 4.5
    plt.close("all")


def test_heatmap_outlines_are_checked(generated):
    heatmaps = [np.ones((5, 5))] * 2
    display = HeatmapDisplay(heatmaps=heatmaps, images=generated.images[:2])
    with pytest.raises(ValueError, match="has 3 masks for 2 images"):
        display.plot(outlines={"relevant": generated.relevant_masks[:3]})
    with pytest.raises(ValueError, match=r"its image is \(40, 40\)"):
        display.plot(outlines={"relevant": [np.ones((8, 8), bool)] * 2})
    with pytest.raises(TypeError, match="outlines must be a dict"):
        display.plot(outlines=[generated.relevant_masks[:2]])
    plt.close("all")


def test_heatmap_from_estimator_outlines_the_shown_images(explainer_and_images):
    explainer, images = explainer_and_images
    masks = [np.zeros((20, 28), bool) for _ in range(2)]
    masks[0][5:10, 5:12] = True
    display = HeatmapDisplay.from_estimator(
        explainer, images, indices=[3, 1], outlines={"relevant object": masks}
    )
    assert len(display.outlines_["relevant object"]) == 2
    assert display.overlays_[0].get_cmap().name == "inferno"
    plt.close("all")


def test_save_figure_writes_vector_files(tmp_path, explainer_and_images):
    from sklearn_ais.plotting import save_figure

    explainer, images = explainer_and_images
    display = HeatmapDisplay.from_estimator(explainer, images, indices=[0, 1])
    written = save_figure(
        display.figure_, tmp_path / "heatmaps.png", formats=("png", "svg", "pdf")
    )
    names = [path.name for path in written]
    assert names == ["heatmaps.png", "heatmaps.svg", "heatmaps.pdf"]
    svg = (tmp_path / "heatmaps.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<image" in svg
    assert (tmp_path / "heatmaps.pdf").read_bytes().startswith(b"%PDF")
    plt.close("all")
