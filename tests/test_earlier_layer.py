"""EfficientNet-Lite cut at an earlier layer: finer maps, the rest as head.

``EfficientNetLite0Featurizer(layer="blocks.N")`` takes block ``N``'s output as
the maps and carries them through the rest of the network (later blocks,
``_conv_head``, batch norm, ReLU6) to the same global-average-pooled
embedding as ``layer=None``. The split is shown right by a brute force
written here: run the *whole* network with channel ``k`` zeroed at the cut by
a forward hook (no split involved), take the pooled embedding, correlate.

Tolerance: the network and the library's generic engine compute in float32
(the maps are float32 and the engine runs the head in float32), so the two
sides agree to float32 rounding, not to 1e-10. They run the same operations
on differently composed batches; the embeddings differ by ~1e-7 relative,
and as a random network's cosine similarities are close to each other, the
correlations amplify that: measured here, dataset AIS differ by at most
1e-6 and per-image AIS (correlations over 7 similarities) by 3e-6. 2e-5
leaves room for other BLAS builds while a wrong head (a map carried wrongly,
a missing block) moves AIS by 1e-2 or more. The comparison is Pearson, not
Spearman: with random weights some similarities tie to float32 rounding and
a rank flips (Spearman's engine paths are the same for every head and are
checked against the brute force elsewhere).
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from _brute_force import compare, pair_similarity, score, upper
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from torch import fx

from sklearn_ais import AISFeatureMapSelector, AISHeatmapExplainer
from sklearn_ais.datasets import make_comparison_images
from sklearn_ais.featurizers import (
    EfficientNetLite0Featurizer,
    EfficientNetLiteFeaturizer,
)

pytest.importorskip("efficientnet_lite_pytorch")

SIZE = 32
TOLERANCE = 2e-5
SIMILARITY, COMPARISON = "cosine", "pearson"
N_FIT, N_NEW = 8, 3
# Lite0's blocks: (channels, side of the maps at 224 px).
LITE0_BLOCKS = {
    0: (16, 112),
    1: (24, 56),
    2: (24, 56),
    3: (40, 28),
    4: (40, 28),
    5: (80, 14),
    6: (80, 14),
    7: (80, 14),
    8: (112, 14),
    9: (112, 14),
    10: (112, 14),
    11: (192, 7),
    12: (192, 7),
    13: (192, 7),
    14: (192, 7),
    15: (320, 7),
}


@pytest.fixture(scope="module")
def data():
    return make_comparison_images(
        n_images=N_FIT + N_NEW, image_size=SIZE, random_state=0
    )


@pytest.fixture
def networks():
    """The featurizers' network cache, empty before and after the test."""
    from sklearn_ais._backbones import NETWORKS

    NETWORKS.clear()
    yield NETWORKS
    NETWORKS.clear()


def _random_lite(layer, **params):
    params = {"input_size": SIZE, "device": "cpu", **params}
    return EfficientNetLiteFeaturizer(
        pretrained=False, random_state=0, layer=layer, **params
    )


def _inputs(images):
    """The network inputs of the default preprocessing (mean = std = 0.5), by hand."""
    x = torch.as_tensor(np.asarray(images)).permute(0, 3, 1, 2).float() / 255
    return (x - 0.5) / 0.5


def _embeddings(model, x, layer=None, zeroed=None):
    """The whole network's pooled embedding, ``zeroed[i]`` zeroed at ``layer``.

    ``zeroed`` holds one channel per image of ``x`` (-1: none), zeroed in
    that image's output of ``layer`` by a forward hook; the rest of the
    network runs as its own ``forward`` does.
    """
    pooled = {}

    def zero(_module, _inputs, out):
        out = out.clone()
        rows = np.flatnonzero(zeroed >= 0)
        out[rows, zeroed[rows]] = 0
        return out

    def keep(_module, _inputs, out):
        pooled["embedding"] = out.flatten(1)

    handles = [model._avg_pooling.register_forward_hook(keep)]
    if zeroed is not None:
        handles.append(model.get_submodule(layer).register_forward_hook(zero))
    try:
        with torch.inference_mode():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return pooled["embedding"].double().numpy()


def _each_map_zeroed(model, x, layer, n_maps):
    """``(n_maps, n, d)``: every image's embedding with map ``k`` zeroed in all."""
    n = len(x)
    copies = x.repeat(n_maps, 1, 1, 1)  # copy k of every image, k = 0, 1, ...
    E = _embeddings(model, copies, layer, np.repeat(np.arange(n_maps), n))
    return E.reshape(n_maps, n, -1)


# -- the maps and the split ---------------------------------------------------


def test_layer_none_keeps_the_default_maps(data):
    default = EfficientNetLite0Featurizer(input_size=SIZE).fit(data.images)
    maps = np.asarray(default.transform(data.images))
    assert default.layer_ == "extract_features" and maps.shape[1:] == (1280, 1, 1)
    assert type(default.head_).__name__ == "GAPHead"
    for layer in (None, "extract_features"):
        same = EfficientNetLite0Featurizer(input_size=SIZE, layer=layer)
        np.testing.assert_array_equal(np.asarray(same.fit_transform(data.images)), maps)


@pytest.mark.parametrize(
    "input_size, blocks",
    [(224, [4, 10]), pytest.param(448, [0, 4, 10, 15], marks=pytest.mark.slow)],
)
def test_block_maps_sizes_and_same_embedding(input_size, blocks):
    """Block N's maps have the documented size; the head gives the default embedding."""
    images = np.random.default_rng(0).random((2, 32, 48, 3))
    default = EfficientNetLite0Featurizer(input_size=input_size).fit(images)
    pooled = np.asarray(default.transform(images)).mean(axis=(2, 3), dtype=np.float64)
    assert default.transform(images).shape[2:] == (input_size // 32,) * 2
    for block in blocks:
        feat = EfficientNetLite0Featurizer(
            input_size=input_size, layer=f"blocks.{block}"
        )
        maps = feat.fit_transform(images)
        channels, side = LITE0_BLOCKS[block]
        side *= input_size // 224
        assert maps.shape == (2, channels, side, side)
        assert feat.layer_ == f"_blocks.{block}" and feat.n_maps_ == channels
        assert isinstance(maps.head[0], fx.GraphModule)
        # The head runs the rest of the network: the embedding of the default
        # maps (their global average), up to float32 rounding.
        with torch.inference_mode():
            embedded = maps.head(torch.as_tensor(np.asarray(maps)))
        np.testing.assert_allclose(
            embedded.double().numpy(), pooled, rtol=1e-4, atol=1e-5
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant, n_blocks", [("lite0", 16), ("lite1", 21), ("lite2", 21)]
)
def test_every_block_output_is_a_valid_cut(variant, n_blocks):
    """All block boundaries split (the check of split_module passes at each)."""
    images = np.zeros((1, 32, 32, 3))
    for block in range(n_blocks):
        feat = EfficientNetLiteFeaturizer(
            variant=variant, pretrained=False, random_state=0, layer=f"blocks.{block}"
        ).fit(images)
        assert feat.layer_ == f"_blocks.{block}"
        if variant == "lite0":
            assert feat.n_maps_ == LITE0_BLOCKS[block][0]
    with pytest.raises(ValueError, match=f"'blocks.{n_blocks - 1}'"):
        _random_lite(f"blocks.{n_blocks}", variant=variant).fit(images)


def test_cut_inside_a_residual_block_is_refused(data):
    # Block 6 (stride 1, 80 -> 80 channels) adds its input after _bn2: every
    # cut inside it is crossed by that connection.
    for layer in ("blocks.6._bn2", "_blocks.6._depthwise_conv"):
        with pytest.raises(ValueError, match="residual connection") as info:
            _random_lite(layer).fit(data.images)
        message = str(info.value)
        assert "not a function of the maps" in message and "_blocks.5" in message
        assert "head=" not in message  # these featurizers take no head=


def test_cut_inside_a_block_without_residual_is_its_output(data):
    # Block 5 halves the side (stride 2, 40 -> 80 channels): no residual, and
    # its last module, _bn2, gives the block's output.
    inside = _random_lite("_blocks.5._bn2").fit_transform(data.images)
    block = _random_lite("blocks.5").fit_transform(data.images)
    np.testing.assert_array_equal(np.asarray(inside), np.asarray(block))


@pytest.mark.parametrize(
    "layer, match",
    [
        ("blocks.16", r"no module '_blocks\.16'.*'blocks\.0' to 'blocks\.15'"),
        ("conv_head", "no module 'conv_head'"),
        ("_avg_pooling", "after the feature maps"),
        ("_fc", "after the feature maps"),
        ("_swish", "calls it 2 times"),
    ],
)
def test_bad_layer_is_refused(data, layer, match):
    with pytest.raises(ValueError, match=match):
        EfficientNetLite0Featurizer(layer=layer).fit(data.images)


def test_layer_is_a_validated_parameter(data):
    feat = EfficientNetLite0Featurizer(layer="blocks.3")
    assert feat.get_params()["layer"] == "blocks.3"
    assert clone(feat).layer == "blocks.3"
    assert EfficientNetLiteFeaturizer(layer="blocks.3").get_params()["layer"] == (
        "blocks.3"
    )
    with pytest.raises(InvalidParameterError, match="'layer' parameter"):
        EfficientNetLite0Featurizer(layer=3).fit(data.images)


def test_layer_is_part_of_the_network_cache_key(networks, data):
    first = _random_lite("blocks.4").fit(data.images)
    # The same module under its own name shares the network ...
    assert _random_lite("_blocks.4").fit(data.images).backbone_ is first.backbone_
    # ... another layer, or the default maps, never do.
    other = _random_lite("blocks.10").fit(data.images)
    default = _random_lite(None).fit(data.images)
    assert other.backbone_ is not first.backbone_
    assert default.backbone_ is not first.backbone_
    assert (other.n_maps_, default.n_maps_, first.n_maps_) == (112, 1280, 40)


def test_memory_keys_on_the_layer(tmp_path, data):
    a = _random_lite("blocks.4", memory=tmp_path).fit(data.images)
    b = _random_lite("blocks.10", memory=tmp_path).fit(data.images)
    assert a.transform(data.images).shape[1] == 40
    assert b.transform(data.images).shape[1] == 112


# -- exactness against the brute force ------------------------------------------


@pytest.mark.parametrize(
    "layer", ["blocks.4", pytest.param("blocks.10", marks=pytest.mark.slow)]
)
def test_selector_ais_equal_the_whole_network_masked_at_the_layer(data, layer):
    feat = _random_lite(layer)
    images = data.images[:N_FIT]
    H = data.similarity.to_numpy()[:N_FIT, :N_FIT]
    selector = AISFeatureMapSelector(comparison=COMPARISON).fit(
        feat.fit_transform(images), H
    )
    model, cut = feat.backbone_.model, feat.layer_
    assert type(model).__name__ == "EfficientNet"
    x, h = _inputs(images), upper(H)
    full = score(_embeddings(model, x), h, SIMILARITY, COMPARISON)
    masked = _each_map_zeroed(model, x, cut, feat.n_maps_)
    expected = np.array([full - score(E, h, SIMILARITY, COMPARISON) for E in masked])
    assert selector.full_score_ == pytest.approx(full, abs=TOLERANCE)
    np.testing.assert_allclose(selector.ais_, expected, rtol=0, atol=TOLERANCE)
    assert np.ptp(expected) > 100 * TOLERANCE  # the maps matter unequally


def _image_scores(model, x, cut, n_maps, E_ref, h, t, drop_self):
    """Image ``t``'s score and its drop when each map is zeroed in ``t`` alone."""

    def image_score(e_t):
        refs = [j for j in range(len(E_ref)) if not (drop_self and j == t)]
        z = [pair_similarity(e_t, E_ref[j], SIMILARITY) for j in refs]
        return compare(z, h, COMPARISON)

    full = image_score(_embeddings(model, x[t : t + 1])[0])
    copies = x[t : t + 1].expand(n_maps, -1, -1, -1)  # copy k: map k zeroed
    masked = _embeddings(model, copies, cut, np.arange(n_maps))
    return full, np.array([full - image_score(e) for e in masked])


def test_explainer_per_image_ais_and_explain_equal_the_brute_force(data):
    feat = _random_lite("blocks.4")
    H = data.similarity.to_numpy()
    fit_images, new_images = data.images[:N_FIT], data.images[N_FIT:]
    explainer = AISHeatmapExplainer(featurizer=feat, comparison=COMPARISON).fit(
        fit_images, H[:N_FIT, :N_FIT]
    )
    fitted = explainer.featurizer_
    model, cut, n_maps = fitted.backbone_.model, fitted.layer_, fitted.n_maps_
    assert explainer.ais_per_image_.shape == (N_FIT, n_maps) == (N_FIT, 40)
    assert explainer.map_heatmaps_.shape == (N_FIT, 4, 4)
    assert [hm.shape for hm in explainer.heatmaps_] == [(SIZE, SIZE)] * N_FIT

    # Fitted images: image t against the other fitted images.
    x = _inputs(fit_images)
    E = _embeddings(model, x)
    np.testing.assert_allclose(explainer.embeddings_, E, rtol=1e-5, atol=1e-6)
    for t in (0, 5):
        h = np.delete(H[t, :N_FIT], t)
        full, ais = _image_scores(model, x, cut, n_maps, E, h, t, drop_self=True)
        assert explainer.full_score_per_image_[t] == pytest.approx(full, abs=TOLERANCE)
        np.testing.assert_allclose(
            explainer.ais_per_image_[t], ais, rtol=0, atol=TOLERANCE
        )
        assert np.ptp(ais) > 100 * TOLERANCE

    # New images: their judgments against the fitted images only.
    block = H[N_FIT:, :N_FIT]
    result = explainer.explain(new_images, block)
    x_new = _inputs(new_images)
    for t in range(N_NEW):
        full, ais = _image_scores(
            model, x_new, cut, n_maps, E, block[t], t, drop_self=False
        )
        assert result.full_score_per_image[t] == pytest.approx(full, abs=TOLERANCE)
        np.testing.assert_allclose(result.ais_per_image[t], ais, rtol=0, atol=TOLERANCE)
    assert result.map_heatmaps.shape == (N_NEW, 4, 4)


# -- input_size=448 and heatmaps at each image's size ---------------------------------


@pytest.mark.filterwarnings("ignore:.*no map with a positive AIS")
def test_input_size_448_gives_14_by_14_maps_and_heatmaps_at_image_size():
    rng = np.random.default_rng(0)
    sizes = [(40, 60), (64, 64), (30, 50), (50, 30), (45, 45), (60, 40)]
    images = [rng.random((*size, 3)) for size in sizes]
    H = pd.DataFrame(np.corrcoef(rng.random((len(images), 20))))
    featurizer = EfficientNetLite0Featurizer(input_size=448)
    explainer = AISHeatmapExplainer(featurizer=featurizer).fit(
        images[:4], H.iloc[:4, :4]
    )
    assert explainer.map_heatmaps_.shape == (4, 14, 14)
    assert [hm.shape for hm in explainer.heatmaps_] == sizes[:4]
    result = explainer.explain(images[4:], H.iloc[4:, :4])
    assert result.map_heatmaps.shape == (2, 14, 14)
    assert [hm.shape for hm in result.heatmaps] == sizes[4:]


@pytest.mark.filterwarnings("ignore:.*no map with a positive AIS")
def test_earlier_layer_heatmaps_at_image_size():
    rng = np.random.default_rng(1)
    sizes = [(40, 60), (64, 64), (30, 50), (50, 30), (45, 45)]
    images = [rng.random((*size, 3)) for size in sizes]
    H = pd.DataFrame(np.corrcoef(rng.random((len(images), 20))))
    explainer = AISHeatmapExplainer(featurizer=_random_lite("blocks.4")).fit(
        images[:4], H.iloc[:4, :4]
    )
    assert explainer.map_heatmaps_.shape == (4, 4, 4)
    assert [hm.shape for hm in explainer.heatmaps_] == sizes[:4]
    result = explainer.explain(images[4:], H.iloc[4:, :4])
    assert [hm.shape for hm in result.heatmaps] == sizes[4:]


@pytest.mark.filterwarnings("ignore:.*no map with a positive AIS")
@pytest.mark.slow
def test_earlier_layer_at_448_px_with_real_weights():
    """blocks.10 at 448 px: 112 maps of 28 x 28, heatmaps at each image's size."""
    data = make_comparison_images(n_images=4, image_size=96, random_state=0)
    featurizer = EfficientNetLite0Featurizer(layer="blocks.10", input_size=448)
    explainer = AISHeatmapExplainer(featurizer=featurizer).fit(
        data.images, data.similarity
    )
    assert explainer.map_heatmaps_.shape == (4, 28, 28)
    assert [hm.shape for hm in explainer.heatmaps_] == [(96, 96)] * 4
    assert np.isfinite(explainer.ais_per_image_).all()


def test_pickle_round_trip(data):
    feat = _random_lite("blocks.4").fit(data.images)
    maps = feat.transform(data.images)
    again = pickle.loads(pickle.dumps(feat))
    np.testing.assert_array_equal(np.asarray(again.transform(data.images)), maps)
    copied = pickle.loads(pickle.dumps(maps))
    with torch.inference_mode():
        x = torch.as_tensor(np.asarray(maps))
        assert torch.equal(copied.head(x), maps.head(x))
