"""Several architectures x several data sets x folds, in one call (Aim 4)."""

from numbers import Integral

import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import HasMethods, validate_params

from ..selection import AISFeatureMapSelector
from ._cv import default_cv, run_cv
from ._pairs import refuse_pair_split

COLUMNS = [
    "architecture",
    "dataset",
    "fold",
    "full",
    "retained",
    "n_retained",
    "n_maps",
    "n_train",
    "n_test",
]


def _featurize(featurizer, X):
    if isinstance(featurizer, str):
        return X
    return clone(featurizer).fit_transform(X)


def _fold_scores(selector, maps, y, split, scoring):
    scores, *_ = run_cv(selector, maps, y, cv=[split], scoring=scoring, n_jobs=1)
    row = {name: float(values[0]) for name, values in scores.items()}
    # The fold's sizes, for the corrected test and error bars.
    row["n_train"], row["n_test"] = len(split[0]), len(split[1])
    return row


def _check_named(what, mapping):
    if not isinstance(mapping, dict) or not mapping:
        raise ValueError(
            f"{what} must be a non-empty dict of name to "
            f"{'featurizer' if what == 'featurizers' else '(X, y)'}; "
            f"got {type(mapping).__name__}."
        )
    if what == "datasets":
        for name, value in mapping.items():
            if not isinstance(value, tuple) or len(value) != 2:
                raise ValueError(
                    f"datasets[{name!r}] must be a tuple (X, y): the images (or "
                    "features) and their human similarity matrix."
                )
    else:
        for name, value in mapping.items():
            if value != "passthrough" and not hasattr(value, "fit_transform"):
                raise ValueError(
                    f"featurizers[{name!r}] must be a featurizer or "
                    f"'passthrough'; got {type(value).__name__}."
                )


@validate_params(
    {
        "featurizers": [dict],
        "datasets": [dict],
        "selector": [HasMethods(["fit", "transform"]), None],
        "cv": ["cv_object"],
        "scoring": [callable, None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=False,
)
def compare_architectures(
    featurizers,
    datasets,
    *,
    selector=None,
    cv=None,
    scoring=None,
    n_jobs=None,
    verbose=0,
):
    """Full vs Retained for every architecture on every data set, fold by fold.

    Each featurizer maps each data set's images once (a featurizer learns
    nothing from images, so this leaks nothing); then every fold of every
    (architecture, data set) is one task: the selector is fitted on the
    training images' maps and the train x train block, Full and Retained are
    scored on the test x test block, as :func:`compare_full_vs_retained`
    does. Both stages are joblib loops over independent tasks, so a cluster
    takes them with a joblib backend, for example ``dask.distributed``::

        from dask.distributed import Client
        from joblib import parallel_config

        client = Client("tcp://scheduler:8786")  # or Client() for a local one
        with parallel_config(backend="dask"):
            table = compare_architectures(featurizers, datasets, n_jobs=-1)

    or Ray's (``ray.util.joblib.register_ray()``, then
    ``parallel_config(backend="ray")``). The table is the same as with the
    default backend.

    Parameters
    ----------
    featurizers : dict of str to featurizer or "passthrough"
        The architectures, by name (for example
        ``{"lite0": EfficientNetLiteFeaturizer(variant="lite0")}``).
        ``"passthrough"``: the data sets' ``X`` are already features.
    datasets : dict of str to (X, y)
        The data sets, by name: images and their human similarity matrix (a
        DataFrame labelled by item ids; NaN for unrated pairs where
        ``selector`` has ``missing="ignore"``).
    selector : AISFeatureMapSelector or None, default=None
        The selector fitted in every fold (cloned); ``None`` is
        ``AISFeatureMapSelector()``.
    cv : int, cross-validation generator or iterable, default=None
        Splits of the images of each data set (not a
        :class:`PairShuffleSplit`); ``None`` means
        ``RepeatedKFold(n_splits=5, n_repeats=8, random_state=0)``. Every
        architecture gets the same folds of a data set.
    scoring : RSAScorer, default=None
        How test sets are scored; ``None`` uses the selector's comparison.
    n_jobs : int, default=None
        Tasks run in parallel (joblib).
    verbose : int, default=0
        Verbosity of the joblib loops.

    Returns
    -------
    pandas.DataFrame
        A row per (architecture, data set, fold): ``architecture``,
        ``dataset``, ``fold``, ``full``, ``retained`` (test 2OI),
        ``n_retained``, ``n_maps``, and ``n_train`` and ``n_test`` (the
        fold's numbers of images, for the corrected test over folds).

    See Also
    --------
    sklearn_ais.plotting.ArchitectureComparisonDisplay : Draws the table.
    compare_full_vs_retained : One architecture on one data set.

    Examples
    --------
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> from sklearn_ais.model_selection import compare_architectures
    >>> X, H, _ = make_alignment_problem(40, 30, 4, random_state=0)
    >>> X2, H2, _ = make_alignment_problem(40, 30, 4, random_state=1)
    >>> table = compare_architectures(
    ...     {"features": "passthrough"}, {"a": (X, H), "b": (X2, H2)}, cv=3)
    >>> table.groupby("dataset").size().tolist()
    [3, 3]
    """
    refuse_pair_split(cv, "compare_architectures")
    _check_named("featurizers", featurizers)
    _check_named("datasets", datasets)
    selector = AISFeatureMapSelector() if selector is None else selector
    if not isinstance(selector, AISFeatureMapSelector):
        raise TypeError(
            "selector must be an AISFeatureMapSelector; the featurizers come "
            f"from featurizers=. Got {type(selector).__name__}."
        )
    parallel = Parallel(n_jobs=n_jobs, verbose=verbose)
    cells = [(a, d) for a in featurizers for d in datasets]
    maps = parallel(
        delayed(_featurize)(featurizers[a], datasets[d][0]) for a, d in cells
    )
    splits = {
        d: list(check_cv(default_cv(cv)).split(X)) for d, (X, _) in datasets.items()
    }
    tasks = [
        (a, d, fold, values, split)
        for (a, d), values in zip(cells, maps)
        for fold, split in enumerate(splits[d])
    ]
    rows = parallel(
        delayed(_fold_scores)(selector, values, datasets[d][1], split, scoring)
        for a, d, fold, values, split in tasks
    )
    frame = pd.DataFrame(
        [
            {"architecture": a, "dataset": d, "fold": fold, **row}
            for (a, d, fold, _, _), row in zip(tasks, rows)
        ]
    )
    counts = ["n_retained", "n_maps", "n_train", "n_test"]
    frame[counts] = frame[counts].astype(int)
    return frame[COLUMNS]
