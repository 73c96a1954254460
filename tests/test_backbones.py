"""Tests of backbones: trunk/head splits, layers, weight names and files."""

from urllib.error import URLError

import pytest
import torch
import torchvision
from _networks import TinyNet, vgg_embedding
from torch import nn

from sklearn_ais._backbones import (
    _resolve_weights,
    load_state_dict_file,
    split_model,
    torchvision_backbone,
)
from sklearn_ais._heads import GAPHead, VGGHead

# Small inputs keep the big networks fast; Inception-V3 needs at least 75 px.
PROBE = 80

# name: (number of maps, layer, classifier attribute replaced by Identity)
ARCHITECTURES = {
    "vgg16": (512, "features.29", None),
    "vgg19": (512, "features.35", None),
    "resnet18": (512, "layer4", "fc"),
    "resnet152": (2048, "layer4", "fc"),
    "resnext50_32x4d": (2048, "layer4", "fc"),
    "inception_v3": (2048, "Mixed_7c", "fc"),
    "densenet161": (2208, "features", "classifier"),
    "efficientnet_b3": (1536, "features", "classifier"),
    "regnet_y_400mf": (440, "trunk_output", "fc"),
}
# Deselect these with -m "not slow" for a quick run.
SLOW = {"vgg19", "resnet152", "resnext50_32x4d", "densenet161", "inception_v3"}


@pytest.fixture(scope="module")
def backbones():
    """Build each architecture once (random weights) and share it."""
    cache = {}

    def get(name):
        if name not in cache:
            torch.manual_seed(0)
            cache[name] = torchvision_backbone(name, weights=None)
        return cache[name]

    return get


def _embedding_reference(name, model, x):
    """The network's own penultimate embedding, computed from the full model."""
    if name.startswith("vgg"):
        return vgg_embedding(model, x)
    # The input of the classifier during the network's own forward.
    inputs = []
    classifier = getattr(model, ARCHITECTURES[name][2])
    handle = classifier.register_forward_pre_hook(lambda _m, args: inputs.append(args))
    try:
        model(x)
    finally:
        handle.remove()
    return inputs[0][0]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=[pytest.mark.slow] if n in SLOW else [])
        for n in ARCHITECTURES
    ],
)
def test_architecture_split(backbones, name):
    n_maps, layer, _ = ARCHITECTURES[name]
    backbone = backbones(name)
    assert backbone.layer == layer
    assert isinstance(backbone.head, VGGHead if name.startswith("vgg") else GAPHead)
    x = torch.rand(2, 3, PROBE, PROBE)
    with torch.inference_mode():
        maps = backbone.trunk(x)
        embedding = backbone.head(maps)
        expected = _embedding_reference(name, backbone.model, x)
    assert maps.ndim == 4 and maps.shape[:2] == (2, n_maps)
    torch.testing.assert_close(embedding, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_vgg_trunk_is_features_prefix(backbones):
    assert len(backbones("vgg16").trunk) == 30
    assert len(backbones("vgg19").trunk) == 36
    # The paper's head: fc6 and fc7 of the classifier, shared, not copied.
    model = backbones("vgg16").model
    assert backbones("vgg16").head.fc6 is model.classifier[0]
    assert backbones("vgg16").head.fc7 is model.classifier[3]


@pytest.mark.slow
def test_densenet_trunk_includes_final_relu(backbones):
    backbone = backbones("densenet161")
    x = torch.rand(1, 3, PROBE, PROBE)
    with torch.inference_mode():
        maps = backbone.trunk(x)
        features = backbone.model.features(x)
    assert maps.min() >= 0 and features.min() < 0
    torch.testing.assert_close(maps, torch.relu(features))


def test_user_module_layers():
    torch.manual_seed(0)
    net = TinyNet().eval()
    auto = split_model(net)
    assert auto.layer == "block2" and isinstance(auto.head, GAPHead)
    x = torch.rand(2, 3, 16, 16)
    with torch.inference_mode():
        torch.testing.assert_close(auto.trunk(x), net.block2(net.block1(x)))
        explicit = split_model(net, "block1.1")
        torch.testing.assert_close(explicit.trunk(x), net.block1(x))
    with pytest.raises(ValueError, match="has no layer 'block9'.*block1, block2"):
        split_model(net, "block9")
    with pytest.raises(ValueError, match="no convolutional layer"):
        split_model(nn.Sequential(nn.Flatten(), nn.Linear(3 * 224 * 224, 2)))


def test_weights_names_resolve_without_download():
    weights = torchvision.models.ResNet18_Weights
    assert _resolve_weights("resnet18", "IMAGENET1K_V1") is weights.IMAGENET1K_V1
    assert _resolve_weights("resnet18", "DEFAULT") is weights.DEFAULT
    with pytest.raises(ValueError, match="Unknown weights 'IMAGENET9K'.*IMAGENET1K_V1"):
        torchvision_backbone("resnet18", weights="IMAGENET9K")
    with pytest.raises(ValueError, match="Unknown torchvision classification model"):
        torchvision_backbone("resnet9000", weights=None)
    with pytest.raises(ValueError, match="does not exist"):
        torchvision_backbone("resnet18", weights="no/such/file.pth")


def test_named_weights_are_fetched_by_torchvision(monkeypatch):
    # Named weights go through torchvision's download; none happens in tests.
    urls = []

    def offline(url, *args, **kwargs):
        urls.append(url)
        raise URLError("no network")

    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", offline)
    with pytest.raises(OSError, match="Cannot get the IMAGENET1K_V1 weights of"):
        torchvision_backbone("resnet18", weights="IMAGENET1K_V1")
    assert urls == [torchvision.models.ResNet18_Weights.IMAGENET1K_V1.url]


def test_state_dict_key_errors(tmp_path):
    state = TinyNet().state_dict()
    cases = {
        "lacks keys for TinyNet: block1.0.weight": {
            k: v for k, v in state.items() if k != "block1.0.weight"
        },
        "has unexpected keys for TinyNet: extra.weight": {
            **state,
            "extra.weight": torch.zeros(1),
        },
    }
    for match, broken in cases.items():
        path = tmp_path / "broken.pth"
        torch.save(broken, path)
        with pytest.raises(ValueError, match=match):
            load_state_dict_file(TinyNet(), path)
    path.write_text("not a state dict")
    with pytest.raises(ValueError, match="Cannot load weights from .*broken.pth"):
        load_state_dict_file(TinyNet(), path)
    # A missing classifier is fine and keeps its initial weights.
    torch.save({k: v for k, v in state.items() if not k.startswith("fc.")}, path)
    load_state_dict_file(TinyNet(), path)
