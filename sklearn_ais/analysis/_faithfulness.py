"""Faithfulness of heatmaps in human-alignment units: deletion and keep curves.

Pixels of test images are replaced in the order a heatmap ranks them, the
images featurized again, and the test x test second-order isomorphism
measured (cross-fitted: the heatmaps never see those pairs); the areas
under the curves of :func:`faithfulness_curves` (``_faithfulness_study``)
compared between methods with paired intervals.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)

__all__ = ["compare_faithfulness", "deletion_auc", "deletion_curves"]

FILLS = ("mean", "blur", "road")
CURVES = ("deletion", "keep")
RESPONSES = ("per_image", "block")
RANDOM, ORACLE = "random", "oracle"
# ROAD's noisy linear imputation (Rong et al., 2022): a deleted pixel is the
# weighted mean of its 8 neighbours (edge neighbours 1/6, corners 1/12),
# solved jointly for all deleted pixels, plus Gaussian noise of this scale.
_ROAD_NOISE = 0.01
_NEIGHBOURS = [
    (-1, 0, 1 / 6), (1, 0, 1 / 6), (0, -1, 1 / 6), (0, 1, 1 / 6),
    (-1, -1, 1 / 12), (-1, 1, 1 / 12), (1, -1, 1 / 12), (1, 1, 1 / 12),
]  # fmt: skip


def _decoded(items, indices):
    """The checked images ``items[indices]`` as ``(H, W, 3)`` floats in [0, 1]."""
    from .._images import decode_image

    out = []
    for i in indices:
        pixels = decode_image(items[i], int(i)).numpy()
        if pixels.dtype == np.uint8:
            pixels = pixels / 255.0
        out.append(np.moveaxis(pixels.astype(np.float32), 0, -1))
    return out


def top_pixels(ranking, percent, rng):
    """Mask of exactly ``round(percent % of the pixels)`` ranked highest.

    Ties (flat or zero regions of a heatmap) are broken at random, so every
    method deletes the same number of pixels.
    """
    ranking = np.asarray(ranking, dtype=np.float64)
    n_top = int(round(percent / 100 * ranking.size))
    order = np.lexsort((rng.random_sample(ranking.size), -ranking.ravel()))
    mask = np.zeros(ranking.size, dtype=bool)
    mask[order[:n_top]] = True
    return mask.reshape(ranking.shape)


def _road_fill(image, replace, rng):
    """ROAD's noisy linear imputation of the ``replace`` pixels.

    With no pixel left to impute from, the image's mean colour plus the noise.
    """
    if replace.all():
        mean = np.broadcast_to(image.mean(axis=(0, 1)), image.shape)[replace]
        return np.clip(mean + rng.normal(scale=_ROAD_NOISE, size=mean.shape), 0, 1)
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    height, width = replace.shape
    unknown = np.flatnonzero(replace)
    index = np.full(replace.size, -1)
    index[unknown] = np.arange(len(unknown))
    rows, cols = np.divmod(unknown, width)
    flat = image.reshape(-1, image.shape[-1]).astype(np.float64)
    entries_r, entries_c, values = [], [], []
    rhs = np.zeros((len(unknown), image.shape[-1]))
    total = np.zeros(len(unknown))
    for dr, dc, weight in _NEIGHBOURS:
        r, c = rows + dr, cols + dc
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        neighbour = r[inside] * width + c[inside]
        total[inside] += weight
        known = index[neighbour] < 0
        rhs[np.flatnonzero(inside)[known]] += weight * flat[neighbour[known]]
        entries_r.append(np.flatnonzero(inside)[~known])
        entries_c.append(index[neighbour[~known]])
        values.append(np.full((~known).sum(), -weight))
    # Each row: total * x_p - sum of unknown neighbours = sum of known ones.
    system = sparse.csr_matrix(
        (
            np.concatenate([total, *values]),
            (
                np.concatenate([np.arange(len(unknown)), *entries_r]),
                np.concatenate([np.arange(len(unknown)), *entries_c]),
            ),
        ),
        shape=(len(unknown), len(unknown)),
    )
    solved = spsolve(system.tocsc(), rhs).reshape(len(unknown), -1)
    solved += rng.normal(scale=_ROAD_NOISE, size=solved.shape)
    return np.clip(solved, 0.0, 1.0)


def _fill_values(image, replace, fill, rng):
    """New values of the ``replace`` pixels of ``image`` (H, W, 3) in [0, 1]."""
    if fill == "mean":
        return np.broadcast_to(image.mean(axis=(0, 1)), image.shape)[replace]
    if fill == "road":
        return _road_fill(image, replace, rng)
    from PIL import Image, ImageFilter

    radius = max(image.shape[:2]) / 10
    as_uint8 = Image.fromarray(np.round(image * 255).astype(np.uint8))
    blurred = as_uint8.filter(ImageFilter.GaussianBlur(radius))
    return (np.asarray(blurred, dtype=np.float32) / 255.0)[replace]


def edit_image(image, ranking, percent, *, fill, keep, rng):
    """Delete (or keep only) the ``percent`` % of pixels ranked highest."""
    top = top_pixels(ranking, percent, rng)
    replace = ~top if keep else top
    if not replace.any():
        return image
    out = image.copy()
    out[replace] = _fill_values(image, replace, fill, rng)
    return out


@validate_params(
    {
        "explainer": [HasMethods(["fit", "explain", "heatmaps"])],
        "images": ["array-like"],
        "y": ["array-like"],
        "percents": ["array-like"],
        "cv": ["cv_object"],
        "saliency": [callable, None],
        "heatmaps": [StrOptions({"per_image", "dataset"})],
        "fill": [StrOptions(set(FILLS))],
        "keep": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=False,
)
def deletion_curves(
    explainer,
    images,
    y,
    *,
    percents=(0, 5, 10, 20, 40),
    cv=5,
    saliency=None,
    heatmaps="per_image",
    fill="mean",
    keep=False,
    random_state=0,
):
    """Faithfulness in human-alignment units: the 2OI as pixels are deleted.

    Cross-fitted, so heatmaps never see the pairs they are judged on: in each
    fold the explainer is fitted on the training images and the train x train
    block of ``y``; the test images' heatmaps come from their judgments
    against the training images (``heatmaps="per_image"``: the test x train
    block of ``y``, through ``explain``) or from the dataset AIS alone
    (``"dataset"``: ``heatmaps``, no judgment of the test images);
    the top ``k`` % of each test
    image's pixels by heatmap are replaced (``fill``), the images featurized
    again by the fitted featurizer, and the test x test 2OI of the full model
    (every map) is measured. A faithful heatmap makes it fall fast. The same
    is done with pixels ranked by ``saliency`` and at random (seeded). With
    ``keep=True`` only the top ``k`` % are kept (the rest replaced): then a
    faithful heatmap keeps the 2OI high.

    Parameters
    ----------
    explainer : AISHeatmapExplainer
        Unfitted; cloned in each fold (with a featurizer, not passthrough).
    images : collection of images
        The images, indexable by position.
    y : DataFrame of shape (n_images, n_images)
        Human similarities labelled by item ids, in the images' order.
    percents : array-like of float, default=(0, 5, 10, 20, 40)
        Percentages of pixels deleted (or kept): exactly ``round(k / 100 *
        n_pixels)`` pixels of each image, ties in a ranking (flat or zero
        regions) broken at random, so every method edits as many pixels.
    cv : int or cross-validation generator, default=5
        Splits of the images (``KFold`` with shuffling for an int).
    saliency : callable or None, default=None
        ``saliency(images) -> list of (H, W) maps`` for a saliency baseline,
        for example :func:`spectral_residual_saliency`.
    heatmaps : {"per_image", "dataset"}, default="per_image"
        Per-image heatmaps of the test images from their human similarities
        to the training images, or the training set's dataset AIS applied to
        every test image (which cannot tell apart two objects that activate
        the same maps).
    fill : {"mean", "blur", "road"}, default="mean"
        Deleted pixels become the image's mean colour, a Gaussian blur of
        the image (radius a tenth of its size), or ROAD's noisy linear
        imputation (Rong et al., 2022: each deleted pixel the weighted mean
        of its 8 neighbours, edges 1/6 and corners 1/12, solved for all
        deleted pixels at once, plus Gaussian noise of standard deviation
        0.01), which leaves less of the deleted region's outline for the
        network to see.
    keep : bool, default=False
        Keep the top pixels instead of deleting them.
    random_state : int, RandomState instance or None, default=0
        Seed of the folds, the random pixel rankings, the tie breaks and
        the ROAD noise.

    Returns
    -------
    pandas.DataFrame
        One row per fold, method (``"ais"``, ``"saliency"``, ``"random"``)
        and percentage, with the test 2OI in ``score``.

    See Also
    --------
    deletion_auc : The area under each curve.

    Examples
    --------
    >>> from sklearn_ais import AISHeatmapExplainer  # doctest: +SKIP
    >>> curves = deletion_curves(AISHeatmapExplainer(), images, H)  # doctest: +SKIP
    """
    from sklearn.base import clone
    from sklearn.model_selection import KFold, check_cv
    from sklearn.utils import check_random_state

    from ..metrics import second_order_isomorphism

    if not isinstance(y, pd.DataFrame):
        raise ValueError(
            "deletion_curves needs y as a DataFrame labelled by item ids (each "
            "fold takes its own block)."
        )
    rng = check_random_state(random_state)
    if isinstance(cv, Integral):
        cv = KFold(cv, shuffle=True, random_state=rng.randint(2**31))
    splits = list(check_cv(cv).split(np.arange(len(y))))
    from .._images import check_images

    items = check_images(images)
    rows = []
    for fold, (train, test) in enumerate(splits):
        fitted = clone(explainer).fit([items[i] for i in train], y.iloc[train])
        test_images = _decoded(items, test)
        if heatmaps == "per_image":
            block = y.iloc[test, train]
            rankings = {"ais": fitted.explain(test_images, block).heatmaps}
        else:
            rankings = {"ais": fitted.heatmaps(test_images)}
        if saliency is not None:
            rankings["saliency"] = saliency(test_images)
        rankings["random"] = [rng.random_sample(im.shape[:2]) for im in test_images]
        shared = {}  # 0 % and 100 % edit every image the same way for any ranking
        for method, ranking in rankings.items():
            for percent in percents:
                if percent in shared:
                    score = shared[percent]
                else:
                    edited = [
                        edit_image(image, rank, percent, fill=fill, keep=keep, rng=rng)
                        for image, rank in zip(test_images, ranking)
                    ]
                    # The test block, read as the fitted explainer reads y.
                    score = second_order_isomorphism(
                        y.iloc[test],
                        fitted.featurizer_.transform(edited),
                        similarity=fitted.similarity,
                        comparison=fitted.comparison,
                        target=fitted.target_,
                        missing=fitted.missing,
                    )
                    if percent in (0, 100):
                        shared[percent] = score
                rows.append((fold, method, float(percent), score))
    return pd.DataFrame(rows, columns=["fold", "method", "percent", "score"])


def curve_area(percents, scores):
    """Trapezoid area of a curve over sorted ``percents``, divided by their range.

    The mean score along the curve; several curves at once when ``scores``
    has more than one dimension (the percentages on its last axis).
    """
    x, s = np.asarray(percents, dtype=np.float64), np.asarray(scores, dtype=float)
    return np.sum((s[..., 1:] + s[..., :-1]) / 2 * np.diff(x), axis=-1) / (x[-1] - x[0])


@validate_params({"curves": [pd.DataFrame]}, prefer_skip_nested_validation=True)
def deletion_auc(curves):
    """Area under each deletion (or keep) curve, per fold and method.

    Trapezoids over the percentages, divided by their range, so the area is
    the mean 2OI along the curve (lower after deletion = more faithful).

    Parameters
    ----------
    curves : pandas.DataFrame
        The output of :func:`deletion_curves`.

    Returns
    -------
    pandas.DataFrame
        Rows folds, columns methods.

    See Also
    --------
    deletion_curves : The curves.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ais.analysis import deletion_auc
    >>> curves = pd.DataFrame({"fold": 0, "method": "ais",
    ...                        "percent": [0.0, 50.0], "score": [0.4, 0.2]})
    >>> round(float(deletion_auc(curves).loc[0, "ais"]), 6)
    0.3
    """

    def area(group):
        group = group.sort_values("percent")
        return curve_area(group["percent"].to_numpy(), group["score"].to_numpy())

    return (
        curves.groupby(["fold", "method"]).apply(area, include_groups=False).unstack()
    )


_CURVE_COLUMNS = ("fold", "image", "method", "fill", "curve", "percent", "response")


def _areas(group):
    """Area of every curve of one (response, fill, curve) group.

    A Series indexed by ``(fold, image, method)``; NaN where a score is.
    """
    wide = group.pivot_table(
        index=["fold", "image", "method"],
        columns="percent",
        values="score",
        dropna=False,
        aggfunc="first",
    ).sort_index(axis=1)
    return pd.Series(curve_area(wide.columns, wide.to_numpy()), index=wide.index)


def _bootstrap(difference, n_bootstrap, confidence, rng):
    """Percentile interval and two-sided p of the mean of paired differences."""
    n = len(difference)
    draws = rng.randint(n, size=(n_bootstrap, n))
    means = difference[draws].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    # Twice the smaller share of resampled means on either side of zero.
    below = (np.sum(means <= 0) + 1) / (n_bootstrap + 1)
    above = (np.sum(means >= 0) + 1) / (n_bootstrap + 1)
    return float(low), float(high), float(min(1.0, 2 * min(below, above)))


def _corrected(first, second, n_train, n_test, confidence):
    """Corrected repeated k-fold interval and p of ``second - first``."""
    from scipy import stats

    from .._statistics import corrected_ttest, variance_factor

    test = corrected_ttest(first, second, n_train=n_train, n_test=n_test)
    difference = second - first
    scale = np.sqrt(
        variance_factor(len(difference), n_train, n_test) * difference.var(ddof=1)
    )
    half = stats.t.ppf(0.5 + confidence / 2, len(difference) - 1) * scale
    return (
        float(test.mean_difference - half),
        float(test.mean_difference + half),
        (test.pvalue),
    )


@validate_params(
    {
        "curves": [pd.DataFrame],
        "methods": [str, list, tuple, None],
        "baselines": [list, tuple, None],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "n_bootstrap": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def compare_faithfulness(
    curves,
    *,
    methods=None,
    baselines=None,
    confidence=0.95,
    n_bootstrap=2000,
    random_state=0,
):
    """Compare heatmap methods' faithfulness with paired intervals.

    For each response, fill and curve of :func:`faithfulness_curves`, the
    area under each curve (trapezoids divided by the range of percentages,
    as :func:`deletion_auc`) is compared between each method and two
    baselines: random rankings, and the best of the other baselines (the
    most faithful mean area in that group; choosing it on the same data
    favours the baseline, so that comparison is conservative for the
    method). The difference is signed so that
    a positive value means the method is more faithful: ``baseline - method``
    for deletion (lower is more faithful), ``method - baseline`` for keep.

    - Per-image response: each image's area averaged over the folds where it
      was tested, the differences paired by image, and a bootstrap over
      images (percentile interval; p twice the smaller share of resampled
      means on either side of zero).
    - Block response: the per-fold areas paired by fold, with the corrected
      repeated k-fold t-test (Nadeau & Bengio 2003, with the folds' mean
      sizes) and its t interval.

    Parameters
    ----------
    curves : pandas.DataFrame
        The output of :func:`faithfulness_curves`.
    methods : str or list of str, default=None
        The methods compared. None: every method but ``"random"``.
    baselines : list of str, default=None
        The baselines among which the best is chosen. None: every method
        but the compared one and ``"oracle"``.
    confidence : float, default=0.95
        Confidence level of the intervals.
    n_bootstrap : int, default=2000
        Bootstrap resamples of the images.
    random_state : int, RandomState instance or None, default=0
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        One row per response, fill, curve, method and baseline role
        (``"random"`` or ``"best"``): ``auc`` and ``baseline_auc`` (mean
        areas), ``baseline`` (its name), ``difference`` (positive: the
        method more faithful), ``ci_low``, ``ci_high``, ``p``, ``n`` (images
        or folds) and ``test``.

    See Also
    --------
    faithfulness_curves : The curves.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_ais.analysis import compare_faithfulness
    >>> rng = np.random.default_rng(0)
    >>> rows = [(0, i, m, "mean", "deletion", p, "per_image",
    ...          (0.5 - p / 200) * (0.5 if m == "ais" else 1) + 0.01 * rng.normal(),
    ...          20, 10)
    ...         for i in range(10) for m in ("ais", "random") for p in (0.0, 50.0)]
    >>> curves = pd.DataFrame(rows, columns=["fold", "image", "method", "fill",
    ...     "curve", "percent", "response", "score", "n_train", "n_test"])
    >>> table = compare_faithfulness(curves, n_bootstrap=200)
    >>> bool(table.loc[0, "ci_low"] > 0)
    True
    """
    from sklearn.utils import check_random_state

    missing = [c for c in (*_CURVE_COLUMNS, "score") if c not in curves.columns]
    if missing:
        raise ValueError(
            f"curves lacks the columns {missing}: pass the output of "
            "faithfulness_curves."
        )
    present = list(dict.fromkeys(curves["method"]))
    if RANDOM not in present:
        raise ValueError("curves has no 'random' method to compare with.")
    if methods is None:
        methods = [m for m in present if m != RANDOM]
    methods = [methods] if isinstance(methods, str) else list(methods)
    unknown = [m for m in [*methods, *(baselines or [])] if m not in present]
    if unknown:
        raise ValueError(f"Unknown methods {unknown}; curves has {present}.")
    rng = check_random_state(random_state)
    rows = []
    for (response, fill, curve), group in curves.groupby(
        ["response", "fill", "curve"], sort=False
    ):
        if response not in RESPONSES or curve not in CURVES:
            raise ValueError(f"Unknown response {response!r} or curve {curve!r}.")
        areas = _areas(group)
        if response == "per_image":
            # One area per image: the mean over the folds that tested it.
            units = areas.groupby(level=["image", "method"]).mean().unstack()
        else:
            units = areas.groupby(level=["fold", "method"]).mean().unstack()
        sign = -1.0 if curve == "deletion" else 1.0
        sizes = group.groupby("fold")[["n_train", "n_test"]].first().mean()
        for method in methods:
            pool = baselines or [m for m in present if m not in (method, ORACLE)]
            pool = [m for m in pool if m != method]
            best = max(pool, key=lambda m: sign * units[m].mean())
            for role, baseline in (("random", RANDOM), ("best", best)):
                if baseline == method:
                    continue
                paired = units[[method, baseline]].dropna()
                first = sign * paired[baseline].to_numpy()
                second = sign * paired[method].to_numpy()
                if len(paired) < 2:
                    low = high = p = np.nan
                elif response == "per_image":
                    low, high, p = _bootstrap(
                        second - first, n_bootstrap, confidence, rng
                    )
                else:
                    low, high, p = _corrected(
                        first, second, sizes["n_train"], sizes["n_test"], confidence
                    )
                rows.append(
                    (response, fill, curve, method, paired[method].mean(), role,
                     baseline, paired[baseline].mean(), float(np.mean(second - first)),
                     low, high, p, len(paired),
                     "image bootstrap" if response == "per_image" else "corrected t")
                )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=[
            "response", "fill", "curve", "method", "auc", "role", "baseline",
            "baseline_auc", "difference", "ci_low", "ci_high", "p", "n", "test",
        ],
    )  # fmt: skip
