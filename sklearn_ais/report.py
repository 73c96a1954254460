"""A report folder of one study: ``index.html``, figures, tables, manifest.

:func:`write_report` lays out what the study computed: each figure is drawn
by its Display (:mod:`sklearn_ais.plotting`), each table comes from the
results' own frames, and ``index.html`` shows them by relative path (inline
style, no script, no network), so the folder can be moved or zipped and
opened anywhere. Figures are drawn on :class:`matplotlib.figure.Figure`
objects, never through ``pyplot``, so writing a report neither needs nor
changes a backend.
"""

import json
import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import HasMethods, Interval, validate_params

from . import __version__
from ._files import file_sha256, writes_report_folder
from ._report_page import _html
from ._report_results import (
    BOOTSTRAP_COLUMNS,
    _bootstrap_results,
    _ceiling_results,
    _controls_results,
    _results,
    _stability,
    _subjects_results,
)
from .model_selection import FullVsRetained, NoiseCeiling, SelectionControls

__all__ = ["write_report"]

# Heatmaps drawn in the gallery by default, spread over the images.
GALLERY_SIZE = 16
# Ids of the images shown in an error that names a few valid ones.
SHOWN_IDS = 5
# The figures' pixels on the page; each is also saved as SVG for papers.
PNG_DPI = 110
NO_CEILING = "no per-subject matrices were given"
PACKAGES = (
    "sklearn_ais",
    "numpy",
    "scipy",
    "scikit-learn",
    "pandas",
    "torch",
    "torchvision",
    "matplotlib",
)


def _version(package):
    if package == "sklearn_ais":
        return __version__
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _json_ready(value):
    """Plain JSON values (numpy scalars and arrays, paths, NaN as null)."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_ready(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _write_json(path, content):
    path.write_text(json.dumps(_json_ready(content), indent=2, allow_nan=False) + "\n")


def _figure(**kwargs):
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **kwargs)


def _save(figure, folder, name):
    """``name``.png for the page and ``name``.svg (vector) beside it."""
    figure.savefig(folder / f"{name}.png", dpi=PNG_DPI)
    # No date in the SVG: the same study gives the same file.
    figure.savefig(folder / f"{name}.svg", metadata={"Date": None})


def _single_figure(figsize, draw):
    """A figure of one axes, on which ``draw(ax)`` draws a Display."""
    figure = _figure(figsize=figsize)
    draw(figure.add_subplot())
    return figure


def _figures(selector, result, explainer, images, controls, ceiling, gallery):
    """The report's figures by name, each drawn by its Display.

    ``gallery`` is ``(positions, outlines)`` of the heatmap gallery's images
    (see :func:`_gallery`), or None for no gallery.
    """
    from ._plotting.common import _grid
    from .plotting import (
        AISDistributionDisplay,
        FullVsRetainedDisplay,
        HeatmapDisplay,
        SelectionControlsDisplay,
        SelectionPathDisplay,
    )

    figures = {
        "full_vs_retained": _single_figure(
            (4.2, 4.0),
            lambda ax: FullVsRetainedDisplay.from_cv_results(
                result, ceiling=ceiling, ax=ax
            ),
        ),
        "selection_path": _single_figure(
            (5.5, 3.8), lambda ax: SelectionPathDisplay.from_estimator(selector, ax=ax)
        ),
        "ais_distribution": _single_figure(
            (5.5, 3.8),
            lambda ax: AISDistributionDisplay.from_estimator(
                selector, by_support=True, ax=ax
            ),
        ),
    }
    if controls is not None:
        figures["selection_controls"] = _single_figure(
            (6.0, 4.0),
            lambda ax: SelectionControlsDisplay.from_cv_results(
                controls, ceiling=ceiling, ax=ax
            ),
        )
    if gallery is not None:
        positions, outlines = gallery
        _, axes = _grid(len(positions), None, 4, (2.6, 2.6), "heatmaps", _figure())
        # Outlines only where given: a Display without them takes no such key.
        extra = {} if outlines is None else {"outlines": outlines}
        HeatmapDisplay.from_estimator(
            explainer, images, indices=positions, ax=axes, **extra
        )
        figures["heatmaps"] = axes[0].figure
    return figures


def _gallery_positions(chosen, ids, n_images, name="gallery"):
    """Positions of the images ``chosen`` by id (positions without ids).

    Raises a ValueError naming the unknown ones and a few valid ids.
    """
    chosen = list(dict.fromkeys(str(c) for c in chosen))
    if not chosen:
        raise ValueError(f"{name}: no image ids given; name at least one.")
    names = [str(i) for i in (range(n_images) if ids is None else ids)]
    where = {label: k for k, label in enumerate(names)}
    unknown = [c for c in chosen if c not in where]
    if unknown:
        what = "ids" if ids is not None else "positions"
        few = ", ".join(repr(label) for label in names[:SHOWN_IDS])
        more = ", ..." if len(names) > SHOWN_IDS else ""
        raise ValueError(
            f"{name}: unknown image {what} {', '.join(repr(u) for u in unknown)}; "
            f"the {len(names)} images' {what} are {few}{more}"
        )
    return np.array([where[c] for c in chosen], dtype=int)


def check_gallery(chosen, ids, *, name="gallery"):
    """Check a gallery's ids against the images' ``ids``, before any work.

    Parameters
    ----------
    chosen : sequence
        The ids of the images to show (compared as strings).
    ids : sequence
        The ids of every image.
    name : str, default="gallery"
        How the error names the gallery (the command line's option).

    Raises
    ------
    ValueError
        Naming the unknown ids and a few valid ones.
    """
    _gallery_positions(chosen, list(ids), len(ids), name)


def _spread(scores, n_shown):
    """Positions of ``n_shown`` images at evenly spaced ranks of ``scores``,
    lowest first; images with an undefined score only where too few have one.
    """
    order = np.argsort(np.where(np.isnan(scores), np.inf, scores), kind="stable")
    defined = order[~np.isnan(scores[order])]
    pool = defined if len(defined) >= n_shown else order
    ranks = np.round(np.linspace(0, len(pool) - 1, n_shown)).astype(int)
    return pool[ranks]


def _gallery(explainer, images, chosen, n_heatmaps, outlines):
    """The gallery's positions and outlines, and its record for the manifest.

    ``(None, None)`` without an explainer and images.
    """
    if explainer is None or images is None:
        if chosen is not None or outlines is not None:
            raise ValueError(
                "gallery and outlines need the heatmaps: pass explainer and images."
            )
        return None, None
    scores = np.asarray(explainer.full_score_per_image_, dtype=float)
    ids = explainer.ids_
    if chosen is not None:
        positions, rule = _gallery_positions(chosen, ids, len(scores)), "chosen"
    else:
        positions = _spread(scores, min(n_heatmaps, len(scores)))
        rule = "spread"
    shown = None
    if outlines is not None:
        shown = {}
        for label, masks in outlines.items():
            if len(masks) != len(scores):
                raise ValueError(
                    f"outlines[{label!r}] has {len(masks)} masks; expected one "
                    f"per image ({len(scores)})."
                )
            shown[str(label)] = [np.asarray(masks[i], dtype=bool) for i in positions]
    names = [str(ids[i]) if ids is not None else str(i) for i in positions]
    record = {
        "rule": rule,
        "ids": names,
        "outlines": [] if outlines is None else [str(k) for k in outlines],
    }
    return (positions, shown), record


def _with_fold(frame):
    """The frame with a first column ``fold``, numbered from 1."""
    frame = frame.reset_index(drop=True)
    frame.insert(0, "fold", np.arange(1, len(frame) + 1))
    return frame


def _tables(out, selector, explainer, result, ids, statistics):
    """Write the CSV tables; return their names."""
    folds = _with_fold(FullVsRetained.to_frame(result))
    folds["difference"] = result.difference
    folds.to_csv(out / "folds.csv", index=False)
    maps = pd.DataFrame(
        {
            "map": np.arange(len(selector.ais_)),
            "ais": selector.ais_,
            "ais_rank": selector.ais_ranking_,
            "retained": selector.get_support(),
        }
    )
    if result.supports is not None:
        maps["retention_frequency"] = result.retention_frequency
    maps.to_csv(out / "maps.csv", index=False)
    tables = ["folds.csv", "maps.csv"]
    controls, bootstrap, ceiling = statistics
    if controls is not None:
        _with_fold(controls.to_frame()).to_csv(out / "controls.csv", index=False)
        tables.append("controls.csv")
    if bootstrap is not None:
        bootstrap.rename_axis("statistic").to_csv(out / "bootstrap.csv")
        tables.append("bootstrap.csv")
    if controls is not None and controls.subjects is not None:
        scores = controls.subjects.scores.assign(fold=lambda f: f["fold"] + 1)
        scores.to_csv(out / "subjects.csv", index=False)
        tables.append("subjects.csv")
    if ceiling is not None:
        ceiling.to_frame().reset_index().assign(fold=lambda f: f["fold"] + 1).to_csv(
            out / "ceiling.csv", index=False
        )
        tables.append("ceiling.csv")
    if explainer is not None:
        index = (
            ids if ids is not None else np.arange(len(explainer.full_score_per_image_))
        )
        pd.DataFrame(
            {
                "id": [str(i) for i in index],
                "full_2oi": explainer.full_score_per_image_,
            }
        ).to_csv(out / "images.csv", index=False)
        tables.append("images.csv")
    return tables


def _test_folds(splits):
    return [np.sort(np.asarray(test)).tolist() for _, test in splits]


def _check_statistics(result, controls, bootstrap, ceiling):
    """Refuse statistics that were not computed on the folds of ``result``."""
    n_folds = len(result.full)
    if controls is not None and controls is not result:
        if len(controls.full) != n_folds or (
            result.splits is not None
            and controls.splits is not None
            and _test_folds(result.splits) != _test_folds(controls.splits)
        ):
            raise ValueError(
                "controls were computed on other folds than result: pass the "
                "folds of result (cv=result.splits) to compare_selection_controls."
            )
    if bootstrap is not None:
        missing = {"full", "retained"} - set(bootstrap.index)
        missing |= set(BOOTSTRAP_COLUMNS) - set(bootstrap.columns)
        if missing:
            raise ValueError(
                "bootstrap must have rows 'full' and 'retained' (and optionally "
                "'difference') and columns 'estimate', 'se', 'ci_low', "
                f"'ci_high'; it lacks {sorted(missing)}."
            )
    if ceiling is not None:
        n_ceiling = ceiling.split_half["fold"].nunique()
        if n_ceiling != n_folds:
            raise ValueError(
                f"ceiling was computed on {n_ceiling} folds, result has "
                f"{n_folds}: pass cv=result.splits to noise_ceiling."
            )


def _manifest(parameters, seeds, inputs, reading=None, gallery=None):
    files = {}
    for role, paths in (inputs or {}).items():
        if isinstance(paths, str | os.PathLike):
            files[role] = {"path": os.fspath(paths), "sha256": file_sha256(paths)}
        else:
            files[role] = [
                {"path": os.fspath(p), "sha256": file_sha256(p)} for p in paths
            ]
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in PACKAGES},
        "parameters": parameters or {},
        "reading_of_y": reading,
        "seeds": seeds or {},
        "inputs": files,
        # Which images the heatmap gallery shows, and why (None: no gallery).
        "gallery": gallery,
    }


@validate_params(
    {
        "out_dir": [str, os.PathLike],
        "selector": [HasMethods(["fit", "get_support"])],
        "result": [FullVsRetained],
        "explainer": [HasMethods(["fit"]), None],
        "images": ["array-like", None],
        "parameters": [dict, None],
        "seeds": [dict, None],
        "inputs": [dict, None],
        "title": [str],
        "n_heatmaps": [Interval(Integral, 1, None, closed="left")],
        "controls": [SelectionControls, None],
        "bootstrap": [pd.DataFrame, None],
        "confidence": [Interval(Real, 0, 1, closed="neither"), None],
        "ceiling": [NoiseCeiling, None],
        "ceiling_note": [str, None],
        "gallery": ["array-like", None],
        "outlines": [dict, None],
        "ground_truth": [dict, None],
    },
    prefer_skip_nested_validation=True,
)
@writes_report_folder
def write_report(
    out_dir,
    *,
    selector,
    result,
    explainer=None,
    images=None,
    parameters=None,
    seeds=None,
    inputs=None,
    title="Alignment Importance Scores",
    n_heatmaps=GALLERY_SIZE,
    controls=None,
    bootstrap=None,
    confidence=None,
    ceiling=None,
    ceiling_note=None,
    gallery=None,
    outlines=None,
    ground_truth=None,
):
    """Write a study's report folder (HTML page, figures, tables, manifest).

    The folder holds ``index.html`` (self-contained, figures by relative
    path), the figures (Full vs Retained with paired error bars, the
    selection path with S*, the AIS distribution and, with an explainer and
    images, a heatmap gallery), each as a PNG for the page and an SVG
    (vector, for papers) of the same name, ``folds.csv`` (per-fold Full and Retained),
    ``maps.csv`` (per-map AIS, AIS rank, retained), ``images.csv`` (per-image
    full-model 2OI, with an explainer), ``results.json`` (summary, the
    corrected resampled t-test and the naive one) and ``manifest.json``
    (package versions, parameters, seeds, SHA-256 of the input files, the
    gallery's images and the rule that chose them).

    The study's statistics, computed on the same folds, join it when given:
    the selection controls (``selection_controls.png``, ``controls.csv``),
    bootstrap intervals over images (``bootstrap.csv``) and the noise
    ceiling (``ceiling.csv``, dashed lines on the figures); each also goes
    to ``results.json`` and the page. ``maps.csv`` gets each map's retention
    frequency across folds when ``result`` recorded the folds' selections.
    Without a ceiling, the page and ``results.json`` say that none was
    computed, and why (``ceiling_note``).

    Parameters
    ----------
    out_dir : str or path-like
        The folder: missing (created), an empty folder, or a report this
        package wrote earlier (recognised by its ``manifest.json``), which is
        replaced whole: no file of the earlier report survives. A folder
        holding other files, or a file, is refused before any work. The report
        is written into a new temporary folder beside ``out_dir`` (same
        parent) and moved into place only once complete, so a report is
        whole or absent: on an error or a Ctrl-C the temporary folder is
        removed and ``out_dir`` is left as it was. While writing, the lock
        file ``<out_dir>.lock`` (holding the process id) keeps another
        process from writing the same folder: it fails at once instead; the
        lock of a process that has ended is taken over.
    selector : AISFeatureMapSelector
        Fitted on all images: its AIS, ranking, path and S*.
    result : FullVsRetained
        The cross-validated comparison
        (:func:`~sklearn_ais.model_selection.compare_full_vs_retained`).
    explainer : AISHeatmapExplainer or None, default=None
        Fitted on the same images: per-image 2OI of the full model and heatmaps.
    images : collection of images or None, default=None
        The images, in the order the explainer saw them, under the heatmaps.
        The gallery is drawn only with both ``explainer`` and ``images``.
    parameters : dict or None, default=None
        The study's parameters, copied to the manifest.
    seeds : dict or None, default=None
        The seeds used, copied to the manifest.
    inputs : dict or None, default=None
        Input files by role (``{"similarity": path, "images": [paths]}``):
        their SHA-256 digests go to the manifest.
    title : str, default="Alignment Importance Scores"
        Title of the page.
    n_heatmaps : int, default=16
        Heatmaps in the default gallery: the images at evenly spaced ranks of
        their per-image 2OI (the explainer's ``full_score_per_image_``),
        lowest first, so that the gallery spreads from the images the full
        model explains worst to those it explains best. Ignored with
        ``gallery``.
    controls : SelectionControls or None, default=None
        Full, Retained and the same-size controls on the folds of ``result``
        (:func:`~sklearn_ais.model_selection.compare_selection_controls`).
        ``None`` takes ``result`` itself when it is a ``SelectionControls``.
    bootstrap : pandas.DataFrame or None, default=None
        Bootstrap intervals: rows ``full``, ``retained`` and optionally
        ``difference`` (Retained - Full), columns ``estimate``, ``se``,
        ``ci_low`` and ``ci_high``, as ``SelectionControls.bootstrap`` or
        :func:`~sklearn_ais.model_selection.bootstrap_2oi` (with a dict of
        models so named) give them. ``None`` takes the controls' bootstrap,
        when computed.
    confidence : float or None, default=None
        Coverage of the bootstrap intervals, for their labels; ``None``
        takes the controls' (``SelectionControls.confidence``), else 0.95.
    ceiling : NoiseCeiling or None, default=None
        The noise ceiling on the folds of ``result``
        (:func:`~sklearn_ais.model_selection.noise_ceiling` with
        ``cv=result.splits``).
    ceiling_note : str or None, default=None
        Why no ceiling was computed, shown when ``ceiling`` is None;
        ``None`` says that no per-subject matrices were given.
    gallery : array-like or None, default=None
        The ids of the images the heatmap gallery shows, in that order
        (compared as strings with the explainer's ``ids_``; positions when it
        has none); an unknown id is a ValueError naming a few valid ones.
        ``None`` spreads ``n_heatmaps`` images over the data (see
        ``n_heatmaps``). The choice goes to ``manifest.json`` (``gallery``).
    outlines : dict or None, default=None
        Known regions of the images to outline on the heatmaps, as
        ``{label: masks}`` with one boolean mask per image of ``images`` (in
        order, at the image's size), for example the relevant object's and
        the distractor's masks of
        :func:`~sklearn_ais.datasets.make_comparison_images`.
    ground_truth : dict or None, default=None
        What the study recovered of a known truth, as ``{label: value}``
        (for example ``{"relevant maps among the top 16 by AIS": "15/16"}``
        for a generated data set): shown in its own section of the page and
        copied to ``results.json`` (``ground_truth``).

    Returns
    -------
    pathlib.Path
        The path of ``index.html``.

    See Also
    --------
    sklearn_ais.model_selection.compare_full_vs_retained : The result drawn.

    Examples
    --------
    >>> from sklearn.model_selection import KFold
    >>> from sklearn_ais import AISFeatureMapSelector
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> from sklearn_ais.model_selection import compare_full_vs_retained
    >>> from sklearn_ais.report import write_report
    >>> X, H, _ = make_alignment_problem(40, 20, 4, random_state=0)
    >>> selector = AISFeatureMapSelector().fit(X, H)
    >>> result = compare_full_vs_retained(
    ...     AISFeatureMapSelector(), X, H, cv=KFold(2, shuffle=True, random_state=0))
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_report(folder, selector=selector, result=result).name
    'index.html'
    """
    if controls is None and isinstance(result, SelectionControls):
        controls = result
    if bootstrap is None and controls is not None:
        bootstrap = controls.bootstrap
    if confidence is None:
        confidence = 0.95 if controls is None else controls.confidence
    _check_statistics(result, controls, bootstrap, ceiling)
    shown, gallery = _gallery(explainer, images, gallery, n_heatmaps, outlines)
    # A new temporary folder beside the destination (writes_report_folder).
    out = Path(out_dir)
    ids = None if explainer is None else explainer.ids_
    figures = _figures(selector, result, explainer, images, controls, ceiling, shown)
    for name, figure in figures.items():
        _save(figure, out, name)
    tables = _tables(
        out, selector, explainer, result, ids, (controls, bootstrap, ceiling)
    )
    # The report of ``sklearn-ais run`` gives its hints as that command's
    # options (--target), as the command printed them.
    command = (parameters or {}).get("command")
    results = _results(selector, result, explainer, cli=command == "run")
    if ground_truth is not None:
        results["ground_truth"] = dict(ground_truth)
    if controls is not None:
        results["selection_controls"] = _controls_results(controls)
    if result.supports is not None:
        results["map_stability"] = _stability(result)
    if bootstrap is not None:
        results["bootstrap"] = _bootstrap_results(bootstrap, confidence)
    if controls is not None and controls.subjects is not None:
        results["subjects"] = _subjects_results(controls.subjects)
    # The test the page leads with (READING_THE_EVIDENCE says why).
    with_interval = bootstrap is not None and "difference" in bootstrap.index
    results["headline"] = "bootstrap_difference" if with_interval else "corrected_ttest"
    results["noise_ceiling"] = _ceiling_results(ceiling, ceiling_note or NO_CEILING)
    _write_json(out / "results.json", results)
    _write_json(
        out / "manifest.json",
        _manifest(parameters, seeds, inputs, results["reading_of_y"], gallery),
    )
    description = (
        "AIS and S* fitted on all images; Full vs Retained cross-validated on "
        "held-out images (image-level folds: AIS and S* fitted on the training "
        "images, both models scored on the test images' block of the human "
        "matrix)."
    )
    if gallery is not None:
        # The page lists each shown image's per-image 2OI beside its id.
        scores = explainer.full_score_per_image_
        gallery = {
            **gallery,
            "images": [
                {"id": name, "full_2oi": _json_ready(float(scores[i]))}
                for name, i in zip(gallery["ids"], shown[0])
            ],
        }
    page = out / "index.html"
    page.write_text(_html(title, results, figures, tables, description, gallery))
    return page
