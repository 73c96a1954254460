"""Feature-map selection by Alignment Importance Scores."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
)
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from ._devices import PortableDeviceMixin
from ._engine import (
    DEFAULT_CHUNK_MB,
    engine_device,
    is_gap_head,
    leave_one_out_ais,
    make_engine,
    selection_path,
)
from ._feature_maps import head_of
from ._human import (
    MIN_IMAGES,
    MISSING,
    TARGETS,
    check_every_image_rated,
    item_ids,
    read_human_pairs,
)
from ._scoring import RSAScorer
from ._similarity import COMPARISONS, SIMILARITIES


class AISFeatureMapSelector(PortableDeviceMixin, TransformerMixin, BaseEstimator):
    """Select the feature maps that carry what people use to compare images.

    For each feature map ``k`` the Alignment Importance Score (Truong,
    Pesenti & Hasson 2024, Eq. 1) is how much the second-order isomorphism
    (2OI: the correlation between the model's and the humans' pair
    similarities) drops when map ``k`` is masked (zeroed) in every image::

        AIS_k = rho(Z, H) - rho(Z without map k, H)

    Maps are then added one at a time in decreasing AIS order; the 2OI of
    every prefix is the selection path, and the retained set is its best
    prefix on the training images (or a fixed size).

    ``X`` is either a 2-D matrix of pooled features (one column per map: the
    global-average-pooling case, no torch needed), or 4-D feature maps
    ``(n_images, n_maps, height, width)`` such as a featurizer's output. A
    :class:`~sklearn_ais.FeatureMaps` carries its network's head,
    which is used for the masked embeddings (the VGG head runs an exact fast
    path, any other head a chunked exact fallback); plain 4-D arrays are
    global-average pooled.

    Every masked result is exact: the same numbers (to floating-point
    rounding) as zeroing the map and running the head again, computed in
    batched closed forms instead.

    Parameters
    ----------
    featurizer : featurizer or "passthrough", default="passthrough"
        ``"passthrough"``: ``X`` holds pooled features or feature maps. A
        featurizer of this package (cloned and fitted in ``fit``) makes ``X``
        images: ``AISFeatureMapSelector(featurizer=VGGFeaturizer()).fit(images,
        y)`` and its ``transform(images)`` run the network inside. The same as
        a ``Pipeline`` of the featurizer and the selector.
    similarity : {"cosine", "pearson", "spearman", "euclidean"}, default="cosine"
        Similarity between two images' embeddings: cosine similarity, Pearson
        or Spearman correlation across dimensions, or negative Euclidean
        distance.
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        How model and human pair similarities are compared: Spearman or
        Pearson correlation, squared Pearson correlation (as in the authors'
        released code) or Kendall's tau-a.
    target : {"auto", "similarity", "dissimilarity", "embedding"}, default="auto"
        What ``y`` holds. ``"auto"`` reads the diagonal of the matrix: the
        largest value of every row means similarities, the smallest (an RDM's
        zeros) dissimilarities, anything else is an error asking for
        ``target``. A matrix of dissimilarities is negated. With
        ``"embedding"`` the rows of ``y`` are target embeddings (or one rating
        per image) compared with ``similarity``. Pass ``y`` as a DataFrame
        whose index and columns are the item ids so that it survives
        cross-validation (user guide: :ref:`target_and_cv`); a
        condensed upper triangle (``pdist`` order) needs an explicit
        ``"similarity"`` or ``"dissimilarity"``. An explicit value that the
        diagonal contradicts gives a :class:`~sklearn_ais.TargetWarning`.
    missing : {"raise", "ignore"}, default="raise"
        What a NaN pair of ``y`` means. ``"raise"``: an error. ``"ignore"``:
        a pair nobody rated (NaN on both sides of the diagonal, as
        ``pd.read_csv`` reads an empty cell), left out of every comparison:
        the model's similarities are compared with the humans' on the rated
        pairs only (pairwise-complete). At least 3 pairs must be rated and
        every image in one; ``target="auto"`` still needs the diagonal.
    n_features_to_select : "auto", int or float, default="auto"
        How many maps to retain: ``"auto"`` takes the prefix with the highest
        2OI on the training images (the paper's S*), an int that many maps,
        a float in (0, 1] that fraction of the maps, floored as in
        :class:`~sklearn.feature_selection.RFE`: ``max(1, int(f * n_maps))``
        (one map where the floor is 0, where ``RFE`` would fail).
    device : str, default="auto"
        Where the masked networks are computed (``"auto"``, ``"cpu"``,
        ``"cuda"``, ``"cuda:1"``...), resolved in ``fit`` to ``device_``; an
        unavailable accelerator falls back to the CPU with a
        :class:`~sklearn_ais.exceptions.DeviceFallbackWarning`. For 2-D input
        and global-average-pooled maps, ``"auto"`` and ``"cpu"`` run the
        compiled closed forms on the CPU (torch is never imported); an
        accelerator runs the same closed forms in torch there, ranks and
        correlations included (equal to the CPU's to about 1e-15;
        ``comparison="kendall"`` is then scored on the CPU, with that
        warning). For 4-D maps with a torch head, the device the head runs on.
    chunk_mb : float, default=64
        Memory budget of one chunk of masked networks, in megabytes: the
        masked computations stream through chunks of this size.
    n_jobs : int or None, default=None
        Threads that compute and rank chunks of masked networks in parallel.
        ``None`` means 1 unless in a ``joblib.parallel_config`` context; ``-1``
        means all processors. For a torch head on the CPU, ``None`` means one
        single-threaded chunk per torch thread (``torch.get_num_threads()``),
        and an int shares torch's threads among that many chunks; the results
        are the same bit for bit.
    verbose : int, default=0
        ``0`` is silent; otherwise progress bars over the chunks of masked
        networks are shown (useful for the VGG head on many images).

    Attributes
    ----------
    featurizer_ : featurizer or "passthrough"
        The fitted featurizer.
    ais_ : ndarray of shape (n_maps,)
        Alignment Importance Score of each map (NaN where masking the map left
        constant similarities).
    full_score_ : float
        2OI of the full model (all maps) on the training images.
    target_ : {"similarity", "dissimilarity", "embedding"}
        How ``y`` was read (the decision of ``target="auto"``).
    ranking_ : ndarray of shape (n_maps,)
        As in :class:`~sklearn.feature_selection.RFE`: 1 for every retained
        map, then 2, 3, ... for the others in decreasing AIS.
    ais_ranking_ : ndarray of shape (n_maps,)
        Rank of each map by AIS alone, 1 for the highest (undefined AIS last,
        ties in map order); the selection path adds maps in this order.
    scores_path_ : ndarray of shape (n_maps,)
        ``scores_path_[m - 1]`` is the 2OI of the ``m`` maps of highest AIS.
    n_features_ : int
        Number of retained maps.
    support_ : ndarray of shape (n_maps,), dtype=bool
        Mask of the retained maps.
    head_ : torch.nn.Module or None
        The head carried by the ``FeatureMaps`` seen in ``fit`` (None for 2-D
        input and plain arrays: global average pooling); used by ``transform``
        on plain 4-D arrays.
    device_ : str
        The device the computations ran on.
    n_features_in_ : int
        Number of maps seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the maps, when ``X`` is a DataFrame with string columns.

    See Also
    --------
    RSAScorer : Scores a fitted pipeline's embeddings against human judgments.

    Notes
    -----
    ``transform`` returns the embeddings the network gives with only the
    retained maps: for 2-D input, ``X`` with the other columns set to zero
    (so that every similarity, including Pearson and Spearman across
    dimensions, matches what ``fit`` measured); for feature maps, the head's
    output on the masked maps.

    Examples
    --------
    >>> from sklearn_ais import AISFeatureMapSelector
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> X, H, relevant = make_alignment_problem(
    ...     n_images=60, n_maps=40, n_relevant=5, random_state=0)
    >>> selector = AISFeatureMapSelector().fit(X, H)
    >>> int(selector.n_features_) < 40
    True
    >>> selector.transform(X).shape
    (60, 40)
    """

    _device_modules = ("head_",)

    _parameter_constraints = {
        "featurizer": [HasMethods(["fit", "transform"]), StrOptions({"passthrough"})],
        "similarity": [StrOptions(set(SIMILARITIES))],
        "comparison": [StrOptions(set(COMPARISONS))],
        "target": [StrOptions(set(TARGETS))],
        "missing": [StrOptions(set(MISSING))],
        "n_features_to_select": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "device": [str],
        "chunk_mb": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        featurizer="passthrough",
        similarity="cosine",
        comparison="spearman",
        target="auto",
        missing="raise",
        n_features_to_select="auto",
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
        self.n_features_to_select = n_features_to_select
        self.device = device
        self.chunk_mb = chunk_mb
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _validate_maps(self, X, reset):
        head = head_of(X)
        X = validate_data(
            self,
            X,
            reset=reset,
            allow_nd=True,
            dtype=[np.float64, np.float32],
            # fit compares pairs of images; transform embeds images one by one.
            ensure_min_samples=MIN_IMAGES if reset else 1,
            # With a single map there is nothing to select.
            ensure_min_features=2 if reset else 1,
        )
        if X.ndim not in (2, 4):
            raise ValueError(
                "X must be a 2-D matrix of pooled features (n_images, n_maps) or "
                "4-D feature maps (n_images, n_maps, height, width); got shape "
                f"{X.shape}."
            )
        return X, head

    def _engine(self, X, head):
        return make_engine(
            X, head, self.similarity, device=self.device_, chunk_mb=self.chunk_mb
        )

    def _fitted_engine(self, X):
        """The engine of ``X`` (featurized as in ``fit``) for embeddings."""
        check_is_fitted(self)
        if not isinstance(self.featurizer_, str):
            X = self.featurizer_.transform(X)
        X, head = self._validate_maps(X, reset=False)
        # Plain 4-D maps run through the head seen in fit.
        if head is None and X.ndim == 4:
            head = self.head_
        return self._engine(X, head)

    # A featurizer is validated as a nested estimator, in its own fit.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Compute the AIS of every map and select the retained maps.

        Parameters
        ----------
        X : array-like of shape (n_images, n_maps) or (n_images, n_maps, h, w)
            Pooled features or feature maps of the training images (images,
            with a ``featurizer``).
        y : DataFrame of shape (n_images, n_items) or array-like
            Human similarities of the training images: a DataFrame whose index
            and columns are item ids (the block of the rows' own items is
            used), a square array, a condensed upper triangle (with an
            explicit ``target``), or target embeddings (one row per image,
            with ``target="embedding"``). Where ``X`` carries item ids (a
            DataFrame index, or ``FeatureMaps`` from a Series of images) they
            must be ``y``'s, in the same order. NaN for unrated pairs with
            ``missing="ignore"``.

        Returns
        -------
        self : object
            The fitted selector.
        """
        ids = item_ids(X)
        if isinstance(self.featurizer, str):
            self.featurizer_ = self.featurizer
        else:
            self.featurizer_ = clone(self.featurizer)
            X = self.featurizer_.fit(X).transform(X)
        X, head = self._validate_maps(X, reset=True)
        n_maps = X.shape[1]
        n_to_select = self._n_to_select_upfront(n_maps)
        pairs = read_human_pairs(
            y,
            len(X),
            target=self.target,
            similarity=self.similarity,
            ids=ids,
            missing=self.missing,
        )
        check_every_image_rated(pairs.pairs, len(X))
        self.target_ = pairs.target
        self.head_ = head
        self.device_ = engine_device(head, self.device)
        engine = self._engine(X, head)
        self._n_features_out = engine.embedding_dim
        scores = leave_one_out_ais(
            engine,
            pairs.pairs,
            self.comparison,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        self.full_score_ = scores.full_score
        self.ais_ = scores.ais
        # Undefined scores rank last; ties keep map order.
        order = np.argsort(-np.nan_to_num(self.ais_, nan=-np.inf), kind="stable")
        self.ais_ranking_ = np.empty(n_maps, dtype=np.intp)
        self.ais_ranking_[order] = np.arange(1, n_maps + 1)
        self.scores_path_ = selection_path(
            engine,
            order,
            pairs.pairs,
            self.comparison,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        if n_to_select is None:
            if np.isnan(self.scores_path_).all():
                raise ValueError("Every prefix of maps gave undefined scores.")
            n_to_select = int(np.nanargmax(self.scores_path_)) + 1
        self.n_features_ = n_to_select
        self.support_ = np.zeros(n_maps, dtype=bool)
        self.support_[order[:n_to_select]] = True
        # RFE's convention: retained maps share rank 1, the rest follow by AIS.
        self.ranking_ = np.maximum(self.ais_ranking_ - n_to_select + 1, 1)
        return self

    def _n_to_select_upfront(self, n_maps):
        """The number of maps to retain, None for "auto"; checked before any work."""
        wanted = self.n_features_to_select
        if isinstance(wanted, bool):
            raise ValueError(
                "n_features_to_select must be 'auto', an int or a float in (0, 1]; "
                f"got the bool {wanted}."
            )
        if wanted == "auto":
            return None
        if isinstance(wanted, Integral):
            if wanted > n_maps:
                raise ValueError(
                    f"n_features_to_select={wanted} is more than the {n_maps} "
                    "maps in X."
                )
            return int(wanted)
        # Floored, as RFE and SequentialFeatureSelector do.
        return max(1, int(wanted * n_maps))

    def transform(self, X):
        """Build the embeddings from the retained maps only.

        Parameters
        ----------
        X : array-like of shape (n_images, n_maps) or (n_images, n_maps, h, w)
            Pooled features or feature maps (images, with a ``featurizer``).

        Returns
        -------
        ndarray of shape (n_images, n_maps) or (n_images, n_dims)
            For 2-D input, ``X`` with the maps not retained set to zero; for
            feature maps, the head's embeddings of the masked maps.
        """
        return self._fitted_engine(X).embed(self.support_)

    def embed_subsets(self, X, subsets):
        """Embed ``X`` with each given subset of maps kept.

        What ``transform`` does for the retained maps, for any subsets (all
        maps, controls of the same size...), with the featurizer and the
        engine run once for all of them.

        Parameters
        ----------
        X : array-like of shape (n_images, n_maps) or (n_images, n_maps, h, w)
            Pooled features or feature maps (images, with a ``featurizer``).
        subsets : array-like of bool of shape (n_subsets, n_maps)
            Each row a mask of the maps kept.

        Returns
        -------
        ndarray of shape (n_subsets, n_images, n_maps) or (n_subsets, n_images, n_dims)
            The embeddings of each subset, as ``transform`` builds them.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_ais import AISFeatureMapSelector
        >>> from sklearn_ais.datasets import make_alignment_problem
        >>> X, H, _ = make_alignment_problem(30, 10, 3, random_state=0)
        >>> selector = AISFeatureMapSelector().fit(X, H)
        >>> everything = np.ones(10, dtype=bool)
        >>> selector.embed_subsets(X, [everything, selector.support_]).shape
        (2, 30, 10)
        """
        check_is_fitted(self)
        subsets = np.asarray(subsets)
        if (
            subsets.dtype != bool
            or subsets.ndim != 2
            or subsets.shape[1] != self.n_features_in_
        ):
            raise ValueError(
                "subsets must be boolean masks of shape (n_subsets, "
                f"{self.n_features_in_}); got dtype {subsets.dtype} and shape "
                f"{subsets.shape}."
            )
        engine = self._fitted_engine(X)
        return np.stack([engine.embed(keep) for keep in subsets])

    def score(self, X, y):
        """2OI of the retained maps' embeddings with the human similarities.

        Uses this selector's ``similarity``, ``comparison``, ``target_`` and
        ``missing``.

        Parameters
        ----------
        X : array-like of shape (n_images, n_maps) or (n_images, n_maps, h, w)
            Pooled features or feature maps.
        y : DataFrame or array-like
            Human similarities of these images (see ``fit``).

        Returns
        -------
        float
            The second-order isomorphism (greater is better).
        """
        return RSAScorer(comparison=self.comparison)(self, X, y)

    def get_support(self, indices=False):
        """Mask, or indices, of the retained maps.

        Parameters
        ----------
        indices : bool, default=False
            Return integer indices instead of a boolean mask.

        Returns
        -------
        ndarray
            Boolean mask of shape ``(n_maps,)``, or the retained maps' indices.
        """
        check_is_fitted(self)
        return np.flatnonzero(self.support_) if indices else self.support_.copy()

    def get_feature_names_out(self, input_features=None):
        """Get the names of the output features.

        For 2-D input the output keeps one column per map, so these are the
        input names; for feature maps, the output is the head's embedding and
        its dimensions are named ``aisfeaturemapselector0``, ``...1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names, checked against those seen in ``fit``.

        Returns
        -------
        ndarray of str
            One name per output column.
        """
        check_is_fitted(self)
        names_in = _check_feature_names_in(self, input_features)
        if is_gap_head(self.head_):
            return names_in
        prefix = type(self).__name__.lower()
        return np.array(
            [f"{prefix}{i}" for i in range(self._n_features_out)], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        # float32 stays float32 for every input kind (2-D, pooled 4-D, torch
        # heads); float64 does only for 2-D and pooled input (torch heads
        # compute in float32).
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
