"""The featurizers' common machinery: fitting, the network cache, batched inference.

:class:`_BaseFeaturizer` does everything but name the network: a subclass
says how to build it (``_build_backbone``), what identifies it in the network
cache (``_network_identity``) and whether it has random weights
(``_random_weights``). An alias (``VGGFeaturizer``,
``EfficientNetLite0Featurizer``) fixes some of its general class's choices and
gets the same identity, hence the same cached network.
"""

import copy
import os
import types
from numbers import Integral

import joblib
import numpy as np
from joblib.func_inspect import get_func_code
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
)
from sklearn.utils.validation import check_is_fitted, check_memory
from tqdm.auto import tqdm

from .._devices import PortableDeviceMixin
from .._feature_maps import FeatureMaps

_RANDOM_STATE_DOC = """
    random_state : int, RandomState instance or None, default=None
        Seed of the random weights when ``weights=None``: the same int gives
        the same network, hence the same maps. A RandomState instance draws a
        new seed at each fit; ``None`` uses torch's global generator (new
        weights at each fit). The caller's global torch random state is never
        changed. Ignored by pretrained weights (except for layers they lack,
        such as a missing classifier, which the maps never use).
"""

_COMMON_DOC = """
    input_size : int or tuple of (int, int), default=224
        ``(height, width)`` (an int: square) every image is resized to by the
        default preprocessing. The maps' spatial size follows it (VGG-16:
        14 x 14 at 224, 28 x 28 at 448; ResNets: 7 x 7 at 224), so a larger
        input gives finer maps, e.g. for heatmaps. Ignored when
        ``preprocess`` is given.
    preprocess : callable or None, default=None
        ``None``: resize each image to ``input_size`` and normalise it with
        the mean and standard deviation the network was trained with
        (ImageNet's, or 0.5 for EfficientNet-Lite0), as in the paper.
        Otherwise a callable taking a PIL RGB image and returning a
        ``(3, H, W)`` float tensor (e.g. ``weights.transforms()`` of a
        torchvision model), which replaces all of that. Every image of a batch
        must come out the same size.
    batch_size : int, default=32
        Images per forward pass.
    device : {"auto", "cpu", "cuda", "cuda:1", "mps", ...} or torch.device, \
default="auto"
        Where the network runs, resolved in ``fit`` to ``device_``.
        ``"auto"`` is CUDA when available, else the CPU. A requested device
        that is not available falls back to the CPU with a
        :class:`~sklearn_ais.exceptions.DeviceFallbackWarning`.
    memory : str, os.PathLike, joblib.Memory-like or None, default=None
        Cache of ``transform``'s output, as in :class:`sklearn.pipeline.Pipeline`
        (a directory path or an object with a joblib-like ``cache`` method).
        The key is the content: the network's weights (a hash of its tensors),
        its architecture and layer, the preprocessing and the decoded pixels of
        every image (so the same pixels from a file or an array hit). Changing
        any of them misses the cache. A ``preprocess`` function is keyed on its
        source code and captured values. Keying decodes every image once more.
    verbose : int, default=0
        ``0`` is silent; otherwise a progress bar over batches is shown.
"""

_COMMON_ATTRIBUTES = """
    backbone_ : Backbone
        The network split into ``trunk`` (images to maps) and ``head`` (maps
        to embedding), on ``device_``, in eval mode, without gradients;
        ``backbone_.model`` is the whole network. Featurizers fitted with the
        same network parameters share it (see the module docstring): treat it
        as read-only.
    head_ : torch.nn.Module
        The head on the CPU, in eval mode; carried by ``transform``'s output.
    device_ : str
        The device the network runs on, e.g. ``"cpu"`` or ``"cuda"``.
    layer_ : str
        Name of the module whose output are the feature maps.
    n_maps_ : int
        Number of feature maps (channels) per image.
"""


class _BaseFeaturizer(PortableDeviceMixin, TransformerMixin, BaseEstimator):
    """Common machinery: fitting, batched inference, caching, pickling."""

    _device_modules = ("backbone_",)

    _parameter_constraints: dict = {
        # An int or an (int, int) pair; the pair is checked in fit.
        "input_size": [Interval(Integral, 1, None, closed="left"), tuple],
        "preprocess": [callable, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        # A str or torch.device; checked in fit by resolve_device, so that this
        # module need not import torch.
        "device": "no_validation",
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "verbose": ["verbose"],
    }

    def __init_subclass__(cls, **kwargs):
        # The output is 4-D feature maps carrying a head: never wrapped in a
        # DataFrame, even under set_config(transform_output="pandas").
        super().__init_subclass__(auto_wrap_output_keys=None, **kwargs)

    def _build_backbone(self):
        """Return the unfitted :class:`~sklearn_ais._backbones.Backbone`."""
        raise NotImplementedError

    def _network_identity(self):
        """Hashable identity of the architecture and weights, or None.

        It starts with the family of networks (``"torchvision"``,
        ``"efficientnet_lite"``), so that families never collide. None means
        the network cannot be identified (a user's module): it is built at
        each fit and never cached.
        """
        return None

    def _random_weights(self):
        """Whether the network gets random weights (``random_state`` applies)."""
        return False

    def _network_seed(self):
        """``(seed, cacheable)``: the torch seed of random weights for this fit."""
        if self.random_state is None or isinstance(self.random_state, Integral):
            return self.random_state, self.random_state is not None
        # A RandomState instance: a new seed at each fit, as in scikit-learn.
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return int(seed), False

    def _build_network(self, device, seed):
        """Build the backbone on ``device``; return it and its head on the CPU."""
        from .._torch_utils import seeded

        with seeded(seed):
            backbone = self._build_backbone()
        for module in backbone.modules():
            module.requires_grad_(False).eval()
        backbone = backbone.to(device)
        head = backbone.head
        if device.type != "cpu":
            head = copy.deepcopy(head).cpu().eval()
        return backbone, head

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Build the network (or reuse a cached one). Nothing is learned.

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
        from .._backbones import NETWORKS
        from .._images import check_images
        from .._torch_utils import resolve_device

        _check_input_size(self.input_size)
        check_images(X)
        device = resolve_device(self.device)
        seed, cacheable = None, True
        if self._random_weights():
            seed, cacheable = self._network_seed()
        identity = self._network_identity()
        key = None
        if identity is not None and cacheable:
            # No class name in the key: an alias and its general class, given
            # the same network, share one entry.
            key = (identity, seed, str(device))
        backbone, head = NETWORKS.get(key, lambda: self._build_network(device, seed))
        self.backbone_ = backbone
        self.head_ = head
        self.device_ = str(device)
        self.layer_ = backbone.layer
        self.n_maps_ = backbone.n_maps
        self._weights_digest = None  # computed on first use of memory=
        return self

    def transform(self, X):
        """Compute the feature maps of the images.

        Parameters
        ----------
        X : collection of images
            File paths, PIL images, arrays or tensors (a list), or a stacked
            ndarray ``(n, H, W[, C])`` or tensor ``(n, C, H, W)``; grayscale
            and RGBA images become RGB, sizes may differ. Each is read as a
            viewer shows it: ``uint8`` is divided by 255, ``uint16`` and
            16-bit files by 65535 (never stretched), floats must lie in
            ``[0, 1]``; files and PIL images get their EXIF orientation, ICC
            profile (to sRGB) and CMYK to RGB, and a multi-frame file its
            first frame.

        Returns
        -------
        maps : FeatureMaps of shape (n_images, `n_maps_`, h, w)
            ``float32`` maps carrying ``head_``; when ``X`` is a pandas Series
            with item ids as its index, the maps carry those ids.
        """
        from .._human import item_ids
        from .._images import check_images

        check_is_fitted(self)
        items = check_images(X)
        if self.memory is None:
            maps = self._compute_maps(items)
        else:
            location = self.memory
            if isinstance(location, os.PathLike):
                location = os.fspath(location)
            cached = check_memory(location).cache(
                _cached_maps, ignore=["featurizer", "items"]
            )
            maps = cached(self._cache_key(items), featurizer=self, items=items)
        return FeatureMaps(maps, head=self.head_, ids=item_ids(X))

    def get_feature_names_out(self, input_features=None):
        """Get the names of the output feature maps, one per channel.

        The maps of the output (its second axis) are named
        ``"<class name in lower case><k>"``, e.g. ``vggfeaturizer0`` to
        ``vggfeaturizer511``, so that ``Pipeline.get_feature_names_out()``
        works and a selector after the featurizer names its retained maps.

        Parameters
        ----------
        input_features : None
            Ignored: images have no feature names.

        Returns
        -------
        feature_names_out : ndarray of str objects of shape (`n_maps_`,)
            The names of the maps.
        """
        check_is_fitted(self)
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{k}" for k in range(self.n_maps_)], dtype=object)

    def set_output(self, *, transform=None):
        """Refuse pandas and polars output: the feature maps are 4-D.

        ``transform`` returns ``(n_images, n_maps, h, w)`` maps carrying the
        network's head, which a DataFrame cannot hold. Set the output of the
        steps after the featurizer instead, e.g.
        ``pipe.named_steps["ais"].set_output(transform="pandas")``; under
        ``sklearn.set_config(transform_output="pandas")`` the featurizer keeps
        its 4-D output and the later steps return DataFrames.

        Parameters
        ----------
        transform : {"default"} or None, default=None
            ``"default"`` and ``None`` keep the output as it is; anything else
            is an error.

        Returns
        -------
        self : estimator instance
            The featurizer.
        """
        if transform not in (None, "default"):
            raise ValueError(
                f"{type(self).__name__} cannot output {transform!r} containers: "
                "its output is 4-D feature maps (n_images, n_maps, height, "
                "width) carrying the network's head, and a DataFrame is 2-D. "
                "Call set_output on the steps after the featurizer instead, "
                'e.g. pipe.named_steps["ais"].set_output(transform="pandas").'
            )
        return self

    def _compute_maps(self, items):
        """Run the trunk over ``items`` in batches; returns a float32 ndarray."""
        return self._run(self.backbone_.trunk, items)

    def _make_preprocess(self):
        """The fitted network's preprocessing of one image into its input tensor."""
        from .._images import make_preprocess

        return make_preprocess(
            self.preprocess,
            size=_check_input_size(self.input_size),
            mean=self.backbone_.mean,
            std=self.backbone_.std,
        )

    def _run(self, module, items):
        """Run ``module`` over the preprocessed ``items`` in batches (float32)."""
        import torch

        from .._images import preprocess_batch
        from .._torch_utils import eval_mode

        preprocess = self._make_preprocess()
        n_images = len(items)
        starts = range(0, n_images, self.batch_size)
        progress = tqdm(
            starts,
            desc=f"{type(self).__name__} ({self.backbone_.name})",
            unit="batch",
            disable=not self.verbose,
        )
        outputs = []
        # Eval mode only for the forward; the module's own modes are restored.
        with torch.inference_mode(), eval_mode(module):
            for start in progress:
                stop = min(start + self.batch_size, n_images)
                batch = preprocess_batch(items, range(start, stop), preprocess)
                out = module(batch.to(self.device_))
                outputs.append(out.float().cpu().numpy())
        return np.concatenate(outputs)

    def logits(self, X):
        """Class logits of the whole network the maps were cut from.

        For the analyses that relate heatmaps to how unsure the classifier
        is (:func:`sklearn_ais.analysis.softmax_entropy`). The images are
        preprocessed as for ``transform``.

        Parameters
        ----------
        X : collection of images
            As for ``transform``.

        Returns
        -------
        ndarray of shape (n_images, n_classes), float32
            The logits.
        """
        from .._images import check_images

        check_is_fitted(self)
        model = self.backbone_.model
        if model is None:
            raise ValueError(
                f"{type(self).__name__} has no whole network to take logits from "
                "(a user module given as a trunk)."
            )
        out = self._run(model, check_images(X))
        if out.ndim != 2:
            raise ValueError(
                f"The network returns an output of shape {out.shape[1:]} per "
                "image, not class logits."
            )
        return out

    def _cache_key(self, items):
        """Content key of ``transform(items)``: weights, architecture, inputs."""
        from .._backbones import state_digest
        from .._images import decode_image, pixels_digest

        backbone = self.backbone_
        if getattr(self, "_weights_digest", None) is None:
            self._weights_digest = state_digest(*backbone.modules())
        if self.preprocess is None:
            preprocessing = (
                "default",
                _check_input_size(self.input_size),
                backbone.mean,
                backbone.std,
            )
        else:
            preprocessing = _preprocess_token(self.preprocess)
        return {
            "weights": self._weights_digest,
            "architecture": (
                backbone.name,
                backbone.layer,
                joblib.hash(repr(backbone.trunk)),
                joblib.hash(repr(backbone.head)),
            ),
            "preprocessing": preprocessing,
            "images": [
                pixels_digest(decode_image(item, i)) for i, item in enumerate(items)
            ],
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Images, not a feature matrix: paths, stacked (n, H, W) grayscale or
        # (n, H, W, C) arrays, lists of PIL images, arrays or tensors.
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.string = True
        tags.target_tags.required = False
        # The maps are float32 whatever the pixels' dtype: float32 images are
        # the only ones whose dtype the output keeps.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _check_input_size(input_size):
    """``(height, width)`` from an ``input_size`` parameter, or an error."""
    if isinstance(input_size, Integral):
        return (int(input_size), int(input_size))
    if (
        len(input_size) == 2
        and all(isinstance(side, Integral) for side in input_size)
        and min(input_size) >= 1
    ):
        return tuple(int(side) for side in input_size)
    raise InvalidParameterError(
        "The 'input_size' parameter must be a positive int or a tuple of two "
        f"positive ints (height, width); got {input_size!r}."
    )


def _cached_maps(key, featurizer, items):
    """Cached entry point of ``transform``: joblib keys on ``key`` alone."""
    return featurizer._compute_maps(items)


def _preprocess_token(preprocess):
    """Hashable token of a user ``preprocess`` callable for the cache key."""
    try:
        if not isinstance(preprocess, types.FunctionType):
            return joblib.hash(preprocess)
        # Functions pickle by name: hash the source and captured values instead,
        # so that editing the function, or a value it closes over, misses.
        closure = [cell.cell_contents for cell in preprocess.__closure__ or ()]
        source = get_func_code(preprocess)[0]
        return joblib.hash((source, preprocess.__defaults__, closure))
    except Exception as exc:  # pickling errors of arbitrary objects
        raise TypeError(
            "memory= needs a preprocess callable that can be hashed (a picklable "
            f"object or a function of picklable values): {exc}"
        ) from exc


def fill_doc(cls):
    """Fill the shared parameter and attribute sections of ``cls``'s docstring."""
    cls.__doc__ = cls.__doc__.format(
        random_state=_RANDOM_STATE_DOC.strip(),
        common=_COMMON_DOC.strip(),
        attributes=_COMMON_ATTRIBUTES.strip(),
    )
    return cls


def constraints_without(cls, *names):
    """``cls``'s parameter constraints less ``names``, the choices an alias fixes."""
    return {
        name: constraint
        for name, constraint in cls._parameter_constraints.items()
        if name not in names
    }
