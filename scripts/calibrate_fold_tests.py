"""Which test over cross-validation folds holds its level? A simulation.

The paper's headline ("Retained beats Full") rests on a paired t-test over
the 40 folds of a 5 x 8 ``RepeatedKFold``. The folds share images, so their
differences are correlated and that test is too liberal. This script
simulates data sets of 60 images on the feature-matrix path (pooled
features, no network) and measures, for each candidate test over the folds,
how often it rejects at alpha = 0.05 (two-sided) when the null hypothesis
holds, and how often when it does not.

Two conditions, two selectors (scenario ``equal_noise``, the null, and the
``noise_b_*`` scenarios, the effects). ``make_alignment_problem`` draws
each data set: 3 hidden attributes, the human similarity matrix (their
cosine similarity plus symmetric noise of SD ``--human-noise``, default 1,
labelled by image ids) and 32 maps that are random mixes of the attributes
(each of variance 1). Condition A is those 32 maps plus independent
Gaussian noise of SD ``--noise-a`` (default 1), and 16 irrelevant maps
(standard normal); condition B is the SAME 32 maps with its own noise draw
of SD ``--noise-b`` (1.25, 1.5 and 2 for the effects; equal to A's under
the null) and its own 16 irrelevant maps. Under the null A and B are
exchangeable given the images and the human matrix, so the expected
difference of any statistic of B and A is exactly zero, whatever the
images; in the ``noise_b_*`` scenarios B is noisier, so B's 2OI is lower.
In each fold of a 5 x 8 ``RepeatedKFold`` (seeded per data set) an
``AISFeatureMapSelector()`` is fitted on A's training features and the
train x train block, another on B's; each is scored on the test x test
block (the library's ``run_cv``, as ``compare_full_vs_retained`` does).
The per-fold difference is ``retained(B) - retained(A)`` (two selectors),
and, from the same folds, ``full(B) - full(A)`` (fixed models, nothing
fitted).

The candidate tests, each two-sided at alpha = 0.05:

* ``naive_t``: paired t over the 40 folds, as if they were independent
  (the paper's test; the folds share images, so its variance is too small).
* ``corrected_t``: Nadeau & Bengio's (2003) corrected resampled t, variance
  ``var(d) (1/J + n_test/n_train)`` on ``J - 1 = 39`` df (Bouckaert & Frank
  2004 for repeated k-fold): the library's headline test.
* ``bootstrap``: the image bootstrap of the mean-over-folds difference
  (one draw of the images serves every fold; pairs of an image with its own
  copy left out), conditional on each fold's fits, as in
  ``compare_selection_controls(n_bootstrap=...)``; rejects when the 95 %
  percentile interval excludes 0.
* ``first_repeat_t``: paired t over the 5 folds of the first repetition
  (df 4); their test sets are disjoint, but their training sets overlap,
  so this shows whether disjoint test sets are enough.
* ``dietterich_5x2cv_t`` and ``alpaydin_5x2cv_f``: Dietterich's (1998)
  5 x 2 cv paired t (df 5) and Alpaydin's (1999) combined F (df 10, 5) on a
  separate 5 x 2 ``RepeatedKFold`` of the same data: each variance comes
  from the two halves of one repetition, whose test sets are disjoint and
  each the other's training set, and both were shown to hold their level.
  They test selectors trained on 30 images, not 48: a related but
  different difference.

For the tests that give an interval (the t-tests, the bootstrap) the table
gives its coverage: the share of 95 % intervals that contain the null value
0 under a null, and under an effect the mean difference over the data sets
(a Monte-Carlo estimate of the expected difference, in ``reference``).

Full vs Retained with no relevant maps (scenario ``no_relevant_maps``):
the 48 maps are independent Gaussian noise, unrelated to the human matrix
(drawn as above). This is the honest null of "Retained beats Full": no
selection can then predict new images better or worse than all maps (both
test 2OI are zero in expectation, and with a Spearman comparison exactly
so, because the test images' human similarities are independent of
everything fitted and exchangeable over images). The other candidate, "no
map more relevant than another" (every map an equally noisy copy of the
attributes), is not a null: keeping fewer equally good maps averages out
less noise, so Retained is expected to lose to Full. The scenario runs
``compare_selection_controls`` (the protocol of
``compare_full_vs_retained`` with the bootstrap, ``n_random=0``) and
``compare_full_vs_retained`` on a 5 x 2 cv; it is reported without a pass
band.

    python scripts/calibrate_fold_tests.py [OUT_DIR] [--n-datasets N]
        [--n-bootstrap B] [--scenarios NAME ...] [--n-jobs J] [--seed S]

Writes ``fold_tests_calibration.csv`` (one row per scenario, comparison and
test: rejection rate with its binomial standard error and Clopper-Pearson
95 % interval, coverage, mean difference) and
``fold_tests_calibration_datasets.csv`` (one row per data set, comparison
and test) to OUT_DIR (default: ``examples_output``), and prints the table.
``mean_difference``, ``mean_first`` and ``mean_second`` are means over the
data sets of the mean over the folds (the 5 x 2 folds for the 5x2cv
tests) of the difference and of each condition's test 2OI. The default run
(500 data sets per scenario, 200 bootstrap draws, 2 jobs) takes about half
an hour on 2 idle cores, an hour when they are shared; its table is
``docs/user_guide/fold_tests_calibration.csv``.
"""

import argparse
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats
from sklearn.model_selection import RepeatedKFold
from sklearn.utils import check_random_state

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais._statistics import corrected_ttest, fold_sizes, naive_ttest
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.model_selection import (
    compare_full_vs_retained,
    compare_selection_controls,
)
from sklearn_ais.model_selection._bootstrap import (
    bootstrap_blocks,
    fold_blocks,
    interval_frame,
)
from sklearn_ais.model_selection._cv import run_cv

ALPHA = 0.05
N_IMAGES = 60
N_RELEVANT = 32
N_IRRELEVANT = 16
N_FACTORS = 3
SPLITS, REPEATS = 5, 8
# Where the expected difference is zero (not "null": pandas reads that as NaN).
NULL_SCENARIOS = ("equal_noise", "no_relevant_maps")
COLUMNS = [
    "scenario",
    "comparison",
    "test",
    "n_datasets",
    "rejections",
    "rejection_rate",
    "se",
    "ci_low",
    "ci_high",
    "coverage",
    "reference",
    "mean_difference",
    "mean_first",
    "mean_second",
]


def seeds_of(key):
    """Four independent seeds (data, map noise, folds, bootstrap) of a data set."""
    return [int(s) for s in np.random.SeedSequence(key).generate_state(4)]


def human_and_latent(seed, human_noise):
    """``make_alignment_problem``'s human matrix and its 32 relevant maps."""
    X, H, _ = make_alignment_problem(
        N_IMAGES,
        N_RELEVANT,
        N_RELEVANT,
        n_factors=N_FACTORS,
        noise=human_noise,
        random_state=seed,
    )
    return X, H


def simulate_conditions(seeds, noise_a, noise_b, human_noise):
    """Features of conditions A and B and the human matrix of one data set."""
    X, H = human_and_latent(seeds[0], human_noise)
    rng = np.random.default_rng(seeds[1])
    conditions = {}
    for name, noise in (("A", noise_a), ("B", noise_b)):
        copies = X + noise * rng.standard_normal(X.shape)
        irrelevant = rng.standard_normal((N_IMAGES, N_IRRELEVANT))
        conditions[name] = np.hstack([copies, irrelevant])
    return conditions, H


def t_interval(difference, factor, df):
    """Two-sided ``1 - ALPHA`` interval of a mean whose variance is
    ``factor var(d)``."""
    half = stats.t.ppf(1 - ALPHA / 2, df) * np.sqrt(factor * difference.var(ddof=1))
    return difference.mean() - half, difference.mean() + half


def fold_tests(first, second, n_train, n_test):
    """The tests on the 5 x 8 folds: dict of test to ``(reject, low, high)``."""
    difference = second - first
    J = len(difference)
    naive = naive_ttest(first, second)
    corrected = corrected_ttest(first, second, n_train=n_train, n_test=n_test)
    first_repeat = naive_ttest(first[:SPLITS], second[:SPLITS])
    return {
        "naive_t": (
            rejects(naive.pvalue),
            *t_interval(difference, 1 / J, J - 1),
        ),
        "corrected_t": (
            rejects(corrected.pvalue),
            *t_interval(difference, 1 / J + n_test / n_train, J - 1),
        ),
        "first_repeat_t": (
            rejects(first_repeat.pvalue),
            *t_interval(difference[:SPLITS], 1 / SPLITS, SPLITS - 1),
        ),
    }


def rejects(pvalue):
    """The decision at ``ALPHA``; NaN for an undefined p-value."""
    return float(pvalue < ALPHA) if np.isfinite(pvalue) else np.nan


def five_by_two_tests(first, second):
    """Dietterich's 5x2cv t and Alpaydin's combined F on the 10 folds of a
    5 x 2 ``RepeatedKFold`` (folds in repetition order)."""
    p = (np.asarray(second) - np.asarray(first)).reshape(5, 2)
    variances = ((p - p.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    t = p[0, 0] / np.sqrt(variances.mean())
    f = (p**2).sum() / (2 * variances.sum())
    return {
        "dietterich_5x2cv_t": (rejects(2 * stats.t.sf(abs(t), 5)), np.nan, np.nan),
        "alpaydin_5x2cv_f": (rejects(stats.f.sf(f, 10, 5)), np.nan, np.nan),
    }


def rows_of(comparison, tests, first, second, first_5x2, second_5x2):
    """One row per test: its decision, interval and the conditions' means."""
    rows = []
    for test, (reject, low, high) in tests.items():
        a, b = (first_5x2, second_5x2) if "5x2cv" in test else (first, second)
        rows.append(
            {
                "comparison": comparison,
                "test": test,
                "reject": reject,
                "low": low,
                "high": high,
                "estimate": float(np.mean(b - a)),
                "first": float(np.mean(a)),
                "second": float(np.mean(b)),
            }
        )
    return rows


def bootstrap_test(interval):
    """The percentile interval of the difference as a test of zero."""
    low, high = interval["ci_low"], interval["ci_high"]
    return float(low > 0 or high < 0), low, high


def two_conditions(key, noise_a, noise_b, human_noise, n_bootstrap):
    """Selectors (and fixed models) of A and B on one data set."""
    seeds = seeds_of(key)
    conditions, H = simulate_conditions(seeds, noise_a, noise_b, human_noise)
    cv_seed, boot_seed = seeds[2:]
    splits = list(
        RepeatedKFold(n_splits=SPLITS, n_repeats=REPEATS, random_state=cv_seed).split(
            conditions["A"]
        )
    )
    splits_5x2 = list(
        RepeatedKFold(n_splits=2, n_repeats=5, random_state=cv_seed).split(
            conditions["A"]
        )
    )
    scores, scores_5x2, blocks = {}, {}, {}
    for name, X in conditions.items():
        scores[name], _, _, estimators = run_cv(
            AISFeatureMapSelector(), X, H, cv=splits, return_estimator=True
        )
        scores_5x2[name] = run_cv(AISFeatureMapSelector(), X, H, cv=splits_5x2)[0]
        blocks[name] = fold_blocks(estimators, splits, X, H)
    # One bootstrap for both conditions: the same draws of the images.
    joint = [
        (
            index,
            {
                f"{name}_{model}": blocks[name][f][1][model]
                for name in blocks
                for model in ("full", "retained")
            },
            human,
        )
        for f, (index, _, human) in enumerate(blocks["A"])
    ]
    draws = bootstrap_blocks(
        joint, N_IMAGES, n_bootstrap, "spearman", check_random_state(boot_seed)
    )
    n_train, n_test = fold_sizes(splits)
    rows = []
    for model in ("retained", "full"):
        first, second = scores["A"][model], scores["B"][model]
        estimate = float((second - first).mean())
        interval = interval_frame(
            {"difference": estimate},
            {"difference": draws[f"B_{model}"] - draws[f"A_{model}"]},
            1 - ALPHA,
        ).loc["difference"]
        tests = {
            **fold_tests(first, second, n_train, n_test),
            "bootstrap": bootstrap_test(interval),
            **five_by_two_tests(scores_5x2["A"][model], scores_5x2["B"][model]),
        }
        rows += rows_of(
            f"{model} B - A",
            tests,
            first,
            second,
            scores_5x2["A"][model],
            scores_5x2["B"][model],
        )
    return rows


def no_relevant_maps(key, human_noise, n_bootstrap):
    """Full vs Retained on maps unrelated to the human matrix."""
    seeds = seeds_of(key)
    _, H = human_and_latent(seeds[0], human_noise)
    X = np.random.default_rng(seeds[1]).standard_normal(
        (N_IMAGES, N_RELEVANT + N_IRRELEVANT)
    )
    cv_seed, boot_seed = seeds[2:]
    cv = RepeatedKFold(n_splits=SPLITS, n_repeats=REPEATS, random_state=cv_seed)
    result = compare_selection_controls(
        AISFeatureMapSelector(),
        X,
        H,
        cv=cv,
        n_random=0,
        n_bootstrap=n_bootstrap,
        random_state=boot_seed,
    )
    result_5x2 = compare_full_vs_retained(
        AISFeatureMapSelector(),
        X,
        H,
        cv=RepeatedKFold(n_splits=2, n_repeats=5, random_state=cv_seed),
    )
    n_train, n_test = fold_sizes(result.splits)
    tests = {
        **fold_tests(result.full, result.retained, n_train, n_test),
        "bootstrap": bootstrap_test(result.bootstrap.loc["difference"]),
        **five_by_two_tests(result_5x2.full, result_5x2.retained),
    }
    return rows_of(
        "retained - full",
        tests,
        result.full,
        result.retained,
        result_5x2.full,
        result_5x2.retained,
    )


def summarise(datasets):
    """One row per scenario, comparison and test."""
    rows = []
    groups = datasets.groupby(["scenario", "comparison", "test"], sort=False)
    for (scenario, comparison, test), group in groups:
        decisions = group["reject"].dropna().astype(bool)
        n, k = len(decisions), int(decisions.sum())
        interval = stats.binomtest(k, n).proportion_ci(method="exact")
        rate = k / n
        null = scenario in NULL_SCENARIOS
        estimates = datasets.loc[
            (datasets["scenario"] == scenario)
            & (datasets["comparison"] == comparison)
            & (datasets["test"] == "naive_t"),
            "estimate",
        ]
        reference = 0.0 if null else float(estimates.mean())
        covered = (group["low"] <= reference) & (reference <= group["high"])
        has_interval = group["low"].notna().all()
        rows.append(
            {
                "scenario": scenario,
                "comparison": comparison,
                "test": test,
                "n_datasets": n,
                "rejections": k,
                "rejection_rate": rate,
                "se": np.sqrt(rate * (1 - rate) / n),
                "ci_low": interval.low,
                "ci_high": interval.high,
                "coverage": covered.mean() if has_interval else np.nan,
                "reference": reference if has_interval else np.nan,
                "mean_difference": group["estimate"].mean(),
                "mean_first": group["first"].mean(),
                "mean_second": group["second"].mean(),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="examples_output")
    parser.add_argument("--n-datasets", type=int, default=500)
    parser.add_argument("--n-bootstrap", type=int, default=200)
    parser.add_argument("--noise-a", type=float, default=1.0)
    parser.add_argument(
        "--noise-b",
        type=float,
        nargs="+",
        default=[1.25, 1.5, 2.0],
        help="B's noise in the effect scenarios (A's is --noise-a)",
    )
    parser.add_argument("--human-noise", type=float, default=1.0)
    parser.add_argument(
        "--scenarios",
        nargs="+",
        default=["equal_noise", "effects", "no_relevant_maps"],
        choices=["equal_noise", "effects", "no_relevant_maps"],
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    scenarios = {}
    if "equal_noise" in args.scenarios:
        scenarios["equal_noise"] = (two_conditions, (args.noise_a, args.noise_a))
    if "effects" in args.scenarios:
        for noise_b in args.noise_b:
            scenarios[f"noise_b_{noise_b:g}"] = (
                two_conditions,
                (args.noise_a, noise_b),
            )
    if "no_relevant_maps" in args.scenarios:
        scenarios["no_relevant_maps"] = (no_relevant_maps, ())

    start = time.perf_counter()
    frames = []
    for scenario, (function, noises) in scenarios.items():
        begun = time.perf_counter()
        # Data set i of a scenario is the same whichever scenarios run.
        number = zlib.crc32(scenario.encode())
        results = Parallel(n_jobs=args.n_jobs)(
            delayed(function)(
                [args.seed, number, i], *noises, args.human_noise, args.n_bootstrap
            )
            for i in range(args.n_datasets)
        )
        frame = pd.DataFrame(
            [
                {"scenario": scenario, "dataset": i, **row}
                for i, rows in enumerate(results)
                for row in rows
            ]
        )
        frames.append(frame)
        print(
            f"{scenario}: {args.n_datasets} data sets in "
            f"{time.perf_counter() - begun:.0f} s",
            flush=True,
        )
    datasets = pd.concat(frames, ignore_index=True)
    datasets.to_csv(out / "fold_tests_calibration_datasets.csv", index=False)
    table = summarise(datasets)
    table.to_csv(out / "fold_tests_calibration.csv", index=False, float_format="%.4g")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.drop(columns=["rejections", "reference"]).round(4).to_string())
    print(
        f"{args.n_datasets} data sets per scenario, {args.n_bootstrap} bootstrap "
        f"draws, {args.n_jobs} jobs; wall time {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
