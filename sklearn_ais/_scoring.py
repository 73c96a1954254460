"""RSAScorer: the second-order isomorphism as a scikit-learn scorer."""

from sklearn.utils._param_validation import StrOptions, validate_parameter_constraints

from ._human import MISSING, TARGETS, item_ids
from ._similarity import COMPARISONS, SIMILARITIES
from .metrics import _score_against, second_order_isomorphism


def _steps_of(estimator):
    """The estimator's steps, last first (a search's best estimator unwrapped)."""
    estimator = getattr(estimator, "best_estimator_", estimator)
    steps = getattr(estimator, "steps", None)
    if steps is None:
        return [estimator]
    return [step for _, step in reversed(steps)]


def _reading_step(estimator):
    """The last step that read ``y`` in ``fit`` (has a fitted ``target_``),
    or None (a featurizer alone, a PCA...)."""
    for step in _steps_of(estimator):
        if hasattr(step, "target_"):
            return step
    return None


def model_reading(estimator):
    """``(similarity, target_)`` of the last step that read ``y`` in ``fit``.

    ``(None, None)`` when no step has a fitted ``target_``.
    """
    step = _reading_step(estimator)
    if step is None:
        return None, None
    return getattr(step, "similarity", None), step.target_


class RSAScorer:
    """Score an estimator by how well its embeddings' similarities match humans'.

    ``scorer(estimator, X, y)`` computes the embeddings ``estimator.transform(X)``
    (feature maps are turned into embeddings by the head they carry, or by
    global average pooling), their pair similarities ``Z``, and returns the
    correlation of ``Z``'s upper triangle with the human similarities of the
    same images (the second-order isomorphism, 2OI). Greater is better, so it
    can be passed as ``scoring=`` to ``cross_val_score``, ``GridSearchCV`` or
    ``permutation_test_score``.

    The first-order similarity and the reading of ``y`` belong to the model:
    by default they are taken, at each call, from the fitted estimator (the
    last pipeline step with a fitted ``target_``, such as
    :class:`AISFeatureMapSelector`), so a grid over ``similarity`` scores each
    candidate with its own similarity, and a selector fitted on
    dissimilarities is scored on dissimilarities. The comparison is the
    scorer's own, so that every candidate is scored in one unit.

    Parameters
    ----------
    similarity : {"cosine", "pearson", "spearman", "euclidean"} or None, \
default=None
        Similarity between embeddings (negative distance for "euclidean").
        ``None``: the fitted estimator's ``similarity``, or ``"cosine"`` when
        it has none. A value that differs from the estimator's is an error.
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        Correlation between model and human pair similarities; "r2" is the
        squared Pearson correlation, "kendall" Kendall's tau-a.
    target : {"auto", "similarity", "dissimilarity", "embedding"} or None, \
default=None
        What ``y`` holds; see :class:`AISFeatureMapSelector`. ``None``: the
        fitted estimator's ``target_``, or ``"auto"`` when it has none. A
        value (or an ``"auto"`` reading) that differs from the estimator's is
        an error.
    missing : {"raise", "ignore"} or None, default=None
        What a NaN pair of ``y`` means: an error, or a pair nobody rated, left
        out of the comparison (pairwise-complete; see
        :class:`AISFeatureMapSelector`). ``None``: the fitted estimator's
        ``missing`` (the last step with a fitted ``target_``), or
        ``"raise"`` when it has none, so a selector fitted with
        ``missing="ignore"`` is scored the same way. An image with no rated
        pair in the scored block is allowed (it has nothing to compare), as
        a test block of sparse ratings may hold one.

    See Also
    --------
    AISFeatureMapSelector : The estimator it usually scores.
    sklearn_ais.model_selection.compare_full_vs_retained : Scores Full and
        Retained maps on the same test folds.

    Examples
    --------
    >>> from sklearn.model_selection import KFold, cross_val_score
    >>> from sklearn_ais import AISFeatureMapSelector, RSAScorer
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> X, H, _ = make_alignment_problem(n_images=60, n_maps=30, random_state=0)
    >>> scores = cross_val_score(AISFeatureMapSelector(), X, H,
    ...                          cv=KFold(3, shuffle=True, random_state=0),
    ...                          scoring=RSAScorer())
    >>> scores.shape
    (3,)
    """

    _parameter_constraints = {
        "similarity": [StrOptions(set(SIMILARITIES)), None],
        "comparison": [StrOptions(set(COMPARISONS))],
        "target": [StrOptions(set(TARGETS)), None],
        "missing": [StrOptions(set(MISSING)), None],
    }

    def __init__(
        self, *, similarity=None, comparison="spearman", target=None, missing=None
    ):
        self.similarity = similarity
        self.comparison = comparison
        self.target = target
        self.missing = missing
        # A scorer is not cloned or searched over: refuse bad values at once.
        validate_parameter_constraints(
            self._parameter_constraints,
            {
                "similarity": similarity,
                "comparison": comparison,
                "target": target,
                "missing": missing,
            },
            caller_name=type(self).__name__,
        )

    def __repr__(self):
        return (
            f"RSAScorer(similarity={self.similarity!r}, "
            f"comparison={self.comparison!r}, target={self.target!r}, "
            f"missing={self.missing!r})"
        )

    def settings_for(self, estimator):
        """How ``estimator`` is scored: its similarity and reading of ``y``.

        Parameters
        ----------
        estimator : object
            A fitted estimator or pipeline, or None.

        Returns
        -------
        dict
            ``similarity`` (the first-order similarity), ``target`` (the
            reading of ``y``) and ``missing`` (what its NaN pairs mean): this
            scorer's values, or else those of the last step of ``estimator``
            with a fitted ``target_``, or else ``"cosine"``, ``"auto"`` and
            ``"raise"``. The keywords of
            :func:`~sklearn_ais.metrics.second_order_isomorphism`.
        """
        model_similarity, model_target = model_reading(estimator)
        similarity = self.similarity
        if similarity is None:
            similarity = model_similarity or "cosine"
        elif model_similarity is not None and similarity != model_similarity:
            raise ValueError(
                f"RSAScorer(similarity={similarity!r}) cannot score an estimator "
                f"whose similarity is {model_similarity!r}: the first-order "
                "similarity is part of the model. Leave similarity=None to score "
                "each model with its own."
            )
        target = self.target
        if target is None:
            target = model_target or "auto"
        elif model_target is not None and target not in ("auto", model_target):
            raise ValueError(
                f"RSAScorer(target={target!r}) cannot score an estimator fitted "
                f"with target_={model_target!r}: it would read y the other way. "
                "Leave target=None to read y as the estimator did."
            )
        missing = self.missing
        if missing is None:
            missing = getattr(_reading_step(estimator), "missing", "raise")
        return {"similarity": similarity, "target": target, "missing": missing}

    def score_embeddings(self, embeddings, y):
        """2OI of given embeddings ``(n, d)`` (or feature maps) against ``y``.

        Uses this scorer's own settings (``similarity=None`` means cosine,
        ``target=None`` means ``"auto"``, ``missing=None`` means
        ``"raise"``): there is no estimator to read them from.

        Parameters
        ----------
        embeddings : array-like of shape (n_images, n_dims) or feature maps
            The embeddings.
        y : DataFrame or array-like
            Human similarities of the same images.

        Returns
        -------
        float
            :func:`~sklearn_ais.metrics.second_order_isomorphism` of the
            embeddings with this scorer's settings.
        """
        return second_order_isomorphism(
            y, embeddings, comparison=self.comparison, **self.settings_for(None)
        )

    def score_model(self, estimator, embeddings, y, ids=None):
        """2OI of ``embeddings`` read with ``estimator``'s similarity and target.

        Parameters
        ----------
        estimator : object
            The fitted estimator whose settings apply (see ``settings_for``).
        embeddings : array-like of shape (n_images, n_dims) or feature maps
            The embeddings.
        y : DataFrame or array-like
            Human similarities of the same images.
        ids : pandas.Index or None, default=None
            Item ids of the images, checked against ``y``'s.

        Returns
        -------
        float
            The second-order isomorphism (greater is better).
        """
        return _score_against(
            y,
            embeddings,
            comparison=self.comparison,
            ids=ids,
            fitted_target=model_reading(estimator)[1],
            **self.settings_for(estimator),
        )

    def __call__(self, estimator, X, y):
        """2OI of ``estimator.transform(X)`` against the human similarities ``y``.

        Parameters
        ----------
        estimator : fitted transformer or pipeline
            Anything with ``transform``.
        X : array-like
            The images (or features) to embed.
        y : DataFrame or array-like
            Human similarities of the same images.

        Returns
        -------
        float
            The second-order isomorphism (greater is better).
        """
        ids = item_ids(X)
        return self.score_model(estimator, estimator.transform(X), y, ids=ids)
