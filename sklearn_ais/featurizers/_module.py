"""Featurizer of a researcher's own network, cut at any layer, with any head."""

import copy
from numbers import Real

from sklearn.utils._param_validation import HasMethods, InvalidParameterError

from ._base import _BaseFeaturizer, _check_input_size, fill_doc

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


@fill_doc
class ModuleFeaturizer(_BaseFeaturizer):
    """Feature maps of your own network at any layer, with the network's own head.

    For the model of your own paper, or one loaded with its own package (a
    CLIP image encoder, a self-supervised network): the network is cut at
    ``layer``, whose output are the feature maps (as torch-cam's
    ``target_layer`` or thingsvision's ``module_name``), and the embedding is
    ``output``, a later module's output or the network's own output. The
    head, the part of the network between the two, is split off with
    ``torch.fx`` (or given as ``head``), and the maps carry it: masking a map
    re-runs exactly this head (attention pooling, projections,
    normalisations, further blocks), not a global average.

    The split is checked in ``fit``: on a random probe batch, the head
    applied to the maps must give the network's own ``output`` (to 1e-5 of
    its scale), else ``fit`` says why. The head must be a function of the
    maps alone; a network whose part after the cut needs a value computed
    before it (a skip connection across the cut, the input image) is refused
    with the node that needs it, as is a network fx cannot trace (data-
    dependent control flow): pass ``head`` then, or cut elsewhere.

    Parameters
    ----------
    module : torch.nn.Module or None, default=None
        The network, taking ``(n, 3, H, W)`` images (required: ``None`` is an
        error in ``fit``). It is copied in ``fit`` and never modified.
    layer : str or None, default=None
        Dotted module name (as in ``module.named_modules()``) whose output are
        the feature maps ``(n, C, h, w)``. Transformer tokens ``(n, T, C)``
        are accepted when they lie on a square grid (``T = s * s``, no class
        token): they become ``(n, C, s, s)`` maps, row by row. ``None`` finds
        the deepest module whose output is a spatial 4-D map.
    output : str or None, default=None
        Dotted module name whose output is the embedding (e.g. a projection
        layer), or ``None`` for the network's own output (e.g. a CLIP image
        encoder's, which ends with its projection).
    head : torch.nn.Module or None, default=None
        ``None`` splits the head off with ``torch.fx``. Otherwise a module
        mapping ``layer``'s output to the embedding, for networks fx cannot
        trace; it is copied in ``fit`` and checked against ``output`` as the
        traced head is.
    mean : tuple of 3 floats, default=(0.485, 0.456, 0.406)
        Per-channel mean of the default preprocessing's normalisation, the
        one the network was trained with (ImageNet's by default; CLIP's is
        ``(0.48145466, 0.4578275, 0.40821073)``). Ignored with
        ``preprocess``.
    std : tuple of 3 floats, default=(0.229, 0.224, 0.225)
        Per-channel standard deviation of that normalisation (CLIP's is
        ``(0.26862954, 0.26130258, 0.27577711)``). Ignored with
        ``preprocess``.
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    TorchvisionFeaturizer : Torchvision networks, and any network cut at a
        layer with a global-average-pooling head.

    Notes
    -----
    With ``head=None``, the module is traced with
    :class:`torch.fx.Tracer`, keeping ``layer`` and ``output`` as single
    calls; the head is a :class:`torch.fx.GraphModule` of the nodes between
    them (it shares the network's weights). The selector and the explainer
    mask maps and run this head in their generic engine: exact, in batched
    chunks, slower than the closed forms of a pooling head. The network
    cannot be identified by its parameters, so each ``fit`` copies and traces
    it again (no network cache). :meth:`logits` returns the module's own
    output when it is 2-D (class logits for a classifier, the embedding for
    an encoder).

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> from sklearn_ais.featurizers import ModuleFeaturizer
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.ReLU())
    ...         self.block = nn.Sequential(nn.Conv2d(8, 16, 3), nn.ReLU())
    ...         self.mix = nn.Conv2d(16, 16, 1)
    ...         self.proj = nn.Linear(16, 4)
    ...
    ...     def forward(self, x):
    ...         x = self.mix(self.block(self.stem(x)))
    ...         return self.proj(x.amax(dim=(2, 3)))
    >>> images = np.random.default_rng(0).random((3, 32, 32, 3))
    >>> feat = ModuleFeaturizer(module=Net(), layer="block", input_size=32)
    >>> maps = feat.fit_transform(images)
    >>> maps.shape, type(maps.head).__name__
    ((3, 16, 13, 13), 'TracedHead')
    """

    _parameter_constraints: dict = {
        **_BaseFeaturizer._parameter_constraints,
        "module": [HasMethods(["forward", "named_modules"]), None],
        "layer": [str, None],
        "output": [str, None],
        "head": [HasMethods(["forward"]), None],
        "mean": [tuple, list],
        "std": [tuple, list],
    }

    def __init__(
        self,
        *,
        module=None,
        layer=None,
        output=None,
        head=None,
        mean=_IMAGENET_MEAN,
        std=_IMAGENET_STD,
        input_size=224,
        preprocess=None,
        batch_size=32,
        device="auto",
        memory=None,
        verbose=0,
    ):
        self.module = module
        self.layer = layer
        self.output = output
        self.head = head
        self.mean = mean
        self.std = std
        self.input_size = input_size
        self.preprocess = preprocess
        self.batch_size = batch_size
        self.device = device
        self.memory = memory
        self.verbose = verbose

    def _build_backbone(self):
        from .._module_split import split_module

        if self.module is None:
            raise ValueError(
                "ModuleFeaturizer needs module=, the torch.nn.Module to cut (e.g. "
                "ModuleFeaturizer(module=my_network, layer='layer4'))."
            )
        mean = _check_channels(self.mean, "mean", positive=False)
        std = _check_channels(self.std, "std", positive=True)
        # Never modify the user's network or head (fit moves them, sets eval).
        module = copy.deepcopy(self.module)
        head = None if self.head is None else copy.deepcopy(self.head)
        return split_module(
            module,
            self.layer,
            self.output,
            head,
            mean=mean,
            std=std,
            input_size=_check_input_size(self.input_size),
        )


def _check_channels(values, name, *, positive):
    """Three finite floats (positive for ``std``), or an InvalidParameterError."""
    values = tuple(values)
    if len(values) == 3 and all(
        isinstance(v, Real) and abs(float(v)) < float("inf") for v in values
    ):
        if not positive or min(values) > 0:
            return tuple(float(v) for v in values)
    kind = "positive floats" if positive else "floats"
    raise InvalidParameterError(
        f"The {name!r} parameter must be three {kind}, one per RGB channel; got "
        f"{values!r}."
    )
