"""Per-image alignment-importance heatmaps: where people's comparisons look."""

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
)
from sklearn.utils.validation import check_is_fitted

from ._devices import PortableDeviceMixin
from ._engine import (
    DEFAULT_CHUNK_MB,
    cross_ais,
    engine_device,
    leave_one_out_ais,
    make_engine,
)
from ._feature_maps import head_of
from ._heatmaps import (
    NEGATIVE_POLICIES,
    UPSAMPLING,
    _weighted_sum,
    heatmap_weights,
    upsample_heatmap,
)
from ._human import (
    MISSING,
    TARGETS,
    check_every_image_rated,
    item_ids,
    rated_per_image,
    read_cross_judgments,
    read_human_pairs,
)
from ._similarity import COMPARISONS, MIN_RATED, SIMILARITIES

__all__ = ["AISHeatmapExplainer", "heatmap_weights", "upsample_heatmap"]


def _shown(positions, ids):
    """The first ten images at ``positions``, by id where there are ids."""
    names = [str(ids[i]) if ids is not None else str(i) for i in positions]
    return ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")


def _warn_few_rated(counts, ids, stacklevel=4):
    """Warn of the images with too few rated pairs for a per-image score."""
    few = np.flatnonzero(np.asarray(counts) < MIN_RATED)
    if len(few) == 0:
        return
    warnings.warn(
        f"{len(few)} image(s) have fewer than {MIN_RATED} rated pairs (the others "
        f"are NaN): their per-image AIS are NaN. Images: {_shown(few, ids)}.",
        UserWarning,
        stacklevel=stacklevel,
    )


class AISHeatmapExplainer(PortableDeviceMixin, TransformerMixin, BaseEstimator):
    """Per-image Alignment Importance heatmaps (the paper's Aim 2).

    For each image ``t`` and feature map ``k``, the per-image AIS is how much
    image ``t``'s second-order isomorphism drops when map ``k`` is masked in
    ``t`` alone: the correlation of ``t``'s ``n - 1`` model similarities to
    the other images with its ``n - 1`` human similarities::

        AIS[t, k] = rho(z_t, h_t) - rho(z_t without map k, h_t)

    The heatmap of image ``t`` is the average of its feature maps weighted
    by its AIS (negative AIS set to 0 and the rest normalised to sum 1, by
    default), resized to the image: warm regions carry what people use when
    they compare this image with the others. The dataset AIS come from the
    same pass.

    Parameters
    ----------
    featurizer : featurizer, "passthrough" or None, default=None
        Turns images into feature maps; cloned and fitted in ``fit``. ``None``
        is :class:`EfficientNetLite0Featurizer` (real ImageNet weights,
        offline). ``"passthrough"``: ``X`` already holds feature maps
        (:class:`FeatureMaps` or a 4-D array, global average pooled); the
        heatmaps then stay at map resolution (there are no image sizes).
    similarity : {"cosine", "pearson", "spearman", "euclidean"}, default="cosine"
        Similarity between two images' embeddings.
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        How each image's model and human similarities are compared (the
        paper's text: Spearman; the authors' released code: Pearson, with
        ``similarity="pearson"``).
    target : {"auto", "similarity", "dissimilarity", "embedding"}, default="auto"
        What ``y`` holds; see :class:`AISFeatureMapSelector`.
    missing : {"raise", "ignore"}, default="raise"
        What a NaN pair of ``y`` means: an error, or a pair nobody rated, left
        out (see :class:`AISFeatureMapSelector`). Image ``t``'s per-image
        scores then compare its rated pairs only; an image with fewer than 2
        rated pairs gets NaN per-image AIS (and an all-zero heatmap), with a
        warning. Applies to ``explain``'s block too.
    negative : {"positive", "absolute", "signed"}, default="positive"
        What becomes of negative AIS; see :func:`~sklearn_ais.explain.heatmap_weights`.
    upsample : {"bilinear", "bicubic", "nearest"}, default="bilinear"
        Interpolation of heatmaps to image size.
    device : str, default="auto"
        Where the masked computations run (the featurizer has its own
        ``device``); as in :class:`~sklearn_ais.AISFeatureMapSelector`: for
        global-average-pooled maps ``"auto"`` and ``"cpu"`` are the compiled
        CPU path, an accelerator runs the same closed forms in torch.
    chunk_mb : float, default=64
        Memory budget of one chunk of masked networks, in megabytes.
    n_jobs : int or None, default=None
        Threads over chunks of masked networks (for a torch head on the CPU,
        see :class:`~sklearn_ais.AISFeatureMapSelector`).
    verbose : int, default=0
        Progress bars when non-zero.

    Attributes
    ----------
    featurizer_ : featurizer or "passthrough"
        The fitted featurizer.
    ais_per_image_ : ndarray of shape (n_images, n_maps)
        Per-image AIS (NaN where the image's score is undefined, for example
        when all its human similarities are equal).
    full_score_per_image_ : ndarray of shape (n_images,)
        Each image's 2OI with every map kept.
    ais_ : ndarray of shape (n_maps,)
        Dataset AIS of the same pass.
    full_score_ : float
        2OI of the full model on all pairs.
    target_ : str
        How ``y`` was read.
    raw_map_heatmaps_ : ndarray of shape (n_images, h, w)
        Map-resolution heatmaps with un-normalised weights (one scale for
        every image, as CAM libraries' raw maps).
    map_heatmaps_ : ndarray of shape (n_images, h, w)
        Map-resolution heatmaps with normalised weights.
    image_sizes_ : list of tuple of int or None
        ``(height, width)`` of each image; None with ``"passthrough"``.
    ids_ : pandas.Index or None
        Item ids of the images: those ``X`` carried, else the index of a
        DataFrame ``y``.
    embeddings_ : ndarray of shape (n_images, n_dims)
        The fitted images' embeddings with every map kept: the references
        that :meth:`explain` compares new images with.
    device_ : str
        Device of the masked computations.
    n_features_in_ : int
        Number of feature maps.

    See Also
    --------
    AISFeatureMapSelector : Dataset AIS and the maps that predict humans.

    Notes
    -----
    Names say the resolution: a ``heatmaps`` name (``heatmaps_``,
    :meth:`heatmaps`) gives each heatmap at its image's own size, a
    ``map_heatmaps`` name (``map_heatmaps_``, ``raw_map_heatmaps_``, the
    ``map_heatmaps`` of :meth:`explain`) the resolution of the feature maps,
    as does ``transform`` (a transformer returns one array).

    ``heatmaps_`` (the fitted images' heatmaps at their own size) is computed
    on access from ``map_heatmaps_``: at full resolution, 1,000 photos of
    12 megapixels would take 48 GB. Heatmaps are stretched over the whole
    image, as the default preprocessing stretches the image over the
    network's input; a ``preprocess`` that crops maps to a part of the image
    that this cannot know, and its heatmaps are misplaced.

    ``transform`` explains images without human judgments: their maps
    weighted by the *dataset* AIS (one weight per map for every image),
    whereas the fitted images' heatmaps use their own per-image AIS.
    ``explain`` gives new images per-image heatmaps from their human
    similarities to the fitted images (no pair among the new images is used).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais import AISHeatmapExplainer
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> _, H, _ = make_alignment_problem(12, 4, 2, random_state=0)
    >>> maps = np.random.default_rng(0).uniform(size=(12, 8, 5, 5))
    >>> explainer = AISHeatmapExplainer(featurizer="passthrough").fit(maps, H)
    >>> explainer.ais_per_image_.shape, explainer.heatmaps_[0].shape
    ((12, 8), (5, 5))
    """

    _parameter_constraints = {
        "featurizer": [
            HasMethods(["fit", "transform"]),
            StrOptions({"passthrough"}),
            None,
        ],
        "similarity": [StrOptions(set(SIMILARITIES))],
        "comparison": [StrOptions(set(COMPARISONS))],
        "target": [StrOptions(set(TARGETS))],
        "missing": [StrOptions(set(MISSING))],
        "negative": [StrOptions(set(NEGATIVE_POLICIES))],
        "upsample": [StrOptions(set(UPSAMPLING))],
        "device": [str],
        "chunk_mb": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        featurizer=None,
        similarity="cosine",
        comparison="spearman",
        target="auto",
        missing="raise",
        negative="positive",
        upsample="bilinear",
        device="auto",
        chunk_mb=DEFAULT_CHUNK_MB,
        n_jobs=None,
        verbose=0,
    ):
        self.featurizer = featurizer
        self.similarity = similarity
        self.comparison = comparison
        self.target = target
        self.missing = missing
        self.negative = negative
        self.upsample = upsample
        self.device = device
        self.chunk_mb = chunk_mb
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _featurizer(self):
        if self.featurizer is None:
            from .featurizers import EfficientNetLite0Featurizer

            return EfficientNetLite0Featurizer(verbose=self.verbose)
        if isinstance(self.featurizer, str):
            return self.featurizer
        return clone(self.featurizer)

    def _maps(self, X, reset, sizes=True):
        """Feature maps of ``X``, their head, and the images' sizes.

        Sizes are None with ``"passthrough"``, or when not asked for (they are
        read from every file's header).
        """
        if reset:
            self.featurizer_ = self._featurizer()
        if isinstance(self.featurizer_, str):
            head = head_of(X)
            maps = np.asarray(X)
            if maps.ndim != 4:
                raise ValueError(
                    "With featurizer='passthrough', X must be feature maps of "
                    "shape (n_images, n_maps, height, width); got shape "
                    f"{maps.shape}."
                )
            if not np.isfinite(maps).all():
                raise ValueError("The feature maps X contain NaN or infinite values.")
            return maps, head, None
        from ._images import image_sizes

        sizes = image_sizes(X) if sizes else None
        if reset:
            self.featurizer_.fit(X)
        maps = self.featurizer_.transform(X)
        return np.asarray(maps), head_of(maps), sizes

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Compute per-image and dataset AIS and the heatmaps.

        Parameters
        ----------
        X : collection of images, or feature maps
            Images for the featurizer (file paths, PIL images, arrays,
            tensors; a pandas Series carries item ids), or feature maps with
            ``featurizer="passthrough"``.
        y : DataFrame or array-like
            Human similarities of the images; see
            :class:`AISFeatureMapSelector` (NaN for unrated pairs with
            ``missing="ignore"``).

        Returns
        -------
        self : object
            The fitted explainer.
        """
        ids = item_ids(X)
        maps, head, sizes = self._maps(X, reset=True)
        n_images, n_maps = maps.shape[:2]
        pairs = read_human_pairs(
            y,
            n_images,
            target=self.target,
            similarity=self.similarity,
            ids=ids,
            missing=self.missing,
        )
        check_every_image_rated(pairs.pairs, n_images)
        if ids is None and isinstance(y, pd.DataFrame):
            ids = y.index  # the rows of y are the images, in order
        _warn_few_rated(rated_per_image(pairs.pairs, n_images), ids)
        self.target_ = pairs.target
        self.device_ = engine_device(head, self.device)
        engine = make_engine(
            maps, head, self.similarity, device=self.device_, chunk_mb=self.chunk_mb
        )
        scores = leave_one_out_ais(
            engine,
            pairs.pairs,
            self.comparison,
            per_image=True,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        self.embeddings_ = engine.embed(np.ones(n_maps, dtype=bool))
        self.full_score_ = scores.full_score
        self.ais_ = scores.ais
        self.full_score_per_image_ = scores.full_score_per_image
        self.ais_per_image_ = scores.ais_per_image
        raw, weights = heatmap_weights(self.ais_per_image_, negative=self.negative)
        self.raw_map_heatmaps_ = _weighted_sum(maps, raw)
        self.map_heatmaps_ = _weighted_sum(maps, weights)
        self._warn_empty(weights, ids)
        self.image_sizes_ = sizes
        self.ids_ = ids
        self.n_features_in_ = n_maps
        return self

    def _warn_empty(self, weights, ids, stacklevel=4):
        empty = np.flatnonzero(~np.any(weights != 0, axis=1))
        if len(empty) == 0:
            return
        warnings.warn(
            f"{len(empty)} image(s) have no map with a positive AIS (or an "
            "undefined score): their heatmaps are all zeros. Images: "
            f"{_shown(empty, ids)}.",
            UserWarning,
            stacklevel=stacklevel,
        )

    @property
    def heatmaps_(self):
        """Heatmaps of the fitted images, each at its image's own size.

        A list of 2-D float32 arrays ``(height, width)``, computed on access
        from ``map_heatmaps_`` (map resolution with ``"passthrough"``).
        """
        check_is_fitted(self)
        return self._at_size(self.map_heatmaps_, self.image_sizes_)

    def _at_size(self, heatmaps, sizes):
        if sizes is None:
            return [h.copy() for h in heatmaps]
        return [
            upsample_heatmap(h, size, mode=self.upsample)
            for h, size in zip(heatmaps, sizes)
        ]

    def transform(self, X):
        """Map-resolution heatmaps of images, weighted by the dataset AIS.

        For images without human judgments: every image's maps are weighted
        by the same (dataset) AIS, unlike the fitted images' per-image
        heatmaps.

        Parameters
        ----------
        X : collection of images, or feature maps
            As in ``fit``.

        Returns
        -------
        ndarray of shape (n_images, h, w), float32
            The heatmaps at map resolution.
        """
        return self._dataset_heatmaps(X, sizes=False)[0]

    def heatmaps(self, X):
        """Compute heatmaps by the dataset AIS, each at its image's own size.

        What ``transform`` gives at map resolution, upsampled as
        ``heatmaps_`` is.

        Parameters
        ----------
        X : collection of images, or feature maps
            As in ``fit``.

        Returns
        -------
        list of ndarray of shape (height, width), float32
            One heatmap per image, at its own size.
        """
        return self._at_size(*self._dataset_heatmaps(X, sizes=True))

    def explain(self, X, y):
        """Per-image AIS and heatmaps of new images, from their judgments.

        For new images with human similarities to the fitted images (and
        none needed among themselves): the per-image AIS of new image ``t``
        is how much the correlation of its model similarities to the fitted
        images with its human similarities to them drops when map ``k`` is
        masked in ``t`` alone. Pairs among the new images are never used, so
        they can judge the heatmaps (cross-fitting, as in
        :func:`~sklearn_ais.analysis.deletion_curves`).

        Parameters
        ----------
        X : collection of images, or feature maps
            The new images, as in ``fit``.
        y : DataFrame or array-like of shape (n_new, n_fitted)
            Human similarities (or dissimilarities, as read in ``fit``) of the
            new images (rows) to the fitted images (columns, in the fitted
            order). A DataFrame's labels are checked against the ids of ``X``
            and ``ids_``: select the block with ``H.loc[new_ids, ids_]``.

        Returns
        -------
        result : :class:`~sklearn.utils.Bunch`
            Dictionary-like object with attributes ``ais_per_image`` (n_new,
            n_maps), ``full_score_per_image`` (n_new,), ``map_heatmaps`` (n_new,
            h, w) and ``heatmaps`` (a list, each at its image's size; at map
            resolution with ``"passthrough"``). NaN AIS and all-zero heatmaps
            where an image's score is undefined.
        """
        from sklearn.utils import Bunch

        check_is_fitted(self)
        ids = item_ids(X)
        maps, head, sizes = self._maps(X, reset=False)
        self._check_n_maps(maps)
        n_new, n_maps = maps.shape[:2]
        human = self._read_block(y, n_new, ids, name="y")
        _warn_few_rated(np.sum(~np.isnan(human), axis=1), ids, stacklevel=3)
        engine = make_engine(
            maps, head, self.similarity, device=self.device_, chunk_mb=self.chunk_mb
        )
        full_score, ais = cross_ais(
            engine,
            self.embeddings_,
            human,
            self.comparison,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        _, weights = heatmap_weights(ais, negative=self.negative)
        map_heatmaps = _weighted_sum(maps, weights)
        self._warn_empty(weights, ids, stacklevel=3)
        return Bunch(
            ais_per_image=ais,
            full_score_per_image=full_score,
            map_heatmaps=map_heatmaps,
            heatmaps=self._at_size(map_heatmaps, sizes),
        )

    def _read_block(self, y, n_new, ids, *, name):
        """New images' similarities to the fitted ones, read as ``fit`` read y."""
        human = read_cross_judgments(
            y,
            n_new,
            target=self.target_,
            new_ids=ids,
            fitted_ids=self.ids_,
            missing=self.missing,
        )
        if human.shape[1] != len(self.embeddings_):
            raise ValueError(
                f"{name} has {human.shape[1]} columns but the explainer was fitted "
                f"on {len(self.embeddings_)} images: one column per fitted image."
            )
        return human

    def _dataset_heatmaps(self, X, sizes):
        """Map-resolution heatmaps of ``X`` by the dataset AIS, and the sizes."""
        check_is_fitted(self)
        maps, _, image_sizes = self._maps(X, reset=False, sizes=sizes)
        self._check_n_maps(maps)
        _, weights = heatmap_weights(self.ais_, negative=self.negative)
        return _weighted_sum(maps, weights), image_sizes

    def _check_n_maps(self, maps):
        if maps.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {maps.shape[1]} feature maps, but this explainer was "
                f"fitted on {self.n_features_in_}."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        return tags
