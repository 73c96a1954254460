"""ModuleFeaturizer: a researcher's own network cut at a layer, with its own head.

The head between ``layer`` and ``output`` is split off with torch.fx. The
split is shown right by the brute force: AIS from the selector on the maps
equal AIS from the *whole* network re-run with channel ``k`` zeroed at the
layer's output by a forward hook (no split involved).
"""

import copy
import pickle
import re

import numpy as np
import pytest
import torch
from _brute_force import compare, pair_similarity, score, upper
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError
from torch import fx, nn
from torch.nn import functional as F

from sklearn_ais import (
    AISFeatureMapSelector,
    AISHeatmapExplainer,
    FeatureMaps,
    ModuleFeaturizer,
    RSAScorer,
)
from sklearn_ais.datasets import make_comparison_images
from sklearn_ais.featurizers import ModuleFeaturizer as FromFeaturizers

SIZE = 32
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
CLIP = ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))


class Net(nn.Module):
    """conv stem -> conv block (the cut) -> conv [-> norm] -> GAP -> projection."""

    def __init__(self, norm=False):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 6, 3, stride=2), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(6, 8, 3), nn.ReLU())
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
        self.norm = nn.BatchNorm2d(8) if norm else nn.Identity()
        self.proj = nn.Linear(8, 5)
        if norm:  # running statistics that are not the identity
            self.norm.running_mean.uniform_(-0.2, 0.2)
            self.norm.running_var.uniform_(0.5, 2.0)

    def forward(self, x):
        x = self.norm(self.conv(self.block(self.stem(x))))
        return self.proj(torch.relu(x).mean(dim=(2, 3)))


class Skip(Net):
    """The block's input is added after the conv: a skip connection across 'block'."""

    def forward(self, x):
        s = self.stem(x)
        x = self.conv(self.block(s)) + s.mean(dim=1, keepdim=True)
        return self.proj(x.mean(dim=(2, 3)))


class UsesInput(Net):
    """The embedding is scaled by the input's brightness, which no map carries."""

    def forward(self, x):
        return super().forward(x) * x.mean()


class Untraceable(Net):
    """Data-dependent control flow: torch.fx cannot trace it."""

    def forward(self, x):
        if x.mean() > 100:
            x = x * 0
        return super().forward(x)


class TwoOutputs(Net):
    """Returns (embedding, maps): the embedding must be named with output=."""

    def forward(self, x):
        maps = self.block(self.stem(x))
        return self.proj(torch.relu(self.conv(maps)).mean(dim=(2, 3))), maps


class Flat(nn.Module):
    """An MLP in the middle: its layers' outputs are not 4-D maps."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 2, 4, stride=4)
        self.fc1 = nn.Linear(2 * 8 * 8, 6)
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(self.stem(x).flatten(1))))


class Tokens(nn.Module):
    """Patch tokens (n, 16, 8) through a token mixer, then norm, mean and projection."""

    def __init__(self, class_token=False):
        super().__init__()
        self.patch = nn.Conv2d(3, 8, 8, stride=8)
        self.class_token = nn.Parameter(torch.randn(1, 1, 8)) if class_token else None
        self.mixer = nn.Linear(8, 8)
        self.norm = nn.LayerNorm(8)
        self.proj = nn.Linear(8, 4)

    def forward(self, x):
        tokens = self.patch(x).flatten(2).transpose(1, 2)
        if self.class_token is not None:
            cls = self.class_token.expand(x.shape[0], -1, -1)
            tokens = torch.cat([cls, tokens], dim=1)
        return self.proj(self.norm(self.mixer(tokens)).mean(dim=1))


class AttentionPool(nn.Module):
    """Attention pooling as in CLIP's ResNet image encoders (``AttentionPool2d``)."""

    def __init__(self, side, channels, heads, out):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(side**2 + 1, channels))
        self.q_proj = nn.Linear(channels, channels)
        self.k_proj = nn.Linear(channels, channels)
        self.v_proj = nn.Linear(channels, channels)
        self.c_proj = nn.Linear(channels, out)
        self.heads = heads

    def forward(self, x):
        x = x.flatten(start_dim=2).permute(2, 0, 1)
        x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)
        x = x + self.positional_embedding[:, None, :].to(x.dtype)
        x, _ = F.multi_head_attention_forward(
            query=x[:1],
            key=x,
            value=x,
            embed_dim_to_check=x.shape[-1],
            num_heads=self.heads,
            q_proj_weight=self.q_proj.weight,
            k_proj_weight=self.k_proj.weight,
            v_proj_weight=self.v_proj.weight,
            in_proj_weight=None,
            in_proj_bias=torch.cat(
                [self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]
            ),
            bias_k=None,
            bias_v=None,
            add_zero_attn=False,
            dropout_p=0.5,
            out_proj_weight=self.c_proj.weight,
            out_proj_bias=self.c_proj.bias,
            use_separate_proj_weight=True,
            training=self.training,
            need_weights=False,
        )
        return x.squeeze(0)


class AttentionEncoder(nn.Module):
    """A small CLIP-like ResNet encoder: convolutions, then attention pooling."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU())
        self.layer4 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
        self.attnpool = AttentionPool(side=8, channels=16, heads=4, out=6)

    def forward(self, x):
        return self.attnpool(self.layer4(self.stem(x)))


class AmaxHead(nn.Module):
    """The explicit head of ``Net`` (no norm): conv, ReLU, GAP, projection."""

    def __init__(self, net):
        super().__init__()
        self.conv, self.proj = net.conv, net.proj

    def forward(self, maps):
        return self.proj(torch.relu(self.conv(maps)).mean(dim=(2, 3)))


def _net(cls=Net, **kwargs):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return cls(**kwargs).eval()


@pytest.fixture(scope="module")
def data():
    return make_comparison_images(n_images=10, image_size=SIZE, random_state=0)


def _featurizer(module, **params):
    params = {"layer": "block", "input_size": SIZE, "device": "cpu", **params}
    return ModuleFeaturizer(module=module, **params)


def _inputs(images, mean=IMAGENET[0], std=IMAGENET[1]):
    """The network inputs of the default preprocessing, computed here by hand."""
    x = torch.as_tensor(np.asarray(images)).permute(0, 3, 1, 2).float() / 255
    return (x - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]


def _masked_embeddings(module, x, layer, channel=None, image=None):
    """The whole network's output, channel ``channel`` zeroed at ``layer``'s output.

    ``image`` restricts the zeroing to one image of the batch.
    """

    def zero(_module, _inputs, out):
        out = out.clone()
        rows = slice(None) if image is None else slice(image, image + 1)
        out[rows, channel] = 0
        return out

    handle = None
    if channel is not None:
        handle = module.get_submodule(layer).register_forward_hook(zero)
    try:
        with torch.inference_mode():
            return module(x).double().numpy()
    finally:
        if handle is not None:
            handle.remove()


@pytest.mark.parametrize("norm", [False, True], ids=["plain", "norm-in-head"])
def test_traced_head_gives_the_module_output(data, norm):
    net = _net(norm=norm)
    feat = _featurizer(net)
    maps = feat.fit_transform(data.images)
    assert isinstance(maps, FeatureMaps) and maps.shape == (10, 8, 13, 13)
    assert isinstance(feat.head_, fx.GraphModule)
    assert maps.head is feat.head_ and feat.n_maps_ == 8 and feat.layer_ == "block"
    # The head is the part after the cut only; the stem and block stay out.
    assert {"conv", "proj"} <= dict(feat.head_.named_children()).keys()
    assert not {"stem", "block"} & dict(feat.head_.named_children()).keys()
    with torch.inference_mode():
        embedded = feat.head_(torch.as_tensor(np.asarray(maps))).numpy()
    expected = _masked_embeddings(net, _inputs(data.images), "block")
    np.testing.assert_allclose(embedded, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("norm", [False, True], ids=["plain", "norm-in-head"])
def test_ais_equal_the_whole_module_masked_at_the_layer(data, norm):
    """The split is right: AIS from the maps and head = AIS from the whole network."""
    net = _net(norm=norm)
    H = data.similarity.to_numpy()
    selector = AISFeatureMapSelector().fit(
        _featurizer(net).fit_transform(data.images), H
    )
    x, h = _inputs(data.images), upper(H)
    full = score(_masked_embeddings(net, x, "block"), h, "cosine", "spearman")
    assert selector.full_score_ == pytest.approx(full, abs=1e-6)
    for k in (0, 3, 7):
        masked = _masked_embeddings(net, x, "block", channel=k)
        expected = full - score(masked, h, "cosine", "spearman")
        assert selector.ais_[k] == pytest.approx(expected, abs=1e-6)
    assert np.ptp(selector.ais_) > 0  # the maps matter unequally


def test_attention_pooling_head_as_clip_resnets(data):
    """CLIP's ResNet head (attention pooling) traces; AIS equal the whole network's.

    The module is in train mode with attention dropout: the head is traced
    and run as at inference, so the maps and AIS are deterministic.
    """
    net = _net(AttentionEncoder).train()
    feat = _featurizer(net, layer="layer4", mean=CLIP[0], std=CLIP[1])
    maps = feat.fit_transform(data.images)
    assert maps.shape == (10, 16, 8, 8) and isinstance(maps.head, fx.GraphModule)
    H = data.similarity.to_numpy()
    selector = AISFeatureMapSelector().fit(maps, H)
    net.eval()
    x, h = _inputs(data.images, *CLIP), upper(H)
    full = score(_masked_embeddings(net, x, "layer4"), h, "cosine", "spearman")
    assert selector.full_score_ == pytest.approx(full, abs=1e-6)
    for k in (2, 9):
        masked = _masked_embeddings(net, x, "layer4", channel=k)
        expected = full - score(masked, h, "cosine", "spearman")
        assert selector.ais_[k] == pytest.approx(expected, abs=1e-6)


def test_heatmaps_and_per_image_ais_follow_the_whole_module(data):
    net = _net(norm=True)
    H = data.similarity.to_numpy()
    explainer = AISHeatmapExplainer(featurizer=_featurizer(net)).fit(data.images, H)
    assert explainer.ais_per_image_.shape == (10, 8)
    assert explainer.map_heatmaps_.shape == (10, 13, 13)
    assert [hm.shape for hm in explainer.heatmaps_] == [(SIZE, SIZE)] * 10
    # Per-image AIS of image t, map k: zero k in t alone, re-run the network.
    x = _inputs(data.images)
    E = _masked_embeddings(net, x, "block")

    def image_score(t, e_t):
        z = [pair_similarity(e_t, E[j], "cosine") for j in range(10) if j != t]
        return compare(z, np.delete(H[t], t), "spearman")

    for t, k in [(0, 2), (4, 5)]:
        masked = _masked_embeddings(net, x, "block", channel=k, image=t)[t]
        expected = image_score(t, E[t]) - image_score(t, masked)
        assert explainer.ais_per_image_[t, k] == pytest.approx(expected, abs=1e-6)


def test_pipeline_in_cross_val_score(data):
    pipe = Pipeline(
        [("feat", _featurizer(_net(norm=True))), ("ais", AISFeatureMapSelector())]
    )
    scores = cross_val_score(
        pipe,
        data.images,
        data.similarity,
        cv=KFold(3, shuffle=True, random_state=0),
        scoring=RSAScorer(),
    )
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_module_is_copied_and_never_modified(data):
    net = _net(norm=True).train()
    before = copy.deepcopy(net.state_dict())
    feat = _featurizer(net).fit(data.images)
    feat.transform(data.images)
    assert feat.backbone_.model is not net
    assert net.training and all(m.training for m in net.modules())
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key])


def test_mean_and_std_normalise_the_inputs(data):
    net = _net()
    default = np.asarray(_featurizer(net).fit_transform(data.images))
    clip = np.asarray(
        _featurizer(net, mean=CLIP[0], std=CLIP[1]).fit_transform(data.images)
    )
    assert not np.allclose(default, clip)
    for maps, (mean, std) in ((default, IMAGENET), (clip, CLIP)):
        with torch.inference_mode():
            expected = net.block(net.stem(_inputs(data.images, mean, std))).numpy()
        np.testing.assert_allclose(maps, expected, rtol=1e-5, atol=1e-5)


def test_output_names_a_module(data):
    # A network returning a tuple: output= names the embedding's module.
    with pytest.raises(ValueError, match="returns tuple values, not one tensor"):
        _featurizer(_net(TwoOutputs)).fit(data.images)
    feat = _featurizer(_net(TwoOutputs), output="proj")
    maps = feat.fit_transform(data.images)
    with torch.inference_mode():
        expected = feat.backbone_.model(_inputs(data.images))[0].numpy()
        got = feat.head_(torch.as_tensor(np.asarray(maps))).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # A 4-D output is flattened to one embedding per image.
    feat = _featurizer(_net(), layer="stem", output="conv").fit(data.images)
    with torch.inference_mode():
        out = feat.head_(torch.zeros(2, 6, 15, 15))
    assert out.shape == (2, 8 * 13 * 13)


@pytest.mark.parametrize(
    "cls, match",
    [
        (Skip, "fx node 'mean'.* from the output of module 'stem.1'"),
        (UsesInput, "fx node 'mean_1'.* from the network's input 'x'"),
    ],
    ids=["skip-connection", "input-image"],
)
def test_value_from_before_the_cut_is_refused(data, cls, match):
    with pytest.raises(ValueError) as info:
        _featurizer(_net(cls)).fit(data.images)
    message = str(info.value)
    assert "not a function of the maps alone" in message
    assert re.search(match, message) and "head=" in message


def test_skip_connection_is_refused_at_any_cut_it_crosses(data):
    # Cut at the conv after the block: the skip from the stem still crosses.
    with pytest.raises(ValueError, match="module 'stem.1'"):
        _featurizer(_net(Skip), layer="conv").fit(data.images)
    assert _featurizer(_net(), layer="conv").fit(data.images).n_maps_ == 8


def test_untraceable_module_is_refused_then_takes_head(data):
    net = _net(Untraceable)
    with pytest.raises(ValueError) as info:
        _featurizer(net).fit(data.images)
    message = str(info.value)
    assert "torch.fx cannot trace Untraceable" in message and "head=" in message
    assert "control flow" in message  # fx's own reason
    feat = _featurizer(net, head=AmaxHead(net))
    maps = feat.fit_transform(data.images)
    assert isinstance(feat.head_, AmaxHead) and feat.head_ is not feat.head
    H = data.similarity.to_numpy()
    selector = AISFeatureMapSelector().fit(maps, H)
    x, h = _inputs(data.images), upper(H)
    full = score(_masked_embeddings(net, x, "block"), h, "cosine", "spearman")
    masked = _masked_embeddings(net, x, "block", channel=1)
    assert selector.ais_[1] == pytest.approx(
        full - score(masked, h, "cosine", "spearman"), abs=1e-6
    )


def test_explicit_head_that_is_not_the_module_is_refused(data):
    wrong = AmaxHead(_net())
    wrong.proj = nn.Linear(8, 5)  # other weights
    with pytest.raises(ValueError, match="does not give the network's output"):
        _featurizer(_net(), head=wrong).fit(data.images)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        _featurizer(_net(), head=nn.Sequential(nn.Flatten(), nn.LazyLinear(3))).fit(
            data.images
        )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"layer": "nope"}, "Net has no module 'nope' \\(layer=\\).*stem"),
        ({"output": "proj.nope"}, "Net has no module 'proj.nope' \\(output=\\)"),
        ({"output": "block"}, "is the layer itself"),
        ({"output": "stem"}, "'stem' does not come after layer 'block'"),
    ],
    ids=["bad-layer", "bad-output", "output-is-layer", "output-before-layer"],
)
def test_bad_layer_or_output_is_refused(data, params, match):
    with pytest.raises(ValueError, match=match):
        _featurizer(_net(), **params).fit(data.images)


def test_maps_that_are_not_4d_are_refused(data):
    with pytest.raises(ValueError, match=r"returns shape \(6,\) per image"):
        _featurizer(Flat(), layer="fc1").fit(data.images)
    with pytest.raises(ValueError, match="17 tokens do not lie on a square grid"):
        _featurizer(_net(Tokens, class_token=True), layer="mixer").fit(data.images)


def test_square_token_grid_becomes_maps(data):
    net = _net(Tokens)
    feat = _featurizer(net, layer="mixer")
    maps = feat.fit_transform(data.images)
    assert maps.shape == (10, 8, 4, 4)  # 16 tokens of 8 channels on a 4 x 4 grid
    with torch.inference_mode():
        tokens = net.mixer(net.patch(_inputs(data.images)).flatten(2).transpose(1, 2))
    # Token (i * 4 + j) is pixel (i, j) of every map.
    np.testing.assert_allclose(
        np.asarray(maps)[:, :, 1, 2], tokens[:, 6].numpy(), rtol=1e-5, atol=1e-6
    )
    H = data.similarity.to_numpy()
    selector = AISFeatureMapSelector().fit(maps, H)
    x, h = _inputs(data.images), upper(H)

    def masked(k):
        def zero(_m, _i, out):
            out = out.clone()
            out[..., k] = 0  # channel k of every token
            return out

        handle = net.mixer.register_forward_hook(zero)
        with torch.inference_mode():
            out = net(x).double().numpy()
        handle.remove()
        return out

    with torch.inference_mode():
        full = score(net(x).double().numpy(), h, "cosine", "spearman")
    for k in (0, 5):
        assert selector.ais_[k] == pytest.approx(
            full - score(masked(k), h, "cosine", "spearman"), abs=1e-6
        )


def test_pickle_round_trip(data):
    feat = _featurizer(_net(norm=True)).fit(data.images)
    maps = feat.transform(data.images)
    loaded = pickle.loads(pickle.dumps(feat))
    np.testing.assert_array_equal(np.asarray(loaded.transform(data.images)), maps)
    # The maps carry their traced head through a pickle too.
    head = pickle.loads(pickle.dumps(maps)).head
    with torch.inference_mode():
        batch = torch.as_tensor(np.asarray(maps))
        np.testing.assert_array_equal(head(batch).numpy(), feat.head_(batch).numpy())
    H = data.similarity.to_numpy()
    selector = pickle.loads(pickle.dumps(AISFeatureMapSelector().fit(maps, H)))
    np.testing.assert_allclose(
        selector.transform(maps), AISFeatureMapSelector().fit(maps, H).transform(maps)
    )


def test_memory_keys_on_the_module_and_normalisation(tmp_path, data, monkeypatch):
    calls = []
    compute = ModuleFeaturizer._compute_maps
    monkeypatch.setattr(
        ModuleFeaturizer,
        "_compute_maps",
        lambda self, items: calls.append(1) or compute(self, items),
    )
    net = _net(norm=True)
    first = _featurizer(net, memory=tmp_path).fit_transform(data.images)
    again = _featurizer(copy.deepcopy(net), memory=tmp_path).fit_transform(data.images)
    np.testing.assert_array_equal(first, again)
    assert len(calls) == 1  # the same weights and inputs: a hit
    _featurizer(net, memory=tmp_path, mean=CLIP[0]).fit_transform(data.images)
    other = _net(norm=True)
    with torch.no_grad():
        other.proj.weight.add_(1.0)  # a head weight only
    _featurizer(other, memory=tmp_path).fit_transform(data.images)
    assert len(calls) == 3


def test_parameters_are_checked(data):
    assert FromFeaturizers is ModuleFeaturizer
    with pytest.raises(ValueError, match="needs module="):
        ModuleFeaturizer().fit(data.images)
    with pytest.raises(InvalidParameterError, match="three positive floats"):
        _featurizer(_net(), std=(0.2, 0.0, 0.2)).fit(data.images)
    with pytest.raises(InvalidParameterError, match="three floats"):
        _featurizer(_net(), mean=(0.5, 0.5)).fit(data.images)
    with pytest.raises(InvalidParameterError, match="'module' parameter"):
        ModuleFeaturizer(module="resnet50").fit(data.images)


def test_logits_are_the_module_output(data):
    net = _net(norm=True)
    logits = _featurizer(net).fit(data.images).logits(data.images)
    expected = _masked_embeddings(net, _inputs(data.images), "block")
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)


def test_layer_none_finds_the_deepest_map(data):
    feat = _featurizer(_net(norm=True), layer=None).fit(data.images)
    assert feat.layer_ == "norm" and feat.n_maps_ == 8
