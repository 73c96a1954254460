"""Faithfulness with power: cross-fitted per-image responses, paired comparisons.

Each fold splits its training images into two disjoint halves, A and B. The
explainer is fitted on A; a test image's heatmap comes from its judgments
against A only, and its *per-image response* after editing it is its own
2OI against B (its model similarities to B's unedited embeddings against its
human similarities to B), so only the edited image changes and no heatmap
sees the judgments it is scored on. The test x test block 2OI of
:func:`deletion_curves` is kept beside it.
"""

from numbers import Integral
from time import perf_counter

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import HasMethods, Interval, validate_params

from ._faithfulness import CURVES, FILLS, ORACLE, RANDOM, _decoded, edit_image

__all__ = ["ais_heatmaps", "faithfulness_curves"]

# The fewest images a fold's B half and test set may hold: a per-image
# correlation over fewer than 3 pairs, or a block of fewer than 3 pairs, is
# +-1 or undefined.
_MIN_IMAGES = 3


def ais_heatmaps(explainer, images, y_block):
    """Compute AIS heatmaps of new images from their judgments.

    The AIS method in the form :func:`faithfulness_curves` takes:
    ``explainer.explain(images, y_block).heatmaps``.

    Parameters
    ----------
    explainer : AISHeatmapExplainer
        Fitted on the training images.
    images : list of ndarray of shape (height, width, 3)
        The new images, floats in [0, 1].
    y_block : DataFrame of shape (n_new, n_fitted)
        Human similarities of the new images (rows) to the fitted images
        (columns, in the fitted order).

    Returns
    -------
    list of ndarray of shape (height, width)
        One heatmap per image, at its own size.

    See Also
    --------
    faithfulness_curves : Measures how faithful such heatmaps are.

    Examples
    --------
    >>> from sklearn_ais.analysis import ais_heatmaps
    >>> maps = ais_heatmaps(fitted, images, H_block)  # doctest: +SKIP
    """
    return explainer.explain(images, y_block).heatmaps


def _check_rankings(name, rankings, images):
    """The rankings of one method as float arrays, each at its image's size."""
    rankings = list(rankings)
    if len(rankings) != len(images):
        raise ValueError(
            f"Method {name!r} returned {len(rankings)} heatmaps for "
            f"{len(images)} images: one per image."
        )
    out = []
    for i, (ranking, image) in enumerate(zip(rankings, images)):
        ranking = np.asarray(ranking, dtype=np.float64)
        if ranking.shape != image.shape[:2]:
            raise ValueError(
                f"Method {name!r} gave image {i} a heatmap of shape "
                f"{ranking.shape}; the image is {image.shape[:2]} pixels."
            )
        if not np.isfinite(ranking).all():
            raise ValueError(f"Method {name!r} gave image {i} a non-finite heatmap.")
        out.append(ranking)
    return out


def _splits(cv, n_images, rng):
    from sklearn.model_selection import KFold, RepeatedKFold, check_cv

    if cv is None:
        cv = RepeatedKFold(n_splits=4, n_repeats=2, random_state=rng.randint(2**31))
    elif isinstance(cv, Integral):
        cv = KFold(cv, shuffle=True, random_state=rng.randint(2**31))
    return list(check_cv(cv).split(np.arange(n_images)))


class _FoldResponses:
    """Both responses of edited test images, in one fold.

    ``per_image``: each test image's 2OI against the B images (their
    unedited embeddings and its human similarities to them), read as the
    fitted explainer reads ``y``; ``block``: the test x test 2OI.
    """

    def __init__(self, fitted, y, test, half_b, images_b):
        from .._engine.base import CrossComparison
        from .._human import read_cross_judgments

        self.fitted = fitted
        self.y_test = y.iloc[test, test]
        self.reference = self._embed(fitted.featurizer_.transform(images_b))[1]
        human = read_cross_judgments(
            y.iloc[test, half_b],
            len(test),
            target=fitted.target_,
            missing=fitted.missing,
        )
        self.cross = CrossComparison(human, fitted.comparison)

    def _embed(self, maps):
        from .._engine import make_engine
        from .._feature_maps import head_of

        fitted = self.fitted
        array = np.asarray(maps)
        engine = make_engine(
            array,
            head_of(maps),
            fitted.similarity,
            device=fitted.device_,
            chunk_mb=fitted.chunk_mb,
        )
        return engine, engine.embed(np.ones(array.shape[1], dtype=bool))

    def __call__(self, edited_sets):
        """``[(per_image (n_test,), block), ...]``, one per set of edited test
        images; every set featurized in one call."""
        from ..metrics import second_order_isomorphism

        fitted = self.fitted
        n = len(edited_sets[0])
        flat = [image for edited in edited_sets for image in edited]
        maps = fitted.featurizer_.transform(flat)
        out = []
        for start in range(0, len(flat), n):
            # Slices of FeatureMaps keep the head.
            engine, embeddings = self._embed(maps[start : start + n])
            cross = engine.full_cross(self.reference)
            block = second_order_isomorphism(
                self.y_test,
                embeddings,
                similarity=fitted.similarity,
                comparison=fitted.comparison,
                target=fitted.target_,
                missing=fitted.missing,
            )
            out.append((self.cross.score(cross[None])[:, 0], block))
        return out


def _check_percents(percents):
    percents = np.asarray(percents, dtype=np.float64)
    if (
        percents.ndim != 1
        or len(percents) < 2
        or np.any(np.diff(percents) <= 0)
        or percents[0] < 0
        or percents[-1] > 100
    ):
        raise ValueError(
            "percents must be at least 2 increasing percentages in [0, 100]; "
            f"got {percents.tolist()}."
        )
    return percents


def _check_options(name, values, allowed):
    values = [values] if isinstance(values, str) else list(values)
    unknown = [v for v in values if v not in allowed]
    if not values or unknown or len(set(values)) != len(values):
        raise ValueError(
            f"{name} must be distinct values among {list(allowed)}; got {values}."
        )
    return values


def _check_methods(methods):
    if methods is None:
        return {"ais": ais_heatmaps}
    for name, method in methods.items():
        if name in (RANDOM, ORACLE):
            raise ValueError(
                f"The method name {name!r} is reserved: random rankings are "
                "always drawn, and the oracle is given by oracle=."
            )
        if not callable(method):
            raise TypeError(
                f"Method {name!r} must be a callable (explainer, images, y_block) "
                f"-> list of heatmaps; got {type(method).__name__}."
            )
    return dict(methods)


def _random_ranking(image, grid, rng):
    """Uniform random values per pixel, or on a ``grid x grid`` grid upsampled."""
    if grid is None:
        return rng.random_sample(image.shape[:2])
    from .._heatmaps import upsample_heatmap

    coarse = rng.random_sample((grid, grid)).astype(np.float32)
    return np.asarray(upsample_heatmap(coarse, image.shape[:2]), dtype=np.float64)


def _halves(train, rng):
    """Two disjoint halves of the training images, A (heatmaps) and B (scoring)."""
    shuffled = rng.permutation(train)
    n_a = (len(train) + 1) // 2
    return np.sort(shuffled[:n_a]), np.sort(shuffled[n_a:])


@validate_params(
    {
        "explainer": [HasMethods(["fit", "explain"])],
        "images": ["array-like"],
        "y": [pd.DataFrame],
        "methods": [dict, None],
        "oracle": ["array-like", None],
        "percents": ["array-like"],
        "fills": [str, list, tuple],
        "curves": [str, list, tuple],
        "cv": ["cv_object", None],
        "random_grid": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=False,
)
def faithfulness_curves(
    explainer,
    images,
    y,
    *,
    methods=None,
    oracle=None,
    percents=(0, 10, 20, 40, 60, 80, 90),
    fills=("blur",),
    curves=CURVES,
    cv=None,
    random_grid=None,
    random_state=0,
    verbose=0,
):
    """Measure heatmaps' faithfulness: cross-fitted deletion and keep curves.

    In each fold (repeated K-fold over images by default) the training images
    are split at random into two disjoint halves, A and B. The explainer is
    fitted on A (images and ``y[A, A]``); each method ranks the pixels of
    every test image ``t`` from ``y[t, A]`` at most (it never sees
    ``y[t, B]`` nor any pair of test images). The top ``k`` % of pixels of
    each test image are then deleted (or all but them, ``"keep"``), filled,
    the images featurized again, and two responses measured:

    - ``"per_image"``: the 2OI of image ``t`` alone, its model similarities
      to the B images' unedited embeddings against its human similarities
      ``y[t, B]`` (the explainer's ``similarity`` and ``comparison``), so
      only the edited image changes;
    - ``"block"``: the test x test 2OI of the edited test images, as in
      :func:`deletion_curves`.

    A faithful heatmap makes the response fall fast under deletion and
    stay high under keep. Random rankings (method ``"random"``) are always
    drawn; an ``oracle`` ranking (for example the mask of the object the
    judgments depend on) is a positive control.

    Parameters
    ----------
    explainer : AISHeatmapExplainer
        Unfitted, with a featurizer (not ``"passthrough"``); cloned in each
        fold and fitted on the A half.
    images : collection of images
        The images, indexable by position, in the order of ``y``.
    y : DataFrame of shape (n_images, n_images)
        Human similarities labelled by item ids.
    methods : dict of str to callable, default=None
        Heatmap methods ``method(fitted_explainer, images, y_block) -> list
        of 2-D arrays`` (one per image, at its pixel size, higher = more
        important); ``images`` are the test images as ``(H, W, 3)`` floats in
        [0, 1], ``y_block`` their similarities to the fitted images (rows
        test, columns A). None: ``{"ais": ais_heatmaps}``. The names
        ``"random"`` and ``"oracle"`` are reserved.
    oracle : sequence of array-like of shape (H, W), default=None
        A fixed ranking of every image's pixels (in the order of ``images``),
        scored as method ``"oracle"``.
    percents : array-like of float, default=(0, 10, 20, 40, 60, 80, 90)
        Increasing percentages of pixels deleted (or kept): exactly
        ``round(k / 100 * n_pixels)`` pixels of each image, ties broken at
        random.
    fills : str or list of {"mean", "blur", "road"}, default=("blur",)
        How deleted pixels are filled; see :func:`deletion_curves`. The blur
        gave AIS the most power against random deletion in the study of the
        user guide (ROAD for keep curves, blur a close second).
    curves : str or list of {"deletion", "keep"}, default=("deletion", "keep")
        Delete the top pixels, or keep only them.
    cv : int, cross-validation generator or iterable, default=None
        Splits of the images. None: ``RepeatedKFold(n_splits=4,
        n_repeats=2)``; an int: ``KFold`` with shuffling. Every test set and
        every B half needs at least 3 images.
    random_grid : int, default=None
        Draw the random rankings on a ``random_grid x random_grid`` grid,
        upsampled bilinearly to each image (random blobs as smooth as a
        heatmap at that map resolution), instead of one value per pixel
        (None). Deleting scattered single pixels shreds the whole image, a
        change unlike deleting the regions a heatmap picks.
    random_state : int, RandomState instance or None, default=0
        Seed of the folds, the halves, the random rankings, the tie breaks
        and the ROAD noise.
    verbose : int, default=0
        Print each fold's time when non-zero.

    Returns
    -------
    pandas.DataFrame
        One row per fold, method, fill, curve, percentage, response and
        image: columns ``fold``, ``image`` (position in ``images``; -1 for
        the block response), ``method``, ``fill``, ``curve``, ``percent``,
        ``response``, ``score``, and the fold's ``n_train`` (A and B) and
        ``n_test``, for :func:`compare_faithfulness`.

    See Also
    --------
    compare_faithfulness : Paired comparisons of the methods' areas.
    deletion_curves : The block response alone.

    Examples
    --------
    >>> from sklearn_ais import AISHeatmapExplainer  # doctest: +SKIP
    >>> curves = faithfulness_curves(AISHeatmapExplainer(), images, H)  # doctest: +SKIP
    >>> compare_faithfulness(curves)  # doctest: +SKIP
    """
    from sklearn.base import clone
    from sklearn.utils import check_random_state

    from .._images import check_images

    percents = _check_percents(percents)
    fills = _check_options("fills", fills, FILLS)
    curves = _check_options("curves", curves, CURVES)
    methods = _check_methods(methods)
    items = check_images(images)
    n_images = len(items)
    if y.shape != (n_images, n_images):
        raise ValueError(
            f"y must be a square DataFrame with one row and column per image; "
            f"got shape {y.shape} for {n_images} images."
        )
    rng = check_random_state(random_state)
    decoded = _decoded(items, range(n_images))
    if oracle is not None:
        oracle = _check_rankings(ORACLE, oracle, decoded)
    splits = _splits(cv, n_images, rng)
    rows = []
    for fold, (train, test) in enumerate(splits):
        start = perf_counter()
        half_a, half_b = _halves(np.asarray(train), rng)
        if min(len(test), len(half_b)) < _MIN_IMAGES:
            raise ValueError(
                f"Fold {fold} has {len(test)} test images and {len(half_b)} in "
                f"the B half of its training images; each needs at least "
                f"{_MIN_IMAGES}. Use fewer folds or more images."
            )
        fitted = clone(explainer).fit(
            [decoded[i] for i in half_a], y.iloc[half_a, half_a]
        )
        test_images = [decoded[i] for i in test]
        block = y.iloc[test, half_a]
        rankings, timings = {}, []
        for name, method in methods.items():
            began = perf_counter()
            found = method(fitted, test_images, block)
            rankings[name] = _check_rankings(name, found, test_images)
            timings.append(f"{name} {perf_counter() - began:.1f} s")
        rankings[RANDOM] = [_random_ranking(im, random_grid, rng) for im in test_images]
        if oracle is not None:
            rankings[ORACLE] = [oracle[i] for i in test]
        respond = _FoldResponses(fitted, y, test, half_b, [decoded[i] for i in half_b])
        fold_rows = _fold_rows(
            respond, test_images, rankings, percents, fills, curves, rng
        )
        sizes = (len(half_a) + len(half_b), len(test))
        for method, fill, curve, percent, per_image, whole in fold_rows:
            rows.extend(
                (fold, int(i), method, fill, curve, percent, "per_image", s, *sizes)
                for i, s in zip(test, per_image)
            )
            rows.append(
                (fold, -1, method, fill, curve, percent, "block", whole, *sizes)
            )
        if verbose:
            print(
                f"faithfulness_curves: fold {fold + 1}/{len(splits)} in "
                f"{perf_counter() - start:.1f} s (heatmaps: "
                f"{', '.join(timings) or 'none'})",
                flush=True,
            )
    columns = ["fold", "image", "method", "fill", "curve", "percent", "response"]
    return pd.DataFrame(rows, columns=[*columns, "score", "n_train", "n_test"])


def _fold_rows(respond, images, rankings, percents, fills, curves, rng):
    """``(method, fill, curve, percent, per_image, block)`` of one fold.

    Edits that do not depend on the ranking (nothing or everything
    replaced) are featurized once and shared by every method.
    """
    original = respond([images])[0]
    rows = []
    for fill in fills:
        everything = None
        for method, ranking in rankings.items():
            for curve in curves:
                keep = curve == "keep"
                edited, where = [], []
                for percent in percents:
                    replaced = (100 - percent) if keep else percent
                    if replaced == 0 or replaced == 100 and everything is not None:
                        continue
                    edited.append(
                        [
                            edit_image(
                                image, rank, percent, fill=fill, keep=keep, rng=rng
                            )
                            for image, rank in zip(images, ranking)
                        ]
                    )
                    where.append(percent)
                found = dict(zip(where, respond(edited) if edited else []))
                for percent in percents:
                    replaced = (100 - percent) if keep else percent
                    if replaced == 0:
                        found[percent] = original
                    elif replaced == 100:
                        if everything is None:
                            everything = found[percent]
                        found[percent] = everything
                    rows.append((method, fill, curve, float(percent), *found[percent]))
    return rows
