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


# --- faithfulness_curves and compare_faithfulness -------------------------------


def _small_explainer():
    """A random-weight ResNet-18 at 48 px: fast, deterministic."""
    torch = pytest.importorskip("torch")
    from torchvision.transforms import v2

    from sklearn_ais import AISHeatmapExplainer, TorchvisionFeaturizer

    small = v2.Compose(
        [v2.PILToTensor(), v2.Resize((48, 48)), v2.ToDtype(torch.float32, scale=True)]
    )
    featurizer = TorchvisionFeaturizer(
        model="resnet18", weights=None, random_state=0, preprocess=small
    )
    return AISHeatmapExplainer(featurizer=featurizer), featurizer


def _brightness(explainer, images, y_block):
    """A heatmap method without ties: brightness plus a tiny ramp."""
    return [im.mean(-1) + 1e-6 * np.arange(im[..., 0].size).reshape(im.shape[:2])
            for im in images]  # fmt: skip


def test_per_image_response_is_the_brute_force_2oi_against_b():
    from scipy import stats

    from sklearn_ais.analysis import faithfulness_curves
    from sklearn_ais.analysis._faithfulness import edit_image
    from sklearn_ais.datasets import make_comparison_images

    explainer, featurizer = _small_explainer()
    data = make_comparison_images(n_images=11, image_size=48, random_state=0)
    train, test = np.arange(3, 11), np.arange(3)
    seen = []

    def method(fitted, images, y_block):
        seen.append(list(y_block.columns))
        return _brightness(fitted, images, y_block)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        curves = faithfulness_curves(
            explainer,
            data.images,
            data.similarity,
            methods={"bright": method},
            percents=(0, 50),
            fills="mean",
            curves="deletion",
            cv=[(train, test)],
        )
    ids = list(data.similarity.index)
    half_a = [ids.index(c) for c in seen[0]]
    half_b = np.setdiff1d(train, half_a)
    assert len(half_a) == 4 and len(half_b) == 4
    assert not set(half_a) & set(test)
    # Brute force: edit, featurize, pool, cosine against B, Spearman with y[t, B].
    pixels = data.images.astype(np.float32) / 255.0
    fitted = featurizer.fit(pixels[:2])

    def embed(images):
        return np.asarray(fitted.transform(list(images))).mean(axis=(2, 3))

    reference = embed(pixels[half_b])
    for percent in (0, 50):
        edited = [
            edit_image(im, r, percent, fill="mean", keep=False, rng=np.random)
            for im, r in zip(pixels[test], _brightness(None, pixels[test], None))
        ]
        e = embed(edited)
        cosine = (e @ reference.T) / np.outer(
            np.linalg.norm(e, axis=1), np.linalg.norm(reference, axis=1)
        )
        expected = [
            stats.spearmanr(cosine[k], data.similarity.to_numpy()[t, half_b])[0]
            for k, t in enumerate(test)
        ]
        found = curves.query(
            "method == 'bright' and response == 'per_image' and percent == @percent"
        ).sort_values("image")
        assert found["image"].tolist() == test.tolist()
        np.testing.assert_allclose(found["score"], expected, rtol=0, atol=1e-5)
    assert set(curves["method"]) == {"bright", "random"}
    assert set(curves["response"]) == {"per_image", "block"}


def test_heatmaps_never_see_the_judgments_they_are_scored_on():
    from sklearn_ais.analysis import ais_heatmaps, faithfulness_curves
    from sklearn_ais.datasets import make_comparison_images

    explainer, _ = _small_explainer()
    data = make_comparison_images(n_images=11, image_size=48, random_state=1)
    train, test = np.arange(3, 11), np.arange(3)
    runs = []

    def recorded(fitted, images, y_block):
        heatmaps = ais_heatmaps(fitted, images, y_block)
        runs[-1].append((list(y_block.index), list(y_block.columns), heatmaps))
        return heatmaps

    def run(y):
        runs.append([])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return faithfulness_curves(
                explainer,
                data.images,
                y,
                methods={"ais": recorded},
                percents=(0, 40),
                curves="keep",
                cv=[(train, test)],
            )

    first = run(data.similarity)
    rows, columns, _ = runs[0][0]
    ids = list(data.similarity.index)
    half_b = [i for i in ids if i not in columns and ids.index(i) in train]
    assert rows == [ids[t] for t in test] and len(half_b) == 4
    # Change every judgment of a test image against B: the heatmaps stay.
    changed = data.similarity.copy()
    noise = np.random.default_rng(0).normal(size=(len(test), len(half_b)))
    changed.loc[rows, half_b] += noise
    changed.loc[half_b, rows] += noise.T
    second = run(changed)
    for before, after in zip(runs[0][0][2], runs[1][0][2]):
        np.testing.assert_array_equal(before, after)
    # ... while the per-image response, which reads y[t, B], moves.
    per_image = "response == 'per_image'"
    assert not np.allclose(
        first.query(per_image)["score"], second.query(per_image)["score"]
    )
    block = "response == 'block'"
    np.testing.assert_array_equal(
        first.query(block)["score"], second.query(block)["score"]
    )


def _synthetic_curves(shift, n_images=30, n_folds=4, noise=0.05, seed=0):
    """Per-image and block deletion curves of "ais" (shifted down) and "random"."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for fold in range(n_folds):
        for method, drop in (("ais", shift), ("random", 0.0), ("other", 0.0)):
            for percent in (0.0, 50.0, 100.0):
                fall = drop if percent > 0 else 0.0
                for image in range(fold, n_images, n_folds):
                    score = 0.5 - fall + noise * rng.normal()
                    rows.append(
                        (
                            fold,
                            image,
                            method,
                            "mean",
                            "deletion",
                            percent,
                            "per_image",
                            score,
                            3 * n_images / 4,
                            n_images / 4,
                        )
                    )
                fall += noise * rng.normal()  # the block's noise, per fold
                rows.append((fold, -1, method, "mean", "deletion", percent, "block",
                             0.5 - fall, 3 * n_images / 4, n_images / 4))  # fmt: skip
    columns = ["fold", "image", "method", "fill", "curve", "percent", "response"]
    return pd.DataFrame(rows, columns=[*columns, "score", "n_train", "n_test"])


def test_compare_faithfulness_intervals():
    from sklearn_ais._statistics import corrected_ttest
    from sklearn_ais.analysis import compare_faithfulness

    table = compare_faithfulness(_synthetic_curves(0.2), methods="ais")
    row = table.query("response == 'per_image' and role == 'random'").iloc[0]
    # Deleting by "ais" lowers the curve by 0.2 over 3/4 of its range: the
    # area falls by 0.15, a positive (more faithful) difference.
    assert row["ci_low"] < row["difference"] < row["ci_high"]
    assert row["ci_low"] > 0.1 and row["ci_high"] < 0.2 and row["p"] < 0.01
    assert row["n"] == 30 and row["test"] == "image bootstrap"
    # No difference: the interval covers zero.
    null = compare_faithfulness(_synthetic_curves(0.0, seed=3), methods="ais")
    row = null.query("response == 'per_image' and role == 'random'").iloc[0]
    assert row["ci_low"] < 0 < row["ci_high"] and row["p"] > 0.05
    # The block response: the corrected t-test over folds, as _statistics has it.
    curves = _synthetic_curves(0.2)
    row = table.query("response == 'block' and role == 'random'").iloc[0]
    areas = {
        m: [
            float(np.trapezoid(g["score"], g["percent"]) / 100)
            for _, g in curves.query(
                f"response == 'block' and method == '{m}'"
            ).groupby("fold")
        ]
        for m in ("ais", "random")
    }
    expected = corrected_ttest(
        -np.array(areas["random"]), -np.array(areas["ais"]), n_train=22.5, n_test=7.5
    )
    assert row["p"] == pytest.approx(expected.pvalue)
    assert row["difference"] == pytest.approx(expected.mean_difference)
    assert row["ci_low"] < row["difference"] < row["ci_high"] and row["n"] == 4
    # The best baseline is the most faithful of the others.
    best = table.query("role == 'best'")
    assert set(best["baseline"]) <= {"random", "other"}


def test_compare_faithfulness_keep_sign_and_more_draws_narrow_little():
    from sklearn_ais.analysis import compare_faithfulness

    curves = _synthetic_curves(-0.2)  # "ais" keeps the 2OI higher
    curves["curve"] = "keep"
    table = compare_faithfulness(curves, methods=["ais"], n_bootstrap=500)
    row = table.query("response == 'per_image' and role == 'random'").iloc[0]
    assert row["difference"] > 0.1 and row["ci_low"] > 0
    again = compare_faithfulness(curves, methods=["ais"], n_bootstrap=500)
    # Seeded: the same table twice.
    assert table.equals(again)


def test_faithfulness_bad_input():
    import pandas as pd
    from sklearn.utils._param_validation import InvalidParameterError

    from sklearn_ais import AISHeatmapExplainer
    from sklearn_ais.analysis import compare_faithfulness, faithfulness_curves

    images = np.zeros((6, 8, 8, 3), dtype=np.uint8)
    y = pd.DataFrame(np.eye(6))
    explainer = AISHeatmapExplainer()
    with pytest.raises(InvalidParameterError):
        faithfulness_curves(explainer, images, y.to_numpy())
    with pytest.raises(ValueError, match="reserved"):
        faithfulness_curves(explainer, images, y, methods={"random": _brightness})
    with pytest.raises(TypeError, match="callable"):
        faithfulness_curves(explainer, images, y, methods={"x": 3})
    with pytest.raises(ValueError, match="increasing"):
        faithfulness_curves(explainer, images, y, percents=(50, 10))
    with pytest.raises(ValueError, match="fills"):
        faithfulness_curves(explainer, images, y, fills=["paint"])
    with pytest.raises(ValueError, match="curves"):
        faithfulness_curves(explainer, images, y, curves=["keep", "keep"])
    with pytest.raises(ValueError, match="square"):
        faithfulness_curves(explainer, images, y.iloc[:5, :5])
    with pytest.raises(ValueError, match="oracle"):
        faithfulness_curves(explainer, images, y, oracle=np.zeros((6, 4, 4)))
    with pytest.raises(ValueError, match="at least 3"):
        faithfulness_curves(explainer, images, y, cv=2)
    curves = _synthetic_curves(0.1)
    with pytest.raises(ValueError, match="columns"):
        compare_faithfulness(curves.drop(columns="response"))
    with pytest.raises(ValueError, match="random"):
        compare_faithfulness(curves.query("method != 'random'"))
    with pytest.raises(ValueError, match="Unknown methods"):
        compare_faithfulness(curves, methods="gradcam")


def test_faithfulness_method_with_wrong_heatmaps_is_named():
    from sklearn_ais.analysis import faithfulness_curves
    from sklearn_ais.datasets import make_comparison_images

    explainer, _ = _small_explainer()
    data = make_comparison_images(n_images=10, image_size=32, random_state=0)

    def small(fitted, images, y_block):
        return [np.zeros((4, 4)) for _ in images]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match="'small' gave image 0 a heatmap"):
            faithfulness_curves(
                explainer,
                data.images,
                data.similarity,
                methods={"small": small},
                cv=[(np.arange(3, 10), np.arange(3))],
            )


@pytest.mark.slow
def test_positive_control_the_relevant_object_beats_random():
    """The measurement has power: on generated images whose judgments depend
    on one object only, that object's mask as a heatmap beats random pixels
    in the per-image response, with an interval that excludes zero."""
    pytest.importorskip("torch")
    from sklearn.model_selection import KFold

    from sklearn_ais import AISHeatmapExplainer
    from sklearn_ais.analysis import compare_faithfulness, faithfulness_curves
    from sklearn_ais.datasets import make_comparison_images
    from sklearn_ais.featurizers import EfficientNetLite0Featurizer

    data = make_comparison_images(n_images=24, image_size=96, random_state=0)
    explainer = AISHeatmapExplainer(featurizer=EfficientNetLite0Featurizer())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        curves = faithfulness_curves(
            explainer,
            data.images,
            data.similarity,
            methods={},
            oracle=data.relevant_masks.astype(float),
            percents=(0, 25, 50),
            fills="mean",
            curves="keep",
            cv=KFold(3, shuffle=True, random_state=0),
        )
    table = compare_faithfulness(curves, methods="oracle", n_bootstrap=1000)
    row = table.query("response == 'per_image' and role == 'random'").iloc[0]
    # Keeping only the object keeps each image's 2OI against B far above
    # keeping random pixels (difference 0.17, interval 0.09 to 0.26 here).
    assert row["n"] == 24 and row["ci_low"] > 0.03, row


def test_random_rankings_on_a_grid_are_smooth():
    from sklearn_ais.analysis._faithfulness_study import _random_ranking

    image = np.zeros((30, 40, 3))
    rng = np.random.RandomState(0)
    pixels = _random_ranking(image, None, rng)
    blobs = _random_ranking(image, 3, rng)
    assert pixels.shape == blobs.shape == (30, 40)
    # Neighbouring pixels differ little on a 3 x 3 grid upsampled.
    assert np.abs(np.diff(blobs, axis=1)).max() < 0.1
    assert np.abs(np.diff(pixels, axis=1)).mean() > 0.2
