"""Deletion curves: their mechanics, the edited pixels and the ROAD fill."""

import warnings

import numpy as np
import pytest


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


def test_top_pixels_edits_exactly_k_percent_with_ties():
    from sklearn_ais.analysis._faithfulness import top_pixels

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
    from sklearn_ais.analysis._faithfulness import edit_image

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
    from sklearn_ais.analysis._faithfulness import edit_image

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
