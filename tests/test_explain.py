"""AISHeatmapExplainer: per-image AIS, heatmaps at image size, and the selector's
``featurizer`` parameter."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sklearn_ais import AISFeatureMapSelector, AISHeatmapExplainer
from sklearn_ais._engine import leave_one_out_ais, make_engine
from sklearn_ais._human import read_human_pairs
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.explain import heatmap_weights, upsample_heatmap

N, C = 12, 8


@pytest.fixture(scope="module")
def problem():
    _, H, _ = make_alignment_problem(N, 4, 2, random_state=0)
    maps = np.random.default_rng(0).uniform(size=(N, C, 5, 7)).astype(np.float32)
    return maps, H


def test_passthrough_per_image_ais_and_heatmaps(problem):
    maps, H = problem
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(maps, H)
    engine = make_engine(maps, None, "cosine")
    pairs = read_human_pairs(H, N).pairs
    scores = leave_one_out_ais(engine, pairs, "spearman", per_image=True)
    np.testing.assert_array_equal(explainer.ais_per_image_, scores.ais_per_image)
    np.testing.assert_array_equal(explainer.ais_, scores.ais)
    assert explainer.target_ == "similarity" and explainer.image_sizes_ is None
    # The paper's heatmap: negative AIS to 0, normalised, weighted average.
    t = int(np.argmax(np.maximum(explainer.ais_per_image_, 0).sum(axis=1)))
    w = np.maximum(explainer.ais_per_image_[t], 0)
    expected = np.tensordot(w / w.sum(), maps[t], axes=1)
    np.testing.assert_allclose(explainer.map_heatmaps_[t], expected, rtol=1e-5)
    np.testing.assert_allclose(
        explainer.raw_map_heatmaps_[t], np.tensordot(w, maps[t], axes=1), rtol=1e-5
    )
    heatmaps = explainer.heatmaps_
    assert len(heatmaps) == N and heatmaps[0].shape == (5, 7)
    assert heatmaps[0].dtype == np.float32


@pytest.mark.parametrize("negative", ["positive", "absolute", "signed"])
def test_negative_ais_policies(negative):
    ais = np.array([[0.3, -0.1, 0.1, np.nan], [-0.2, -0.1, 0.0, 0.0]])
    raw, weights = heatmap_weights(ais, negative=negative)
    assert np.isfinite(weights).all()
    if negative == "positive":
        np.testing.assert_allclose(weights[0], [0.75, 0, 0.25, 0])
        np.testing.assert_array_equal(weights[1], 0.0)
    elif negative == "absolute":
        np.testing.assert_allclose(weights[0], [0.6, 0.2, 0.2, 0])
        np.testing.assert_allclose(weights[1], [2 / 3, 1 / 3, 0, 0])
    else:
        np.testing.assert_allclose(weights[0], [0.6, -0.2, 0.2, 0])
        np.testing.assert_allclose(np.abs(weights[1]).sum(), 1.0)


def test_image_without_positive_ais_gets_zeros_and_one_warning(problem):
    maps, H = problem
    maps = maps.copy()
    # Image 2 is all zeros: masking its maps changes nothing, every AIS is 0.
    maps[2] = 0.0
    ids = [f"img{i}" for i in range(N)]
    y = pd.DataFrame(H.to_numpy(), index=ids, columns=ids)
    X = pd.Series(list(maps), index=ids)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        explainer = AISHeatmapExplainer(featurizer="passthrough").fit(
            np.stack(X.to_list()), y
        )
    messages = [str(w.message) for w in caught if "all zeros" in str(w.message)]
    assert len(messages) == 1 and "2" in messages[0]
    assert (explainer.map_heatmaps_[2] == 0).all()
    assert all(np.isfinite(h).all() for h in explainer.heatmaps_)


def test_transform_uses_the_dataset_ais(problem):
    maps, H = problem
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(maps, H)
    out = explainer.transform(maps[:3])
    _, w = heatmap_weights(explainer.ais_, negative="positive")
    np.testing.assert_allclose(out[1], np.tensordot(w, maps[1], axes=1), rtol=1e-5)
    with pytest.raises(ValueError, match="fitted on 8"):
        explainer.transform(maps[:, :5])


def test_passthrough_refuses_non_maps(problem):
    _, H = problem
    with pytest.raises(ValueError, match="feature maps of shape"):
        AISHeatmapExplainer(featurizer="passthrough").fit(np.ones((N, C)), H)


def test_clone_and_pickle(problem):
    maps, H = problem
    explainer = AISHeatmapExplainer(featurizer="passthrough", negative="signed")
    assert clone(explainer).get_params() == explainer.get_params()
    explainer.fit(maps, H)
    again = pickle.loads(pickle.dumps(explainer))
    np.testing.assert_array_equal(again.map_heatmaps_, explainer.map_heatmaps_)


def test_upsample_heatmap_to_non_square_size():
    heatmap = np.arange(12, dtype=np.float32).reshape(3, 4)
    for mode in ("bilinear", "bicubic", "nearest"):
        out = upsample_heatmap(heatmap, (30, 50), mode=mode)
        assert out.shape == (30, 50) and out.dtype == np.float32
    nearest = upsample_heatmap(heatmap, (6, 8), mode="nearest")
    np.testing.assert_array_equal(nearest[::2, ::2], heatmap)


# --- with a featurizer ------------------------------------------------------------


torch = pytest.importorskip("torch")


def _small_featurizer():
    from torchvision.transforms import v2

    from sklearn_ais import TorchvisionFeaturizer

    small = v2.Compose(
        [v2.PILToTensor(), v2.Resize((64, 64)), v2.ToDtype(torch.float32, scale=True)]
    )
    return TorchvisionFeaturizer(model="resnet18", weights=None, preprocess=small)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(1)
    sizes = [(40, 40), (30, 52), (64, 48)] * 4
    return [rng.integers(0, 256, size + (3,), dtype=np.uint8) for size in sizes]


def test_heatmaps_have_each_image_size(images):
    _, H, _ = make_alignment_problem(len(images), 4, 2, random_state=1)
    torch.manual_seed(0)
    explainer = AISHeatmapExplainer(featurizer=_small_featurizer()).fit(images, H)
    assert explainer.image_sizes_ == [im.shape[:2] for im in images]
    for heatmap, image in zip(explainer.heatmaps_, images):
        assert heatmap.shape == image.shape[:2]
    assert explainer.map_heatmaps_.shape == (len(images), 2, 2)
    native = explainer.heatmaps(images[:3])
    assert [h.shape for h in native] == [im.shape[:2] for im in images[:3]]


def test_selector_with_a_featurizer_equals_the_pipeline(images):
    from sklearn.pipeline import make_pipeline

    _, H, _ = make_alignment_problem(len(images), 4, 2, random_state=2)
    # Random weights: the same seed before each network is built.
    torch.manual_seed(0)
    featurizer = _small_featurizer().fit(images)
    maps = featurizer.transform(images)
    torch.manual_seed(0)
    inside = AISFeatureMapSelector(featurizer=featurizer).fit(images, H)
    torch.manual_seed(0)
    pipeline = make_pipeline(featurizer, AISFeatureMapSelector()).fit(images, H)
    np.testing.assert_array_equal(inside.ais_, pipeline[-1].ais_)
    np.testing.assert_allclose(inside.transform(images), pipeline.transform(images))
    assert inside.featurizer_ is not featurizer
    np.testing.assert_array_equal(
        AISFeatureMapSelector().fit(maps, H).ais_, inside.ais_
    )


def test_selector_preserves_float32_for_every_input_kind(problem):
    from sklearn_ais import FeatureMaps
    from sklearn_ais._heads import GAPHead

    maps, H = problem
    head = _generic_head(maps.shape[1])
    for X in (
        maps.mean(axis=(2, 3)),
        maps,
        FeatureMaps(maps, head=GAPHead()),
        FeatureMaps(maps, head=head),
    ):
        out = AISFeatureMapSelector().fit(X, H).transform(X)
        assert out.dtype == np.float32, type(X)


def _generic_head(n_maps):
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(n_maps, 4, 1), nn.Flatten(), nn.LazyLinear(3))
