"""A report folder of one study: ``index.html``, figures, tables, manifest.

:func:`write_report` lays out what the study computed: each figure is drawn
by its Display (:mod:`sklearn_ais.plotting`), each table comes from the
results' own frames, and ``index.html`` shows them by relative path (inline
style, no script, no network), so the folder can be moved or zipped and
opened anywhere. Figures are drawn on :class:`matplotlib.figure.Figure`
objects, never through ``pyplot``, so writing a report neither needs nor
changes a backend.
"""

import html
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
from ._human import reading_reason
from .model_selection import FullVsRetained, NoiseCeiling, SelectionControls
from .model_selection._ceiling import LABELS as CEILING_COLUMNS

__all__ = ["write_report"]

# Heatmaps drawn in the gallery: the first ones, in the order of the images.
GALLERY_SIZE = 16
FIGURES = {
    "full_vs_retained": "Full vs Retained, held-out images",
    "selection_path": "Selection path and S*",
    "ais_distribution": "Distribution of the dataset AIS",
    "selection_controls": "Retained against same-size controls",
    "heatmaps": "Per-image heatmaps",
}
NO_CEILING = "no per-subject matrices were given"
BOOTSTRAP_COLUMNS = ("estimate", "se", "ci_low", "ci_high")
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


def _single_figure(figsize, draw):
    """A figure of one axes, on which ``draw(ax)`` draws a Display."""
    figure = _figure(figsize=figsize)
    draw(figure.add_subplot())
    return figure


def _figures(selector, result, explainer, images, controls, ceiling, n_heatmaps):
    """The report's figures by name, each drawn by its Display."""
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
                selector, by_support=True, bins=40, ax=ax
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
    if explainer is not None and images is not None:
        n = min(n_heatmaps, len(images))
        _, axes = _grid(n, None, 4, (2.6, 2.6), "heatmaps", figure=_figure())
        HeatmapDisplay.from_estimator(explainer, images, indices=np.arange(n), ax=axes)
        figures["heatmaps"] = axes[0].figure
    return figures


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


def retained_score(selector):
    """The all-data 2OI of the selector's retained maps (its S*).

    ``scores_path_`` at the number of maps kept: the best prefix with
    ``n_features_to_select="auto"``, the fixed-size selection otherwise (not
    the path's maximum).
    """
    return float(selector.scores_path_[int(selector.n_features_) - 1])


def reading_of_y(selector, *, cli=False):
    """How the selector read ``y`` (its ``target_``) and why, as a dict."""
    target = getattr(selector, "target", "auto")
    target_ = getattr(selector, "target_", None)
    if target_ is None:
        return {"target": None, "reason": "the selector has no target_"}
    return {
        "target": target_,
        "asked": target,
        "reason": reading_reason(target, target_, cli=cli),
    }


def _n_images(result, explainer):
    """The number of images of the study, or None where it was not recorded."""
    if explainer is not None:
        return len(explainer.full_score_per_image_)
    return result.n_images


def _results(selector, result, explainer=None):
    return {
        "n_images": _n_images(result, explainer),
        "reading_of_y": reading_of_y(selector),
        "n_maps": int(result.n_maps),
        "all_data": {
            "full_2oi": float(selector.full_score_),
            "n_retained": int(selector.n_features_),
            "retained_2oi": retained_score(selector),
        },
        "cross_validation": {
            "n_folds": len(result.full),
            "full_mean": float(result.full.mean()),
            "retained_mean": float(result.retained.mean()),
            "difference_mean": float(result.difference.mean()),
            "n_retained_mean": float(result.n_retained.mean()),
            "n_retained_min": int(result.n_retained.min()),
            "n_retained_max": int(result.n_retained.max()),
            **_fold_tests(result),
        },
    }


def _fold_tests(result):
    """The corrected test (the headline) and the naive one, with the error bar."""
    naive = result.naive_ttest
    if result.splits is None:
        # Without the folds the correction cannot be sized: say so.
        return {
            "standard_error_paired": naive.standard_error,
            "ttest": None,
            "naive_ttest": naive.to_dict(),
        }
    test = result.ttest
    n_train, n_test = result.fold_sizes
    return {
        "standard_error_paired": test.standard_error,
        "n_train_mean": n_train,
        "n_test_mean": n_test,
        "ttest": test.to_dict(),
        "naive_ttest": naive.to_dict(),
    }


def _sd(values):
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def _controls_results(controls):
    """Each condition's mean over folds, its spread and its tests."""
    method = "naive" if controls.splits is None else "corrected"
    naive = controls.condition_tests("naive")
    conditions = {}
    for name, (label, values, test) in controls.condition_tests(method).items():
        entry = {"label": label, "mean": float(values.mean())}
        entry["sd_folds"] = _sd(values)
        if test is not None:
            entry["retained_minus_it"] = test.mean_difference
            entry["ttest"] = test.to_dict()
            entry["naive_ttest"] = naive[name][2].to_dict()
        conditions[name] = entry
    draws = controls.random_draws
    return {
        "description": "Each control keeps as many maps as the fold's S*, "
        "chosen on the fold's training images; scored on the same test blocks "
        "as Full and Retained.",
        "n_random": len(draws),
        "conditions": conditions,
        "random_draws": {
            "means": draws,
            "sd": _sd(draws),
            "min": float(draws.min()) if len(draws) else None,
            "max": float(draws.max()) if len(draws) else None,
        },
    }


def _stability(result):
    frequency = result.retention_frequency
    return {
        "description": "Fraction of the folds in which each map is retained "
        "(maps.csv, retention_frequency).",
        "n_folds": len(result.supports),
        "maps_ever_retained": int((frequency > 0).sum()),
        "maps_retained_in_half_or_more": int((frequency >= 0.5).sum()),
        "maps_retained_in_every_fold": int((frequency == 1).sum()),
    }


def _bootstrap_results(bootstrap, confidence):
    return {
        "method": "pattern bootstrap over images (rsatoolbox): images drawn "
        "with replacement, pairs of an image with its own copy left out; the "
        "statistic is the mean over folds of the test 2OI, the folds' "
        "selections kept",
        "confidence": confidence,
        **{
            name: {column: float(row[column]) for column in BOOTSTRAP_COLUMNS}
            for name, row in bootstrap.iterrows()
        },
    }


# How the ceiling pooled the subjects, by comparison ("" for the plain mean).
POOLING_WORDS = {
    "": "the mean of their values",
    "spearman": "the mean of their ranks, as rsatoolbox",
    "kendall": "the mean of their ranks, as rsatoolbox",
    "pearson": "the mean of their z-scores, as rsatoolbox",
    "r2": "the mean of their z-scores, as rsatoolbox",
}


def _subjects_results(subjects):
    return {
        "description": "Full and Retained scored against each subject's own "
        "test block (the selector fitted on the mean matrix); the Wilcoxon "
        "signed-rank test over subjects of their mean differences (Nili et "
        "al. 2014); the dual bootstrap draws subjects and images together, "
        "the folds' selections kept.",
        **subjects.to_dict(),
    }


def _ceiling_results(ceiling, note):
    if ceiling is None:
        return {"computed": False, "reason": note}
    means = ceiling.to_frame().mean()
    pooled = POOLING_WORDS[ceiling.comparison if ceiling.pooling != "mean" else ""]
    return {
        "computed": True,
        "comparison": ceiling.comparison,
        "pooling": ceiling.pooling,
        "n_subjects": int(ceiling.per_subject["subject"].nunique()),
        "description": "Means over the test folds; lower and upper: each "
        "subject against the pooled matrix of the others / of all subjects "
        f"(subjects pooled by {pooled}); r_half, reliability, ceiling: "
        "split-half reliability of the pooled matrix, Spearman-Brown "
        "corrected.",
        **{
            column: {"label": label, "value": float(means[column])}
            for column, label in CEILING_COLUMNS.items()
        },
    }


def _manifest(parameters, seeds, inputs, reading=None):
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


def _rows_table(rows, header=None):
    """An HTML table of (label, value, ...) rows, every cell escaped."""
    lines = []
    if header is not None:
        lines.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header))
    for label, *values in rows:
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in values)
        lines.append(f"<tr><th>{html.escape(str(label))}</th>{cells}</tr>")
    return "<table>\n" + "\n".join(lines) + "\n</table>"


def _interval(row):
    return f"{row['estimate']:.4f} [{row['ci_low']:.4f}, {row['ci_high']:.4f}]"


def _test_text(test):
    return f"t({test['df']}) = {test['statistic']:.2f}, p = {test['pvalue']:.2g}"


def _summary_rows(results):
    cv = results["cross_validation"]
    alldata = results["all_data"]
    corrected = cv["ttest"] is not None
    rows = [
        ("Maps", results["n_maps"]),
        ("All-data 2OI, all maps", f"{alldata['full_2oi']:.4f}"),
        (
            "All-data 2OI, retained maps (S*)",
            f"{alldata['retained_2oi']:.4f} ({alldata['n_retained']} maps)",
        ),
        ("Folds", cv["n_folds"]),
        ("Full, mean test 2OI", f"{cv['full_mean']:.4f}"),
        ("Retained, mean test 2OI", f"{cv['retained_mean']:.4f}"),
        (
            "SE (paired, corrected for shared images)"
            if corrected
            else "SE (paired, Loftus & Masson, folds as if independent)",
            f"{cv['standard_error_paired']:.4f}",
        ),
        (
            "Retained maps per fold",
            f"{cv['n_retained_mean']:.1f} (min {cv['n_retained_min']}, "
            f"max {cv['n_retained_max']})",
        ),
    ]
    bootstrap = results.get("bootstrap")
    if bootstrap is not None:
        level = f"{100 * bootstrap['confidence']:g}% bootstrap CI over images"
        rows += [
            (f"{label}, {level}", _interval(bootstrap[name]))
            for name, label in (("full", "Full"), ("retained", "Retained"))
        ]
    ceiling = results["noise_ceiling"]
    if ceiling["computed"]:
        rows += [
            (f"Noise ceiling: {entry['label']}", f"{entry['value']:.4f}")
            for entry in (ceiling[column] for column in CEILING_COLUMNS)
        ]
    return rows


READING_THE_EVIDENCE = (
    "How to read these: the bootstrap interval of the difference over images "
    "is the headline where it was computed: in the user guide's simulation "
    "(scripts/calibrate_fold_tests.py) it held its level (1 % of null data "
    "sets rejected at 5 %) with the most power of the tests on these folds. "
    "The corrected t-test also holds its level but is conservative (0.2 % of "
    "null data sets rejected), with less power. The naive p-value treats folds "
    "that share images as independent (27 % of null data sets rejected) and is "
    "shown only beside studies that report it. The intervals are conditional "
    "on each fold's selection. The test across subjects asks whether the gain "
    "holds for the typical person rather than for the mean matrix."
)


def evidence_rows(results):
    """Retained vs Full, every test side by side: (label, value) rows.

    The headline first: the image bootstrap's interval of the difference
    where it was computed, else the corrected t-test.
    """
    cv = results["cross_validation"]
    rows = [("Retained - Full, mean over folds", f"{cv['difference_mean']:.4f}")]
    bootstrap = results.get("bootstrap")
    headline = results["headline"] == "bootstrap_difference"
    if headline:
        level = f"{100 * bootstrap['confidence']:g}%"
        rows.append(
            (
                f"Bootstrap over images, {level} CI of the difference (headline)",
                _interval(bootstrap["difference"]),
            )
        )
    if cv["ttest"] is not None:
        label = f"Corrected resampled t-test over {cv['n_folds']} folds"
        label += " (conservative)" if headline else " (headline)"
        rows.append((label, _test_text(cv["ttest"])))
    rows.append(
        ("Naive paired t-test (folds as if independent)", _test_text(cv["naive_ttest"]))
    )
    subjects = results.get("subjects")
    if subjects is not None:
        test = subjects["wilcoxon"]
        differences = [row["difference"] for row in subjects["per_subject"]]
        text = (
            "p not defined"
            if test["pvalue"] is None
            else f"W = {test['statistic']:.4g}, p = {test['pvalue']:.2g}"
        )
        rows.append(
            (
                f"Across {subjects['n_subjects']} subjects: Wilcoxon signed-rank "
                "of each subject's mean difference",
                f"{text}; {sum(d > 0 for d in differences)} of "
                f"{len(differences)} subjects gain",
            )
        )
        if subjects["bootstrap"] is not None:
            level = f"{100 * subjects['confidence']:g}%"
            rows.append(
                (
                    f"Dual bootstrap over subjects and images, {level} CI of the "
                    "mean per-subject difference",
                    _interval(subjects["bootstrap"]["difference"]),
                )
            )
    return rows


def _evidence_section(results):
    return (
        "<h2>Retained vs Full: the evidence</h2>\n"
        + _rows_table(evidence_rows(results))
        + f'\n<p class="note">{html.escape(READING_THE_EVIDENCE)}</p>'
    )


def _controls_section(results):
    controls = results["selection_controls"]
    rows = []
    for name, entry in controls["conditions"].items():
        spread = "" if entry["sd_folds"] is None else f"{entry['sd_folds']:.4f}"
        if name == "random":
            draws = controls["random_draws"]
            sd = "" if draws["sd"] is None else f"SD {draws['sd']:.4f}, "
            spread = f"{controls['n_random']} draws: {sd}{draws['min']:.4f} to "
            spread += f"{draws['max']:.4f}"
        test = entry.get("ttest")
        naive = entry.get("naive_ttest")
        rows.append(
            (
                entry["label"],
                f"{entry['mean']:.4f}",
                spread,
                "" if test is None else f"{entry['retained_minus_it']:.4f}",
                "" if test is None else _test_text(test),
                "" if naive is None else f"{naive['pvalue']:.2g}",
            )
        )
    header = [
        "Condition",
        "mean test 2OI",
        "spread (SD over folds)",
        "Retained - it",
        "corrected t-test",
        "naive p",
    ]
    return (
        f'<p class="note">{html.escape(controls["description"])}</p>\n'
        + _rows_table(rows, header)
    )


def _stability_section(results):
    stability = results["map_stability"]
    return (
        f"<h2>Map stability across folds</h2>\n<p>Of the {results['n_maps']} "
        f"maps, {stability['maps_ever_retained']} are retained in at least one "
        f"of the {stability['n_folds']} folds, "
        f"{stability['maps_retained_in_half_or_more']} in at least half and "
        f"{stability['maps_retained_in_every_fold']} in every fold "
        "(<code>maps.csv</code>, column <code>retention_frequency</code>).</p>"
    )


def _ceiling_section(results):
    ceiling = results["noise_ceiling"]
    if not ceiling["computed"]:
        return (
            "<h2>Noise ceiling</h2>\n<p>No noise ceiling was computed: "
            f"{html.escape(ceiling['reason'], quote=False)}. It needs one "
            "matrix per subject over the same images.</p>"
        )
    return (
        "<h2>Noise ceiling</h2>\n"
        f'<p class="note">{html.escape(ceiling["description"])} '
        f"{ceiling['n_subjects']} subjects; comparison "
        f"{html.escape(ceiling['comparison'])}.</p>"
    )


def _reading_paragraph(reading):
    """The reading of ``y``, shown before any number."""
    if reading["target"] is None:
        return ""
    return (
        f"<p><strong>Reading of y: {html.escape(reading['target'])}</strong> "
        f"({html.escape(reading['reason'])}).</p>"
    )


def _html(title, results, figures, tables, description):
    sections = [_ceiling_section(results)]
    for name in figures:
        caption = html.escape(FIGURES[name])
        sections.append(f'<h2>{caption}</h2>\n<img src="{name}.png" alt="{caption}">')
        if name == "selection_controls":
            sections.append(_controls_section(results))
        if name == "ais_distribution" and "map_stability" in results:
            sections.append(_stability_section(results))
    links = " &middot; ".join(
        f'<a href="{name}">{name}</a>'
        for name in [*tables, "results.json", "manifest.json"]
    )
    sections = "\n".join(sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
{_reading_paragraph(results["reading_of_y"])}
<p class="note">{html.escape(description)}</p>
{_rows_table(_summary_rows(results))}
{_evidence_section(results)}
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
        "controls": [SelectionControls, None],
        "bootstrap": [pd.DataFrame, None],
        "confidence": [Interval(Real, 0, 1, closed="neither"), None],
        "ceiling": [NoiseCeiling, None],
        "ceiling_note": [str, None],
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
):
    """Write a study's report folder (HTML page, figures, tables, manifest).

    The folder holds ``index.html`` (self-contained, figures by relative
    path), the PNG figures (Full vs Retained with paired error bars, the
    selection path with S*, the AIS distribution and, with an explainer and
    images, a heatmap gallery), ``folds.csv`` (per-fold Full and Retained),
    ``maps.csv`` (per-map AIS, AIS rank, retained), ``images.csv`` (per-image
    full-model 2OI, with an explainer), ``results.json`` (summary, the
    corrected resampled t-test and the naive one) and ``manifest.json``
    (package versions, parameters, seeds, SHA-256 of the input files).

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
        Heatmaps in the gallery (the first images, in order).
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
    # A new temporary folder beside the destination (writes_report_folder).
    out = Path(out_dir)
    ids = None if explainer is None else explainer.ids_
    figures = _figures(
        selector, result, explainer, images, controls, ceiling, n_heatmaps
    )
    for name, figure in figures.items():
        _save(figure, out / f"{name}.png")
    tables = _tables(
        out, selector, explainer, result, ids, (controls, bootstrap, ceiling)
    )
    results = _results(selector, result, explainer)
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
        _manifest(parameters, seeds, inputs, results["reading_of_y"]),
    )
    description = (
        "AIS and S* fitted on all images; Full vs Retained cross-validated on "
        "held-out images (image-level folds: AIS and S* fitted on the training "
        "images, both models scored on the test images' block of the human "
        "matrix)."
    )
    page = out / "index.html"
    page.write_text(_html(title, results, figures, tables, description))
    return page
