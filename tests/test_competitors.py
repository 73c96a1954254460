"""Competing heatmap methods: mean map, activation x gradient, Grad-CAM."""

import numpy as np
import pandas as pd
import pytest
from _data import noisy_similarity
from scipy import stats

from sklearn_ais import AISHeatmapExplainer
from sklearn_ais._heatmaps import _weighted_sum, heatmap_weights
from sklearn_ais.analysis import (
    gradcam_heatmaps,
    gradient_heatmaps,
    mean_map_heatmaps,
)
from sklearn_ais.analysis._competitors import _first_order_ais, _similarities_to
from sklearn_ais.explain import upsample_heatmap

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

N_FIT, N_NEW = 16, 6


def _problem(n_maps=24, shape=(4, 4), seed=0):
    """Sparse ReLU-like maps of fitted and new images, and human similarities."""
    rng = np.random.default_rng(seed)
    n = N_FIT + N_NEW
    maps = np.maximum(rng.standard_normal((n, n_maps) + shape) - 0.3, 0)
    ids = [f"im{i}" for i in range(n)]
    H = pd.DataFrame(noisy_similarity(rng, n), index=ids, columns=ids)
    fit, new = ids[:N_FIT], ids[N_FIT:]
    return maps[:N_FIT], maps[N_FIT:], H.loc[fit, fit], H.loc[new, fit]


def _fitted(fit_maps, H_fit, **params):
    params = {"featurizer": "passthrough", "comparison": "pearson", **params}
    return AISHeatmapExplainer(**params).fit(fit_maps, H_fit)


def _estimate(explainer, maps, H_new, head=None):
    return _first_order_ais(
        maps,
        head,
        explainer.embeddings_,
        H_new.to_numpy(),
        explainer.similarity,
    )


def test_mean_map_heatmaps_are_the_unweighted_mean_of_the_maps():
    fit_maps, new_maps, H_fit, _ = _problem()
    explainer = _fitted(fit_maps, H_fit)
    heatmaps = mean_map_heatmaps(explainer, new_maps)
    np.testing.assert_allclose(heatmaps, new_maps.mean(axis=1), rtol=1e-6)


@pytest.mark.parametrize("similarity", ["cosine", "pearson", "euclidean"])
def test_gradient_scores_are_the_explainers_full_scores(similarity):
    # S_t is the score explain() reports with comparison="pearson": the same
    # similarities and the same reading of y.
    fit_maps, new_maps, H_fit, H_new = _problem()
    explainer = _fitted(fit_maps, H_fit, similarity=similarity)
    scores, _ = _estimate(explainer, new_maps, H_new)
    exact = explainer.explain(new_maps, H_new).full_score_per_image
    np.testing.assert_allclose(scores, exact, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("similarity", ["cosine", "pearson", "euclidean"])
def test_first_order_estimate_is_the_derivative_of_the_drop(similarity):
    # AIS_hat[t, k] = sum A_k dS/dA_k = d/dl S(A with A_k scaled by l) at l=1:
    # central differences of the engine's own scores (not this module's).
    fit_maps, new_maps, H_fit, H_new = _problem()
    explainer = _fitted(fit_maps, H_fit, similarity=similarity)
    _, ais = _estimate(explainer, new_maps, H_new)
    eps = 1e-4  # the engine snaps similarities to ~1e-12 of their scale
    for k in (0, 5, 17):
        scaled = []
        for factor in (1 + eps, 1 - eps):
            maps = new_maps.copy()
            maps[:, k] *= factor
            scaled.append(explainer.explain(maps, H_new).full_score_per_image)
        derivative = (scaled[0] - scaled[1]) / (2 * eps)
        np.testing.assert_allclose(ais[:, k], derivative, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("similarity", ["cosine", "pearson"])
def test_estimates_sum_to_zero_for_scale_invariant_scores(similarity):
    # GAP is homogeneous of degree 1 and cosine (Pearson) similarity of
    # degree 0 in the test embedding, so S_t(c A) = S_t(A) for c > 0 and by
    # Euler's theorem sum_k A_k . dS/dA_k = dS(cA)/dc at c=1 = 0. A map
    # absent from an image has AIS 0 exactly, estimated 0 exactly.
    fit_maps, new_maps, H_fit, H_new = _problem()
    new_maps[0, 3] = 0.0
    explainer = _fitted(fit_maps, H_fit, similarity=similarity)
    _, ais = _estimate(explainer, new_maps, H_new)
    assert np.abs(ais).max() > 1e-3
    np.testing.assert_allclose(ais.sum(axis=1), 0.0, atol=1e-12)
    assert ais[0, 3] == 0.0
    assert explainer.explain(new_maps, H_new).ais_per_image[0, 3] == 0.0


def test_first_order_estimate_ranks_maps_as_the_exact_ais():
    # Maps of a tiny random-weight network (a ReLU convolution of random
    # images), global average pooled. With many maps, masking one is a small
    # step, where the first-order estimate tracks the exact drop (with 48
    # maps, a few of which dominate, per-image correlations fall to ~0.4).
    gen = torch.Generator().manual_seed(0)
    conv = nn.Conv2d(3, 256, 3, stride=2)
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen))
        images = torch.rand(N_FIT + N_NEW, 3, 17, 17, generator=gen)
        maps = torch.relu(conv(images)).double().numpy()
    _, _, H_fit, H_new = _problem()
    explainer = _fitted(maps[:N_FIT], H_fit)
    _, estimate = _estimate(explainer, maps[N_FIT:], H_new)
    exact = explainer.explain(maps[N_FIT:], H_new).ais_per_image
    per_image = [stats.spearmanr(a, b)[0] for a, b in zip(estimate, exact)]
    assert np.median(per_image) > 0.85
    big = np.abs(exact) > np.median(np.abs(exact))
    assert np.mean(np.sign(estimate[big]) == np.sign(exact[big])) > 0.9


class _SmallHead(nn.Module):
    """A non-linear float64 head: 1x1 convolution, tanh, GAP."""

    def __init__(self, n_maps, seed=0):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.mix = nn.Conv2d(n_maps, 5, 1).double()
        with torch.no_grad():
            self.mix.weight.copy_(torch.randn(self.mix.weight.shape, generator=gen))
        self.mix.requires_grad_(False)

    def forward(self, maps):
        return torch.tanh(self.mix(maps)).mean(dim=(2, 3))


@pytest.mark.parametrize("similarity", ["cosine", "euclidean"])
def test_gradient_matches_finite_differences_of_the_score(similarity):
    from sklearn_ais.analysis._competitors import _pearson_rows

    fit_maps, new_maps, _, H_new = _problem(n_maps=3, shape=(2, 2))
    new_maps, H_new = new_maps[:3], H_new.iloc[:3]
    head = _SmallHead(3)
    with torch.no_grad():
        reference = head(torch.as_tensor(fit_maps))
    human = torch.tensor(H_new.to_numpy())

    def score(maps):
        sims = _similarities_to(head(maps), reference, similarity)
        return _pearson_rows(sims, human)[0]

    maps = torch.as_tensor(new_maps).requires_grad_(True)
    assert torch.autograd.gradcheck(
        score, (maps,), eps=1e-6, atol=1e-7, rtol=1e-5, fast_mode=True
    )
    # ... and the estimate is that gradient times the maps.
    _, ais = _first_order_ais(
        new_maps, head, reference.numpy(), H_new.to_numpy(), similarity
    )
    (grad,) = torch.autograd.grad(score(maps).sum(), maps)
    np.testing.assert_allclose(ais, (maps * grad).sum(dim=(2, 3)).detach().numpy())


def test_gradient_heatmaps_weight_the_maps_as_the_explainer_does():
    fit_maps, new_maps, H_fit, H_new = _problem()
    explainer = _fitted(fit_maps, H_fit, negative="signed")
    heatmaps = gradient_heatmaps(explainer, new_maps, H_new, batch_size=4)
    _, ais = _estimate(explainer, new_maps, H_new)
    expected = _weighted_sum(new_maps, heatmap_weights(ais, negative="signed")[1])
    np.testing.assert_allclose(heatmaps, expected, rtol=1e-5, atol=1e-7)
    assert (np.stack(heatmaps) < 0).any()  # signed weights


def test_gradient_heatmaps_read_dissimilarities_and_missing_pairs():
    fit_maps, new_maps, H_fit, H_new = _problem()
    explainer = _fitted(
        fit_maps, -H_fit, target="dissimilarity", missing="ignore", negative="absolute"
    )
    D_new = -H_new.copy()
    D_new.iloc[0, 1:] = np.nan  # one rated pair: no score
    D_new.iloc[1, ::2] = np.nan
    scores, ais = _estimate(explainer, new_maps, -D_new)
    with pytest.warns(UserWarning, match="fewer than 2 rated pairs"):
        exact = explainer.explain(new_maps, D_new).full_score_per_image
    np.testing.assert_allclose(scores, exact, rtol=1e-10)
    assert np.isnan(ais[0]).all() and not np.isnan(ais[1:]).any()
    heatmaps = gradient_heatmaps(explainer, new_maps, D_new)
    assert not heatmaps[0].any() and all(h.any() for h in heatmaps[1:])


def test_gradient_heatmaps_refuse_spearman_similarity():
    fit_maps, new_maps, H_fit, H_new = _problem()
    explainer = _fitted(fit_maps, H_fit, similarity="spearman")
    with pytest.raises(ValueError, match="spearman.*no gradient"):
        gradient_heatmaps(explainer, new_maps, H_new)


def test_gradcam_refuses_an_explainer_without_a_network():
    fit_maps, new_maps, H_fit, _ = _problem()
    with pytest.raises(ValueError, match="needs the explainer's network"):
        gradcam_heatmaps(_fitted(fit_maps, H_fit), new_maps)


def _images(n, seed=0, size=(40, 52)):
    rng = np.random.default_rng(seed)
    return [rng.random(size + (3,)).astype(np.float32) for _ in range(n)]


def _similarities(n, seed=0):
    ids = [f"im{i}" for i in range(n)]
    H = noisy_similarity(np.random.default_rng(seed), n)
    return pd.DataFrame(H, index=ids, columns=ids)


def _image_explainer(featurizer, n=5, **params):
    images = _images(n)
    return AISHeatmapExplainer(featurizer=featurizer, **params).fit(
        pd.Series(images, index=[f"im{i}" for i in range(n)]), _similarities(n)
    )


class _TinyClassifier(nn.Module):
    """A classifier small enough to check by hand, with fixed random weights."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self._build()

    def _build(self):
        self.block1 = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU())
        self.block2 = nn.Sequential(
            nn.Conv2d(6, 8, 3, stride=2), nn.BatchNorm2d(8), nn.ReLU()
        )
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(self.drop(self.block2(self.block1(x)).mean(dim=(2, 3))))


def _resnet_tail(m, x):
    """A torchvision ResNet's layer4 maps and its logits from them."""
    with torch.no_grad():
        a = m.layer4(m.layer3(m.layer2(m.layer1(m.maxpool(m.relu(m.bn1(m.conv1(x))))))))
    a.requires_grad_(True)
    return a, m.fc(torch.flatten(m.avgpool(a), 1))


def _tiny_tail(m, x):
    """_TinyClassifier's block2 maps and its logits from them (dropout off)."""
    with torch.no_grad():
        a = m.block2(m.block1(x))
    a.requires_grad_(True)
    return a, m.fc(a.mean(dim=(2, 3)))


@pytest.mark.parametrize(
    "network",
    ["tiny", pytest.param("resnet18", marks=pytest.mark.slow)],
)
def test_gradcam_equals_a_plain_recomputation(network):
    from sklearn_ais import TorchvisionFeaturizer
    from sklearn_ais._images import load_images

    if network == "tiny":
        model, layer, tail, size = _TinyClassifier(), "block2", _tiny_tail, 24
    else:
        model, layer, tail, size = "resnet18", None, _resnet_tail, 64
    featurizer = TorchvisionFeaturizer(
        model=model, weights=None, layer=layer, random_state=0, input_size=size
    )
    explainer = _image_explainer(featurizer, upsample="bicubic")
    images = _images(3, seed=1) + _images(1, seed=2, size=(30, 20))
    heatmaps = gradcam_heatmaps(explainer, images, batch_size=2)

    # ImageNet normalisation, as the featurizer's default preprocessing.
    x = torch.cat([load_images([im], size=(size, size)) for im in images])
    a, logits = tail(explainer.featurizer_.backbone_.model, x)
    top = logits.argmax(dim=1)
    (grad,) = torch.autograd.grad(logits[torch.arange(len(x)), top].sum(), a)
    cams = torch.relu((grad.mean(dim=(2, 3))[:, :, None, None] * a).sum(dim=1))
    for heatmap, cam, image in zip(heatmaps, cams.detach().numpy(), images):
        expected = upsample_heatmap(cam, image.shape[:2], mode="bicubic")
        assert heatmap.shape == image.shape[:2]
        np.testing.assert_allclose(heatmap, expected, rtol=1e-4, atol=1e-6)
    assert sum(h.max() > 0 for h in heatmaps) >= 2  # not a comparison of zeros


def test_gradcam_leaves_the_network_as_it_found_it():
    from sklearn_ais import TorchvisionFeaturizer

    featurizer = TorchvisionFeaturizer(
        model=_TinyClassifier(), weights=None, layer="block2", input_size=24
    )
    explainer = _image_explainer(featurizer)
    model = explainer.featurizer_.backbone_.model
    images = _images(2, seed=3)
    before = gradcam_heatmaps(explainer, images)
    # A caller's own state: training mode and gradients on.
    model.train()
    model.block1.requires_grad_(True)
    try:
        during = gradcam_heatmaps(explainer, images)
        assert all(m.training for m in model.modules())  # eval for the pass only
        assert [p.requires_grad for p in model.parameters()] == [True] * 2 + [False] * 6
        assert all(p.grad is None for p in model.parameters())
        assert not any(m._forward_hooks for m in model.modules())
    finally:
        model.eval().requires_grad_(False)
    # Eval mode in the pass: dropout off, batch norm's running statistics.
    np.testing.assert_allclose(during, before)
    assert not any(p.requires_grad for p in model.parameters())


@pytest.mark.slow  # builds EfficientNet-Lite0 (a few seconds on a loaded CPU)
def test_gradcam_runs_on_efficientnet_lite0():
    pytest.importorskip("efficientnet_lite_pytorch")
    from sklearn_ais.featurizers import EfficientNetLite0Featurizer

    explainer = _image_explainer(EfficientNetLite0Featurizer(device="cpu"), n=3)
    model = explainer.featurizer_.backbone_.model
    images = _images(2, seed=4, size=(48, 64))
    heatmaps = gradcam_heatmaps(explainer, images)
    assert [h.shape for h in heatmaps] == [(48, 64)] * 2
    assert all(np.isfinite(h).all() and h.min() >= 0 and h.max() > 0 for h in heatmaps)
    assert "extract_features" not in vars(model)  # the method is back

    # The same Grad-CAM from the network's own tail: pooling, dropout, fc.
    maps = torch.as_tensor(np.asarray(explainer.featurizer_.transform(images)))
    maps.requires_grad_(True)
    logits = model._fc(model._dropout(model._avg_pooling(maps).flatten(1)))
    top = logits.argmax(dim=1)
    (grad,) = torch.autograd.grad(logits[torch.arange(2), top].sum(), maps)
    cams = torch.relu((grad.mean(dim=(2, 3))[:, :, None, None] * maps).sum(dim=1))
    for heatmap, cam in zip(heatmaps, cams.detach().numpy()):
        expected = upsample_heatmap(cam, (48, 64))
        np.testing.assert_allclose(heatmap, expected, rtol=1e-3, atol=1e-4 * cam.max())


class _ProjectedNet(nn.Module):
    """A network whose head after ``block`` is not pooling alone: a traced head."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.ReLU())
            self.block = nn.Sequential(nn.Conv2d(8, 16, 3), nn.ReLU())
            self.mix = nn.Conv2d(16, 16, 1)
            self.proj = nn.Linear(16, 6)

    def forward(self, x):
        x = self.mix(self.block(self.stem(x)))
        return self.proj(torch.tanh(x).mean(dim=(2, 3)))


def test_gradient_heatmaps_run_the_maps_own_torch_head():
    # The head (mix, tanh, pooling, projection) runs in float32 as the
    # generic engine runs it: S_t agrees with explain's scores to float32.
    from sklearn_ais import ModuleFeaturizer

    featurizer = ModuleFeaturizer(module=_ProjectedNet(), layer="block", input_size=24)
    explainer = _image_explainer(featurizer, n=8, comparison="pearson")
    images, H = _images(4, seed=5), _similarities(12, seed=1).iloc[8:, :8]
    maps, head, _ = explainer._maps(images, reset=False)
    assert type(head).__name__ != "GAPHead"
    scores, ais = _first_order_ais(
        maps, head, explainer.embeddings_, H.to_numpy(), "cosine"
    )
    result = explainer.explain(images, H)
    np.testing.assert_allclose(scores, result.full_score_per_image, atol=1e-5)
    big = np.abs(result.ais_per_image) > np.median(np.abs(result.ais_per_image))
    assert np.mean(np.sign(ais[big]) == np.sign(result.ais_per_image[big])) > 0.8
    modes = [m.training for m in head.modules()]
    heatmaps = gradient_heatmaps(explainer, images, H, batch_size=3)
    assert [h.shape for h in heatmaps] == [(40, 52)] * 4
    assert [m.training for m in head.modules()] == modes
    assert not any(p.requires_grad for p in head.parameters())


@pytest.mark.slow  # builds and traces EfficientNet-Lite0
def test_gradcam_at_an_earlier_efficientnet_block():
    # Cut at a block, the maps' layer is a module of the network: Grad-CAM
    # there equals a recomputation through the featurizer's own head (the
    # rest of the network up to the pooling) and the classifier.
    pytest.importorskip("efficientnet_lite_pytorch")
    from sklearn_ais.featurizers import EfficientNetLite0Featurizer

    featurizer = EfficientNetLite0Featurizer(layer="blocks.14", device="cpu")
    explainer = _image_explainer(featurizer, n=3)
    model = explainer.featurizer_.backbone_.model
    images = _images(2, seed=6, size=(48, 64))
    heatmaps = gradcam_heatmaps(explainer, images)
    assert not any(m._forward_hooks for m in model.modules())

    maps = explainer.featurizer_.transform(images)
    head = maps.head
    maps = torch.as_tensor(np.asarray(maps)).requires_grad_(True)
    logits = model._fc(head(maps))
    top = logits.argmax(dim=1)
    (grad,) = torch.autograd.grad(logits[torch.arange(2), top].sum(), maps)
    cams = torch.relu((grad.mean(dim=(2, 3))[:, :, None, None] * maps).sum(dim=1))
    for heatmap, cam in zip(heatmaps, cams.detach().numpy()):
        expected = upsample_heatmap(cam, (48, 64))
        np.testing.assert_allclose(heatmap, expected, rtol=1e-3, atol=1e-4 * cam.max())
