"""Featurizers of torchvision networks: any classifier; VGG with its fc6/fc7 head."""

import copy
import os

from sklearn.utils._param_validation import HasMethods, StrOptions

from ._base import (
    _BaseFeaturizer,
    _check_input_size,
    constraints_without,
    fill_doc,
)

_VGG_ARCHS = {f"vgg{depth}{bn}" for depth in (11, 13, 16, 19) for bn in ("", "_bn")}


@fill_doc
class TorchvisionFeaturizer(_BaseFeaturizer):
    """Feature maps of a torchvision CNN or vision transformer.

    A CNN is cut at its deepest convolutional layer, found automatically
    (``layer4`` for ResNet/ResNeXt, ``features`` plus the final ReLU for
    DenseNet, ``features`` for EfficientNet, ``trunk_output`` for RegNet,
    ``Mixed_7c`` for Inception-V3), or at ``layer``. The head carried by the
    output is global average pooling (VGG: max-pool, fc6, ReLU, fc7, ReLU;
    :class:`VGGFeaturizer` is this class with ``model`` set to a VGG).

    A vision transformer (ViT ``vit_b_16``, ``vit_b_32``, ``vit_l_16``...;
    Swin ``swin_t``, ``swin_v2_t``...; MaxViT ``maxvit_t``; or a
    ``VisionTransformer``, ``SwinTransformer`` or ``MaxVit`` module of your
    own) is cut after its last block (ViT: before ``encoder.ln``; Swin:
    before ``norm``). The maps are the channels of the patch tokens laid out
    on their grid (ViT-B/16 at 224 px: 768 maps of 14 x 14; ViT's class token
    is dropped), so heatmaps come out at the patch grid. The head is the
    network's final LayerNorm applied to each token, then the mean over the
    tokens (MaxViT: the mean, then its LayerNorm), which the selector
    computes masked in closed form, exactly. Swin and MaxViT may be cut at an
    earlier stage (``layer="features.5"``, ``"blocks.2"``): the head then runs
    the later stages too (exact, slower). A ViT is cut after its last block
    only: after ``encoder.ln`` its classifier reads the class token alone
    (every AIS would be 0), and its earlier blocks need the class token,
    which the maps do not hold; such a ``layer`` is refused with the reason.
    ViT and MaxViT take only the input size they were built for (224 for
    ``vit_b_16`` and ``maxvit_t``; 384 for ``vit_b_16`` with
    ``IMAGENET1K_SWAG_E2E_V1`` weights): another ``input_size`` is refused,
    never interpolated. Swin takes any size.

    Parameters
    ----------
    model : str or torch.nn.Module, default="resnet50"
        A torchvision classification model name (see
        ``torchvision.models.list_models(module=torchvision.models)``), or a
        network of your own. A network is copied in ``fit``; it is cut at the
        output of ``layer`` (its first call, with a forward hook that stops
        the forward there) and gets a global-average-pooling head.
    weights : str, os.PathLike, torchvision WeightsEnum or None, default="DEFAULT"
        A torchvision weights name (``"DEFAULT"``, ``"IMAGENET1K_V1"``; these
        are downloaded by torchvision on first use), ``None`` (random
        initialisation), or the path of a state dict file, e.g. Barlow Twins
        ResNet-50 (no ``fc``: missing classifier weights are allowed) or an
        Ecoset network (the classifier is resized to its 565 classes). For a
        network of your own, ``None`` and ``"DEFAULT"`` keep its weights.
        Named weights also set the preprocessing's mean and standard
        deviation (their own transforms'; ImageNet's otherwise). Sizes of
        the downloads: ResNet-50 98 MB, ViT-B/16 330 MB, Swin-T 108 MB,
        MaxViT-T 119 MB.
    layer : str or None, default=None
        Module name (as in ``model.named_modules()``) whose output are the
        feature maps; ``None`` finds the deepest convolutional layer (a
        transformer: its last block).
    {random_state}
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    VGGFeaturizer : VGG networks with their fc6/fc7 head.
    EfficientNetLite0Featurizer : EfficientNet-Lite0 with offline weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.featurizers import TorchvisionFeaturizer
    >>> images = np.random.default_rng(0).random((4, 64, 64, 3))
    >>> feat = TorchvisionFeaturizer(model="resnet18", weights=None, random_state=0)
    >>> feat.fit_transform(images).shape
    (4, 512, 7, 7)
    >>> feat.set_params(input_size=448).fit_transform(images).shape
    (4, 512, 14, 14)

    A vision transformer of your own (here a tiny one, 32 px images in
    8 px patches):

    >>> import torch
    >>> from torchvision.models import VisionTransformer
    >>> _ = torch.manual_seed(0)
    >>> vit = VisionTransformer(image_size=32, patch_size=8, num_layers=2,
    ...                         num_heads=2, hidden_dim=16, mlp_dim=32)
    >>> maps = TorchvisionFeaturizer(model=vit, input_size=32).fit_transform(images)
    >>> maps.shape, type(maps.head).__name__
    ((4, 16, 4, 4), 'TokenNormMeanHead')
    """

    _parameter_constraints: dict = {
        **_BaseFeaturizer._parameter_constraints,
        "model": [str, HasMethods(["forward", "named_modules"])],
        "weights": [str, os.PathLike, HasMethods(["get_state_dict"]), None],
        "layer": [str, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        model="resnet50",
        weights="DEFAULT",
        layer=None,
        random_state=None,
        input_size=224,
        preprocess=None,
        batch_size=32,
        device="auto",
        memory=None,
        verbose=0,
    ):
        self.model = model
        self.weights = weights
        self.layer = layer
        self.random_state = random_state
        self.input_size = input_size
        self.preprocess = preprocess
        self.batch_size = batch_size
        self.device = device
        self.memory = memory
        self.verbose = verbose

    def _network(self):
        """``(model, weights, layer)``: the network, as an alias may fix it."""
        return self.model, self.weights, self.layer

    def fit(self, X, y=None):
        """Build the network (or reuse a cached one). Nothing is learned.

        A network built for one input size (ViT, MaxViT) refuses another
        ``input_size``.

        Parameters
        ----------
        X : collection of images
            File paths, PIL images, arrays or tensors (a list), or a stacked
            ndarray ``(n, H, W[, C])`` or tensor ``(n, C, H, W)``. Only checked
            here.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted featurizer.
        """
        super().fit(X, y)
        self._check_fixed_input_size()
        return self

    def _compute_maps(self, items):
        self._check_fixed_input_size()
        return super()._compute_maps(items)

    def _check_fixed_input_size(self):
        """Refuse an ``input_size`` the network was not built for."""
        backbone = self.backbone_
        if not backbone.fixed_input_size or self.preprocess is not None:
            return
        size = _check_input_size(self.input_size)
        if size == tuple(backbone.input_size):
            return
        height, width = backbone.input_size
        accepted = height if height == width else (height, width)
        raise ValueError(
            f"{backbone.name} takes {height} x {width} images only: its position "
            "embeddings (ViT) or attention partitions (MaxViT) were built for "
            f"that size, so input_size={self.input_size!r} is refused rather "
            f"than interpolated. Set input_size={accepted!r}."
        )

    def _build_backbone(self):
        from .._backbones import torchvision_backbone

        model, weights, layer = self._network()
        # Never modify the user's network (fit loads weights, moves devices).
        model = model if isinstance(model, str) else copy.deepcopy(model)
        return torchvision_backbone(model, weights, layer)

    def _random_weights(self):
        model, weights, _ = self._network()
        return isinstance(model, str) and weights is None

    def _network_identity(self):
        from .._backbones import weights_identity

        model, weights, layer = self._network()
        if not isinstance(model, str):
            return None  # a user's module: its weights are not identified
        identity = weights_identity(model, weights)
        return None if identity is None else ("torchvision", model, layer, identity)


@fill_doc
class VGGFeaturizer(TorchvisionFeaturizer):
    """Feature maps of a VGG's last convolutional layer, with the fc6/fc7 head.

    ``VGGFeaturizer(arch=arch)`` is ``TorchvisionFeaturizer(model=arch)``
    restricted to the VGGs, under the paper's name: the same network (one
    entry of the network cache serves both), the same maps and head. The
    maps are the output of the last convolution and its ReLU
    (``features[:30]`` for VGG-16: conv5_3, 512 x 14 x 14 at 224 px). The head
    carried by the output is max-pool, flatten, fc6, ReLU, fc7, ReLU (4096-d,
    dropout off), as in the paper.

    Parameters
    ----------
    arch : {{"vgg16", "vgg19", "vgg11", "vgg13", "vgg16_bn", ...}}, default="vgg16"
        The torchvision VGG architecture (``model`` of
        :class:`TorchvisionFeaturizer`; the layer is always the last
        convolution's ReLU).
    weights : str, os.PathLike, torchvision WeightsEnum or None, default="DEFAULT"
        A torchvision weights name (``"DEFAULT"``, ``"IMAGENET1K_V1"``;
        downloaded by torchvision on first use), ``None`` (random
        initialisation), or the path of a state dict file, e.g. an Ecoset
        VGG-16 (its classifier's last layer is resized to the file's 565
        classes; fc6 and fc7, which the head uses, load as they are).
    {random_state}
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    TorchvisionFeaturizer : Any torchvision CNN, with a pooling head.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.featurizers import VGGFeaturizer
    >>> images = np.random.default_rng(0).random((2, 64, 64, 3))
    >>> maps = VGGFeaturizer(weights=None, random_state=0).fit_transform(images)
    >>> maps.shape, type(maps.head).__name__
    ((2, 512, 14, 14), 'VGGHead')
    """

    # The general class's constraints, with arch in place of model and layer.
    _parameter_constraints: dict = {
        "arch": [StrOptions(_VGG_ARCHS)],
        **constraints_without(TorchvisionFeaturizer, "model", "layer"),
    }

    def __init__(
        self,
        *,
        arch="vgg16",
        weights="DEFAULT",
        random_state=None,
        input_size=224,
        preprocess=None,
        batch_size=32,
        device="auto",
        memory=None,
        verbose=0,
    ):
        self.arch = arch
        self.weights = weights
        self.random_state = random_state
        self.input_size = input_size
        self.preprocess = preprocess
        self.batch_size = batch_size
        self.device = device
        self.memory = memory
        self.verbose = verbose

    def _network(self):
        # layer=None: TorchvisionFeaturizer cuts a VGG at the last ReLU.
        return self.arch, self.weights, None
