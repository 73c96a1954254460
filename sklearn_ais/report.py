"""A report folder of one study: ``index.html``, figures, tables, manifest.

:func:`write_report` takes the fitted objects of a study (the selector fitted
on all images, the explainer, the cross-validated Full vs Retained result)
and writes, into one folder:

* ``index.html``: a self-contained page (inline style, no script, no network)
  that shows the figures below by relative path, so the folder can be moved
  or zipped and opened anywhere;
* ``full_vs_retained.png`` (the paper's Figure 1: mean test 2OI of all maps
  and of the retained maps, with paired Loftus & Masson error bars and one
  line per fold), ``selection_path.png`` (2OI of the top-``m`` maps, with
  S*), ``ais_distribution.png`` (histogram of the dataset AIS) and
  ``heatmaps.png`` (per-image heatmaps over their images, when an explainer
  and the images are given);
* ``folds.csv`` (per-fold Full and Retained), ``maps.csv`` (per-map AIS, AIS
  rank, retained), ``images.csv`` (per-image baseline 2OI, when an explainer
  is given), ``results.json`` (summary numbers and the paired t-test) and
  ``manifest.json`` (package versions, parameters, seeds and the SHA-256 of
  every input file).

Figures are drawn on :class:`matplotlib.figure.Figure` objects, never through
``pyplot``, so writing a report neither needs nor changes a backend.
"""

import html
import json
import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import HasMethods, validate_params

from . import __version__
from ._files import file_sha256
from .model_selection import FullVsRetained

__all__ = ["write_report"]

# Heatmaps drawn in the gallery: the first ones, in the order of the images.
GALLERY_SIZE = 16
FIGURES = {
    "full_vs_retained": "Full vs Retained, held-out images",
    "selection_path": "Selection path and S*",
    "ais_distribution": "Distribution of the dataset AIS",
    "heatmaps": "Per-image heatmaps",
}
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


def _save(figure, path):
    figure.savefig(path, dpi=110)


def full_vs_retained_figure(result):
    """The paper's Figure 1: mean test 2OI, paired error bars, fold lines."""
    figure = _figure(figsize=(4.2, 4.0))
    ax = figure.add_subplot()
    means = [result.full.mean(), result.retained.mean()]
    error = result.standard_error
    ax.bar(
        [0, 1],
        means,
        width=0.6,
        color=["0.7", "C0"],
        yerr=[error, error],
        capsize=8,
        zorder=1,
    )
    for full, retained in zip(result.full, result.retained):
        ax.plot(
            [0, 1],
            [full, retained],
            color="0.3",
            alpha=0.35,
            linewidth=0.8,
            marker="o",
            markersize=3,
            zorder=2,
        )
    ax.set_xticks([0, 1], ["Full", "Retained"])
    ax.set_ylabel("test 2OI (held-out images)")
    test = result.ttest
    ax.set_title(
        f"{len(result.full)} folds; t({len(result.full) - 1}) = "
        f"{test.statistic:.2f}, p = {test.pvalue:.2g}",
        fontsize=9,
    )
    ax.axhline(0, color="0.2", linewidth=0.6)
    return figure


def selection_path_figure(selector):
    """The selector's path with S* (:class:`SelectionPathDisplay`)."""
    from .plotting import SelectionPathDisplay

    figure = _figure(figsize=(5.5, 3.8))
    SelectionPathDisplay.from_estimator(selector, ax=figure.add_subplot())
    return figure


def ais_distribution_figure(selector):
    """Histogram of the dataset AIS, retained maps apart."""
    figure = _figure(figsize=(5.5, 3.8))
    ax = figure.add_subplot()
    ais = np.asarray(selector.ais_, dtype=float)
    finite = np.isfinite(ais)
    support = selector.get_support()
    bins = np.histogram_bin_edges(ais[finite], bins=40)
    ax.hist(ais[finite & ~support], bins=bins, color="0.6", label="not retained")
    ax.hist(ais[finite & support], bins=bins, color="C0", alpha=0.8, label="retained")
    ax.axvline(0, color="0.2", linewidth=0.6)
    ax.set_xlabel("AIS (drop of the 2OI when the map is zeroed)")
    ax.set_ylabel("maps")
    ax.legend(frameon=False)
    return figure


def heatmap_figure(explainer, images, *, n_images=GALLERY_SIZE, n_cols=4):
    """The first heatmaps over their images (:class:`HeatmapDisplay`)."""
    from ._images import check_images, image_sizes
    from .explain import upsample_heatmap
    from .plotting import HeatmapDisplay

    items = check_images(images)
    indices = np.arange(min(n_images, len(items)))
    chosen = [items[i] for i in indices]
    # With featurizer="passthrough" the explainer's heatmaps are at map
    # resolution: resize them to their images, as the explainer would.
    sizes = image_sizes(chosen)
    heatmaps = [
        upsample_heatmap(explainer.map_heatmaps_[i], size, mode=explainer.upsample)
        for i, size in zip(indices, sizes)
    ]
    ids = explainer.ids_
    titles = [str(ids[i]) if ids is not None else f"image {i}" for i in indices]
    n_cols = min(n_cols, len(indices))
    n_rows = int(np.ceil(len(indices) / n_cols))
    figure = _figure(figsize=(2.6 * n_cols + 1, 2.6 * n_rows))
    axes = figure.subplots(n_rows, n_cols, squeeze=False).ravel()
    for extra in axes[len(indices) :]:
        extra.axis("off")
    HeatmapDisplay(heatmaps=heatmaps, images=chosen, titles=titles).plot(
        ax=axes[: len(indices)]
    )
    return figure


def _tables(out, selector, explainer, result, ids):
    folds = result.to_frame()
    folds.insert(0, "fold", np.arange(1, len(folds) + 1))
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
    maps.to_csv(out / "maps.csv", index=False)
    if explainer is not None:
        index = (
            ids if ids is not None else np.arange(len(explainer.baseline_per_image_))
        )
        pd.DataFrame(
            {
                "id": [str(i) for i in index],
                "baseline_2oi": explainer.baseline_per_image_,
            }
        ).to_csv(out / "images.csv", index=False)


def _results(selector, result):
    test = result.ttest
    return {
        "n_images": None,
        "n_maps": int(result.n_maps),
        "all_data": {
            "baseline_2oi": float(selector.baseline_score_),
            "n_retained": int(selector.n_features_),
            "retained_2oi": float(np.nanmax(selector.scores_path_)),
        },
        "cross_validation": {
            "n_folds": len(result.full),
            "full_mean": float(result.full.mean()),
            "retained_mean": float(result.retained.mean()),
            "difference_mean": float(result.difference.mean()),
            "standard_error_paired": float(result.standard_error),
            "n_retained_mean": float(result.n_retained.mean()),
            "n_retained_min": int(result.n_retained.min()),
            "n_retained_max": int(result.n_retained.max()),
            "ttest": {
                "test": "paired two-tailed t-test, Retained vs Full over folds",
                "statistic": float(test.statistic),
                "df": len(result.full) - 1,
                "pvalue": float(test.pvalue),
            },
        },
    }


def _manifest(parameters, seeds, inputs):
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
        "seeds": seeds or {},
        "inputs": files,
    }


_STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 0.2em 0.8em;
text-align: right; border-bottom: 1px solid #eee; } th { text-align: left; }
.note { color: #555; font-size: 0.9em; }
"""


def _html(title, results, figures, tables, description):
    cv = results["cross_validation"]
    alldata = results["all_data"]
    test = cv["ttest"]
    rows = [
        ("Maps", results["n_maps"]),
        ("All-data 2OI, all maps", f"{alldata['baseline_2oi']:.4f}"),
        (
            "All-data 2OI, retained maps (S*)",
            f"{alldata['retained_2oi']:.4f} ({alldata['n_retained']} maps)",
        ),
        ("Folds", cv["n_folds"]),
        ("Full, mean test 2OI", f"{cv['full_mean']:.4f}"),
        ("Retained, mean test 2OI", f"{cv['retained_mean']:.4f}"),
        ("SE (paired, Loftus & Masson)", f"{cv['standard_error_paired']:.4f}"),
        (
            "Retained maps per fold",
            f"{cv['n_retained_mean']:.1f} (min {cv['n_retained_min']}, "
            f"max {cv['n_retained_max']})",
        ),
        (
            "Paired t-test",
            f"t({test['df']}) = {test['statistic']:.2f}, p = {test['pvalue']:.2g}",
        ),
    ]
    table = "\n".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in rows
    )
    sections = "\n".join(
        f'<h2>{html.escape(FIGURES[name])}</h2>\n<img src="{name}.png" '
        f'alt="{html.escape(FIGURES[name])}">'
        for name in figures
    )
    links = " &middot; ".join(
        f'<a href="{name}">{name}</a>'
        for name in [*tables, "results.json", "manifest.json"]
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="note">{html.escape(description)}</p>
<table>
{table}
</table>
{sections}
<h2>Files</h2>
<p>{links}</p>
<p class="note">Written by sklearn_ais {html.escape(__version__)}.</p>
</body>
</html>
"""


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
        "n_heatmaps": [Integral],
    },
    prefer_skip_nested_validation=True,
)
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
):
    """Write a study's report folder (HTML page, figures, tables, manifest).

    The folder holds ``index.html`` (self-contained, figures by relative
    path), the PNG figures (Full vs Retained with paired error bars, the
    selection path with S*, the AIS distribution and, with an explainer and
    images, a heatmap gallery), ``folds.csv``, ``maps.csv``, ``images.csv``,
    ``results.json`` (summary and paired t-test) and ``manifest.json``
    (package versions, parameters, seeds, SHA-256 of the input files).

    Parameters
    ----------
    out_dir : str or path-like
        The folder; created if missing, files in it overwritten.
    selector : AISFeatureMapSelector
        Fitted on all images: its AIS, ranking, path and S*.
    result : FullVsRetained
        The cross-validated comparison
        (:func:`~sklearn_ais.model_selection.compare_full_vs_retained`).
    explainer : AISHeatmapExplainer or None, default=None
        Fitted on the same images: per-image baseline 2OI and heatmaps.
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
        Heatmaps in the gallery (the first images, in order).

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
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ids = None if explainer is None else explainer.ids_
    figures = {
        "full_vs_retained": full_vs_retained_figure(result),
        "selection_path": selection_path_figure(selector),
        "ais_distribution": ais_distribution_figure(selector),
    }
    if explainer is not None and images is not None:
        figures["heatmaps"] = heatmap_figure(explainer, images, n_images=n_heatmaps)
    for name, figure in figures.items():
        _save(figure, out / f"{name}.png")
    _tables(out, selector, explainer, result, ids)
    tables = ["folds.csv", "maps.csv"]
    if explainer is not None:
        tables.append("images.csv")
    results = _results(selector, result)
    if explainer is not None:
        results["n_images"] = len(explainer.baseline_per_image_)
    _write_json(out / "results.json", results)
    _write_json(out / "manifest.json", _manifest(parameters, seeds, inputs))
    description = (
        "AIS and S* fitted on all images; Full vs Retained cross-validated on "
        "held-out images (image-level folds: AIS and S* fitted on the training "
        "images, both models scored on the test images' block of the human "
        "matrix)."
    )
    page = out / "index.html"
    page.write_text(_html(title, results, figures, tables, description))
    return page
