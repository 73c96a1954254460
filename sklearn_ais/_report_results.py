"""The numbers of a report: ``results.json``, read from the result objects.

Every number comes from the study's result objects (their tests, intervals
and per-fold scores); this module only gathers them, with their labels, for
``results.json`` and the page, and computes no test of its own.
"""

import numpy as np

from ._human import reading_reason
from .model_selection._ceiling import LABELS as CEILING_COLUMNS

BOOTSTRAP_COLUMNS = ("estimate", "se", "ci_low", "ci_high")


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


def _results(selector, result, explainer=None, *, cli=False):
    return {
        "n_images": _n_images(result, explainer),
        "reading_of_y": reading_of_y(selector, cli=cli),
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
