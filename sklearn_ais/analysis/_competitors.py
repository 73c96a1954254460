"""Competing heatmaps of the same feature maps: mean map, gradients, Grad-CAM.

Each function is a *heatmap method* for the faithfulness measurements:
``method(explainer, images, y_block)`` returns one 2-D float array per image,
at the image's own size (``explainer.upsample`` interpolation, as the
explainer's own heatmaps), higher meaning more important. ``explainer`` is a
fitted :class:`~sklearn_ais.AISHeatmapExplainer`; ``images`` are the test
images; ``y_block`` holds their human similarities to the fitted images
(rows: test images, columns: fitted images in the fitted order), used by
:func:`gradient_heatmaps` only. The AIS heatmaps themselves are
``lambda e, X, yb: e.explain(X, yb).heatmaps``.

The explainer is used by duck typing (this layer imports no estimator): its
featurizer computes the maps, its resize helper upsamples the heatmaps.
"""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.validation import check_is_fitted

from .._heatmaps import _weighted_sum, heatmap_weights
from .._human import item_ids
from .._similarity import MIN_RATED

__all__ = ["gradcam_heatmaps", "gradient_heatmaps", "mean_map_heatmaps"]

_EXPLAINER = [HasMethods(["explain", "fit"])]
_BATCH = [Interval(Integral, 1, None, closed="left")]


def _maps_and_sizes(explainer, images):
    """The fitted featurizer's maps of ``images``, their head, the image sizes.

    The explainer's own path: ``"passthrough"`` takes ``images`` as maps
    (sizes None: heatmaps stay at map resolution).
    """
    check_is_fitted(explainer)
    maps, head, sizes = explainer._maps(images, reset=False)
    explainer._check_n_maps(maps)
    return maps, head, sizes


@validate_params(
    {"explainer": _EXPLAINER, "images": "no_validation", "y_block": "no_validation"},
    prefer_skip_nested_validation=True,
)
def mean_map_heatmaps(explainer, images, y_block=None):
    """Compute the unweighted mean of each image's feature maps, resized.

    The passive attention map of Langlois et al. (2021): every feature map
    of the explainer's layer counts equally, so the heatmap shows where the
    network responds, whatever people use. The baseline that any
    judgment-driven heatmap must beat.

    Parameters
    ----------
    explainer : AISHeatmapExplainer
        Fitted; its featurizer computes the maps.
    images : collection of images
        The images, as the featurizer takes them (feature maps with
        ``featurizer="passthrough"``).
    y_block : object, default=None
        Ignored (the heatmap-method interface).

    Returns
    -------
    list of ndarray of shape (height, width), float32
        One heatmap per image, at its own size (map resolution with
        ``"passthrough"``), upsampled as the explainer's heatmaps are.

    See Also
    --------
    gradient_heatmaps : Maps weighted by a first-order estimate of the AIS.
    gradcam_heatmaps : Maps weighted by the gradient of the top class.

    References
    ----------
    Langlois, T., Zhao, H., Grant, E., Dasgupta, I., Griffiths, T. L., and
    Jacoby, N. (2021). Passive attention in artificial neural networks
    predicts human visual selectivity. NeurIPS 34.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais import AISHeatmapExplainer
    >>> from sklearn_ais.analysis import mean_map_heatmaps
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> _, H, _ = make_alignment_problem(12, 4, 2, random_state=0)
    >>> maps = np.random.default_rng(0).uniform(size=(12, 8, 5, 5))
    >>> explainer = AISHeatmapExplainer(featurizer="passthrough").fit(maps, H)
    >>> mean_map_heatmaps(explainer, maps[:2])[0].shape
    (5, 5)
    """
    maps, _, sizes = _maps_and_sizes(explainer, images)
    equal = np.full(maps.shape[1], 1.0 / maps.shape[1])
    return explainer._at_size(_weighted_sum(maps, equal), sizes)


@validate_params(
    {
        "explainer": _EXPLAINER,
        "images": "no_validation",
        "y_block": "no_validation",
        "batch_size": _BATCH,
    },
    prefer_skip_nested_validation=True,
)
def gradient_heatmaps(explainer, images, y_block, *, batch_size=32):
    """Compute heatmaps from a first-order (activation x gradient) estimate of the AIS.

    The per-image AIS of test image ``t`` and map ``k`` is the drop of
    ``S_t``, the Pearson correlation of ``t``'s model similarities to the
    fitted images (``explainer.embeddings_``, with ``explainer.similarity``)
    with its human similarities to them, when map ``A_k`` is masked. Its
    Taylor estimate (activation x gradient, Shrikumar et al. 2017; Ancona et
    al. 2018) takes one backward pass per batch instead of one masked pass
    per map::

        AIS_hat[t, k] = sum over positions of A_k * dS_t / dA_k
                      ~ S_t(A) - S_t(A with A_k = 0)

    It is the exact derivative of the drop as map ``k`` is scaled down from
    1: ``-d/de S_t(A with A_k scaled by 1 - e)`` at ``e = 0``. With a
    positively homogeneous head (global average pooling) and a
    scale-invariant similarity (cosine, Pearson) ``S_t`` is unchanged by
    scaling all the maps, so by Euler's theorem the estimates of each image
    sum to 0. The heatmap weights them as the explainer weights the AIS
    (``heatmap_weights(AIS_hat, negative=explainer.negative)``, then the
    weighted sum of the maps, upsampled).

    Parameters
    ----------
    explainer : AISHeatmapExplainer
        Fitted; its featurizer computes the maps and their head the
        embeddings (``"passthrough"`` maps with the head they carry work too).
    images : collection of images
        The test images, as the featurizer takes them.
    y_block : DataFrame or array-like of shape (n_images, n_fitted)
        Human similarities (or dissimilarities, read as the explainer was
        fitted) of the images (rows) to the fitted images (columns, fitted
        order), as for ``explainer.explain``; NaN pairs (unrated, with
        ``missing="ignore"``) are left out.
    batch_size : int, default=32
        Images per forward and backward pass of the head.

    Returns
    -------
    list of ndarray of shape (height, width), float32
        One heatmap per image, at its own size (map resolution with
        ``"passthrough"``). All zeros where ``S_t`` is undefined (fewer than
        2 rated pairs, constant similarities) or no estimate is positive
        (with ``negative="positive"``).

    Raises
    ------
    ValueError
        With ``similarity="spearman"``: ranks have no gradient.

    See Also
    --------
    sklearn_ais.AISHeatmapExplainer.explain : The exact per-image AIS, one masked pass
        per map.
    gradcam_heatmaps : Gradients of the network's top class instead.

    References
    ----------
    Shrikumar, A., Greenside, P., and Kundaje, A. (2017). Learning important
    features through propagating activation differences. ICML.

    Ancona, M., Ceolini, E., Oztireli, C., and Gross, M. (2018). Towards
    better understanding of gradient-based attribution methods for deep
    neural networks. ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais import AISHeatmapExplainer
    >>> from sklearn_ais.analysis import gradient_heatmaps
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> _, H, _ = make_alignment_problem(12, 4, 2, random_state=0)
    >>> maps = np.random.default_rng(0).uniform(size=(12, 8, 5, 5))
    >>> explainer = AISHeatmapExplainer(featurizer="passthrough")
    >>> explainer = explainer.fit(maps[:9], H.iloc[:9, :9])
    >>> gradient_heatmaps(explainer, maps[9:], H.iloc[9:, :9])[0].shape
    (5, 5)
    """
    maps, head, sizes = _maps_and_sizes(explainer, images)
    human = explainer._read_block(y_block, len(maps), item_ids(images), name="y_block")
    _, ais = _first_order_ais(
        maps,
        head,
        explainer.embeddings_,
        human,
        explainer.similarity,
        device=getattr(explainer, "device_", "cpu"),
        batch_size=batch_size,
    )
    _, weights = heatmap_weights(ais, negative=explainer.negative)
    return explainer._at_size(_weighted_sum(maps, weights), sizes)


def _first_order_ais(
    maps, head, reference, human, similarity, *, device="cpu", batch_size=32
):
    """Per-image Pearson scores and their activation x gradient estimates.

    Parameters
    ----------
    maps : ndarray of shape (n_images, n_maps, h, w)
        The images' feature maps.
    head : torch.nn.Module or None
        Maps to embeddings; None (or a ``GAPHead``) is global average pooling,
        computed in float64; a torch head runs in its parameters' dtype.
    reference : ndarray of shape (n_fitted, d)
        The fitted images' embeddings.
    human : ndarray of shape (n_images, n_fitted)
        Human similarities (NaN: unrated).
    similarity : {"cosine", "pearson", "euclidean"}
        Similarity of embeddings, as the engines compute it.
    device : str, default="cpu"
        Where the head runs (a torch head is copied there unless on the CPU);
        the similarities and scores are computed on the CPU.
    batch_size : int, default=32
        Images per pass.

    Returns
    -------
    scores : ndarray of shape (n_images,)
        ``S_t`` (NaN where undefined).
    ais : ndarray of shape (n_images, n_maps)
        ``sum over positions of A_k * dS_t / dA_k`` (NaN where ``S_t`` is).
    """
    import torch

    from .._engine import is_gap_head

    if similarity == "spearman":
        raise ValueError(
            "gradient_heatmaps needs a differentiable similarity; "
            "similarity='spearman' ranks the embeddings, which has no gradient. "
            "Fit the explainer with similarity='cosine', 'pearson' or "
            "'euclidean'."
        )
    device = torch.device(device)
    if is_gap_head(head):
        run, dtype = (lambda batch: batch.mean(dim=(2, 3))), torch.float64
    else:
        run, dtype = _torch_head(head, device)
    # Similarities and scores in float64 on the CPU (MPS has no float64).
    reference = torch.as_tensor(np.asarray(reference), dtype=torch.float64)
    human = np.array(human, dtype=np.float64)  # writable, for torch
    scores = np.full(len(maps), np.nan)
    ais = np.full(maps.shape[:2], np.nan)
    for start in range(0, len(maps), batch_size):
        stop = min(start + batch_size, len(maps))
        batch = torch.as_tensor(np.asarray(maps[start:stop]), dtype=dtype)
        batch = batch.to(device).requires_grad_(True)
        rows = torch.as_tensor(human[start:stop])
        with torch.enable_grad():
            embeddings = run(batch).cpu().double()
            sims = _similarities_to(embeddings, reference, similarity)
            score, valid = _pearson_rows(sims, rows)
            if not valid.any():
                continue
            (grad,) = torch.autograd.grad(score[valid].sum(), batch)
        estimate = (batch.detach() * grad).sum(dim=(2, 3)).double()
        valid = valid.numpy()
        scores[start:stop][valid] = score.detach().numpy()[valid]
        ais[start:stop][valid] = estimate.cpu().numpy()[valid]
    return scores, ais


def _torch_head(head, device):
    """``(run, dtype)``: the head in eval mode, in its parameters' dtype.

    float32 for a head without parameters, as the generic engine runs it.
    """
    import copy

    import torch

    from .._torch_utils import eval_mode

    floats = [p.dtype for p in head.parameters() if p.is_floating_point()]
    dtype = floats[0] if floats else torch.float32
    if device.type != "cpu":
        head = copy.deepcopy(head).to(device)

    def run(batch):
        # Eval mode for the pass only: the head's own modes are restored.
        with eval_mode(head):
            return head(batch)

    return run, dtype


def _similarities_to(embeddings, reference, similarity):
    """Similarities ``(b, m)`` of embeddings to reference ones, differentiable.

    The engines' formulas (``_similarity.similarity_from_stats``): cosine,
    Pearson across dimensions, negative Euclidean distance; a zero norm or
    variance gives 0, with a zero (not NaN) gradient.
    """
    import torch

    if similarity == "pearson":
        embeddings = embeddings - embeddings.mean(dim=1, keepdim=True)
        reference = reference - reference.mean(dim=1, keepdim=True)
    if similarity in ("cosine", "pearson"):
        gram = embeddings @ reference.T
        norms = _safe_sqrt(embeddings.pow(2).sum(dim=1))[:, None]
        ref_norms = _safe_sqrt(reference.pow(2).sum(dim=1))[None, :]
        denominator = norms * ref_norms
        positive = denominator > 0
        return torch.where(
            positive, gram / torch.where(positive, denominator, 1.0), 0.0
        )
    squared = (
        embeddings.pow(2).sum(dim=1)[:, None]
        + reference.pow(2).sum(dim=1)[None, :]
        - 2 * embeddings @ reference.T
    )
    return -_safe_sqrt(squared.clamp(min=0.0))


def _safe_sqrt(values):
    """``sqrt`` with a zero gradient (not an infinite one) at 0."""
    import torch

    positive = values > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, values, 1.0)), 0.0)


def _pearson_rows(sims, human):
    """Pearson correlation of each row of ``sims`` with ``human``'s, rated pairs.

    Returns the scores ``(b,)`` and which rows are defined (at least
    ``MIN_RATED`` rated pairs, neither side constant); the others are 0 with
    a zero gradient.
    """
    import torch

    rated = ~torch.isnan(human)
    weight = rated.to(sims.dtype)
    count = weight.sum(dim=1, keepdim=True).clamp(min=1.0)
    h = torch.where(rated, human, 0.0)
    h = (h - (h * weight).sum(dim=1, keepdim=True) / count) * weight
    s = (sims - (sims * weight).sum(dim=1, keepdim=True) / count) * weight
    var_h, var_s = h.pow(2).sum(dim=1), s.pow(2).sum(dim=1)
    # Tiny variances are cancellation noise, as in the engines' scores.
    valid = (
        (rated.sum(dim=1) >= MIN_RATED)
        & (var_h > 1e-24 * (human.nan_to_num().pow(2).sum(dim=1) + 1e-300))
        & (var_s.detach() > 1e-24 * (sims.detach().pow(2).sum(dim=1) + 1e-300))
    )
    denominator = torch.sqrt(torch.where(valid, var_s * var_h, 1.0))
    return torch.where(valid, (s * h).sum(dim=1) / denominator, 0.0), valid


@validate_params(
    {
        "explainer": _EXPLAINER,
        "images": "no_validation",
        "y_block": "no_validation",
        "batch_size": _BATCH,
    },
    prefer_skip_nested_validation=True,
)
def gradcam_heatmaps(explainer, images, y_block=None, *, batch_size=32):
    """Compute Grad-CAM heatmaps of the network's top class at the maps' layer.

    Grad-CAM (Selvaraju et al. 2017) of each image's highest-scoring class
    ``c`` (its top ImageNet class with ImageNet weights): each feature map
    ``A_k`` of the explainer's layer is weighted by the spatial mean of
    ``d logit_c / d A_k``, and the heatmap is ``ReLU(sum_k w_k A_k)``,
    upsampled as the explainer's heatmaps are. The network runs on its own
    (``featurizer_.device_``) as ``featurizer_.logits`` runs it, with the
    maps made a leaf of the autograd graph by a hook; eval mode and the hook
    last for the pass only, and no parameter's ``requires_grad`` is changed
    (no gradient is accumulated in the network).

    Parameters
    ----------
    explainer : AISHeatmapExplainer
        Fitted with a network featurizer (a torchvision CNN, EfficientNet-Lite,
        a :class:`~sklearn_ais.ModuleFeaturizer` whose layer outputs maps).
    images : collection of images
        The images, as the featurizer takes them.
    y_block : object, default=None
        Ignored (the heatmap-method interface).
    batch_size : int, default=32
        Images per forward and backward pass.

    Returns
    -------
    list of ndarray of shape (height, width), float32
        One heatmap per image, at its own size; all zeros where the weighted
        sum is nowhere positive (a ranking of pixels by it is then a tie).

    Raises
    ------
    ValueError
        If the explainer has no network with class logits (``"passthrough"``,
        a featurizer without a whole network), or its maps' layer is not a
        module whose output are the maps.

    See Also
    --------
    gradient_heatmaps : Gradients of the alignment with people instead.
    mean_map_heatmaps : Every map weighted equally.

    Notes
    -----
    For a DenseNet cut at ``features`` the maps are the layer's output after
    the final ReLU, and the gradients those of the layer's output. The hook
    is on the featurizer's network, which featurizers fitted with the same
    network share (the network cache): do not run that network from another
    thread during the call.

    References
    ----------
    Selvaraju, R. R., Cogswell, M., Das, A., Vedantam, R., Parikh, D., and
    Batra, D. (2017). Grad-CAM: Visual explanations from deep networks via
    gradient-based localization. ICCV.

    Examples
    --------
    >>> from sklearn_ais import AISHeatmapExplainer  # doctest: +SKIP
    >>> explainer = AISHeatmapExplainer().fit(images, H)  # doctest: +SKIP
    >>> gradcam_heatmaps(explainer, new_images)  # doctest: +SKIP
    """
    check_is_fitted(explainer)
    featurizer = explainer.featurizer_
    backbone = getattr(featurizer, "backbone_", None)
    if isinstance(featurizer, str) or getattr(backbone, "model", None) is None:
        raise ValueError(
            "gradcam_heatmaps needs the explainer's network and its class "
            f"logits; the explainer's featurizer is {featurizer!r}, which has "
            "none. Fit it with a network featurizer (e.g. "
            "EfficientNetLite0Featurizer or TorchvisionFeaturizer)."
        )
    import torch

    from .._images import check_images, image_sizes, preprocess_batch
    from .._torch_utils import eval_mode

    model = backbone.model
    items = check_images(images)
    preprocess = featurizer._make_preprocess()
    cams = []
    for start in range(0, len(items), batch_size):
        stop = min(start + batch_size, len(items))
        batch = preprocess_batch(items, range(start, stop), preprocess)
        with torch.enable_grad(), eval_mode(model), _MapsLeaf(backbone) as leaf:
            logits = model(batch.to(featurizer.device_))
            _check_logits(logits, leaf, backbone)
            top = logits.argmax(dim=1, keepdim=True)
            (grad,) = torch.autograd.grad(logits.gather(1, top).sum(), leaf["maps"])
        maps = leaf["post"](leaf["maps"].detach())
        weights = grad.mean(dim=(2, 3))[:, :, None, None]
        cams.append(torch.relu((weights * maps).sum(dim=1)).float().cpu().numpy())
    return explainer._at_size(np.concatenate(cams), image_sizes(items))


class _MapsLeaf:
    """Make the maps' layer output a leaf of the autograd graph, for one pass.

    The output of the backbone's ``layer`` module (its first call, as
    ``HookTrunk`` takes it), or of EfficientNet-Lite's ``extract_features``,
    is detached and set to require gradients, and the network goes on from
    it: the gradient of any output with respect to the maps, whatever the
    parameters' ``requires_grad``. The hook (or the instance attribute) is
    removed on exit. Yields a dict with ``maps`` (the leaf) and ``post``
    (what the trunk applies after the layer).
    """

    def __init__(self, backbone):
        from .._backbones import HookTrunk, _ExtractFeatures

        self.model, self.captured = backbone.model, {}
        trunk, layer = backbone.trunk, backbone.layer
        self.post = trunk.post if isinstance(trunk, HookTrunk) else (lambda x: x)
        self.method = isinstance(trunk, _ExtractFeatures) and trunk.model is self.model
        names = {name for name, _ in self.model.named_modules() if name}
        if not self.method and layer not in names:
            raise ValueError(
                f"gradcam_heatmaps cannot find the maps' layer {layer!r} among "
                f"the modules of {type(self.model).__name__}: it needs the "
                "module whose output are the feature maps."
            )
        self.layer = layer

    def _leaf(self, output):
        leaf = output.detach().requires_grad_(True)
        self.captured["maps"] = leaf
        return leaf

    def __enter__(self):
        self.captured["post"] = self.post
        if self.method:
            original = self.model.extract_features

            def extract_features(inputs):
                return self._leaf(original(inputs))

            # An instance attribute shadows the method for this pass only.
            self.model.extract_features = extract_features
            return self.captured

        def hook(_module, _inputs, output):
            if "maps" not in self.captured:  # the first call, as HookTrunk
                return self._leaf(output)
            return None

        self.handle = self.model.get_submodule(self.layer).register_forward_hook(hook)
        return self.captured

    def __exit__(self, *exc_info):
        if self.method:
            del self.model.extract_features
        else:
            self.handle.remove()
        return False


def _check_logits(logits, leaf, backbone):
    """Refuse outputs that are not class logits, or maps that are not 4-D."""
    if logits.ndim != 2:
        raise ValueError(
            f"The network returns an output of shape {tuple(logits.shape[1:])} "
            "per image, not class logits: Grad-CAM needs a classifier."
        )
    maps = leaf.get("maps")
    if maps is None or maps.ndim != 4:
        shape = None if maps is None else tuple(maps.shape[1:])
        raise ValueError(
            f"The output of layer {backbone.layer!r} has shape {shape} per image, "
            "not (n_maps, height, width) maps: Grad-CAM needs convolutional maps."
        )
