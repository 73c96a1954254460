"""The report's page: ``index.html`` from ``results.json``'s content.

Every number on the page is read from the results that
:func:`~sklearn_ais.report.write_report` computed (the dict it writes to
``results.json``); this module only lays them out, escaped, with the figures
by relative path.
"""

import html

from . import __version__
from .model_selection._ceiling import LABELS as CEILING_COLUMNS

FIGURES = {
    "full_vs_retained": "Full vs Retained, held-out images",
    "selection_path": "Selection path and S*",
    "ais_distribution": "The dataset AIS of every map, by rank",
    "selection_controls": "Retained against same-size controls",
    "heatmaps": "Per-image heatmaps",
}
# How the gallery's images were chosen (manifest.json's gallery.rule).
GALLERY_RULES = {
    "chosen": "The images chosen (--gallery, or write_report's gallery)",
    "spread": "Images at evenly spaced ranks of their per-image 2OI (the full "
    "model's, images.csv), from the lowest (first) to the highest (last), "
    "so that the gallery spreads over the data",
}

_STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 0.2em 0.8em;
text-align: right; border-bottom: 1px solid #eee; } th { text-align: left; }
td { white-space: nowrap; }
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
    """The noise ceiling's numbers in a table of their own, or why there are none."""
    ceiling = results["noise_ceiling"]
    if not ceiling["computed"]:
        return (
            "<h2>Noise ceiling</h2>\n<p>No noise ceiling was computed: "
            f"{html.escape(ceiling['reason'], quote=False)}. It needs one "
            "matrix per subject over the same images.</p>"
        )
    rows = [
        (ceiling[column]["label"], f"{ceiling[column]['value']:.4f}")
        for column in CEILING_COLUMNS
    ]
    return (
        "<h2>Noise ceiling</h2>\n"
        + _rows_table(rows, ["Bound (mean over the test folds)", "value"])
        + f'\n<p class="note">{html.escape(ceiling["description"])} '
        f"{ceiling['n_subjects']} subjects; comparison "
        f"{html.escape(ceiling['comparison'])}; per fold in "
        "<code>ceiling.csv</code>.</p>"
    )


def _ground_truth_section(results):
    """What a data set with a known truth recovered (the demo's)."""
    truth = results.get("ground_truth")
    if not truth:
        return ""
    return "<h2>Ground truth recovered</h2>\n" + _rows_table(truth.items())


def _number(value, spec):
    """A number as ``spec`` formats it; "n/a" for an undefined one (null)."""
    return "n/a" if value is None else format(value, spec)


def _gallery_note(gallery):
    """How the gallery's images were chosen, and their per-image 2OI."""
    shown = ", ".join(
        f"{image['id']} ({_number(image['full_2oi'], '.3f')})"
        for image in gallery["images"]
    )
    text = (
        f"{GALLERY_RULES[gallery['rule']]}. Per-image 2OI of the full model: {shown}."
    )
    if gallery["outlines"]:
        text += " Outlined: " + ", ".join(gallery["outlines"]) + "."
    return f'<p class="note">{html.escape(text)}</p>'


def _figure_block(name):
    caption = html.escape(FIGURES[name])
    return (
        f'<h2>{caption}</h2>\n<img src="{name}.png" alt="{caption}">\n'
        f'<p class="note">vector: <a href="{name}.svg">{name}.svg</a></p>'
    )


def _reading_paragraph(reading):
    """The reading of ``y``, shown before any number."""
    if reading["target"] is None:
        return ""
    return (
        f"<p><strong>Reading of y: {html.escape(reading['target'])}</strong> "
        f"({html.escape(reading['reason'])}).</p>"
    )


def _html(title, results, figures, tables, description, gallery=None):
    """The page: summary, evidence, ceiling, then each figure with its tables.

    ``gallery`` is manifest.json's ``gallery`` with each shown image's id and
    per-image 2OI (``images``), or None without a heatmap gallery.
    """
    sections = [_ceiling_section(results)]
    for name in figures:
        sections.append(_figure_block(name))
        if name == "heatmaps" and gallery is not None:
            sections.append(_gallery_note(gallery))
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
{_ground_truth_section(results)}
{_evidence_section(results)}
{sections}
<h2>Files</h2>
<p>{links}</p>
<p class="note">Written by sklearn_ais {html.escape(__version__)}.</p>
</body>
</html>
"""
