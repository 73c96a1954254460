"""The calibration of the tests over folds (scripts/calibrate_fold_tests.py).

A reduced run of the script under its null (two conditions of equal noise,
exchangeable, so the expected difference is exactly zero): the corrected
resampled t-test holds its level, the naive paired t-test over the 40 folds
does not, and the image bootstrap's intervals cover zero at about their
rate. Every bound is a binomial quantile for the number of data sets run,
so a pass is not luck of a small sample and a fail is not one either. The
full-size table is docs/user_guide/fold_tests_calibration.csv.
"""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

pytestmark = pytest.mark.slow

SCRIPTS = Path(__file__).parents[1] / "scripts"
DOCS_TABLE = Path(__file__).parents[1] / "docs/user_guide/fold_tests_calibration.csv"
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
N_DATASETS = 120
# One-sided tail of every bound: a correct test fails it once in 1000 runs.
TAIL = 0.001


def _run(out, *args):
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "calibrate_fold_tests.py"), str(out), *args],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def null_table(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration")
    stdout = _run(
        out,
        "--scenarios",
        "equal_noise",
        "--n-datasets",
        str(N_DATASETS),
        "--n-bootstrap",
        "100",
        "--n-jobs",
        "2",
    )
    assert "wall time" in stdout
    table = pd.read_csv(out / "fold_tests_calibration.csv")
    return table.set_index(["comparison", "test"])


def _most_rejections(rate):
    """The largest count of rejections in N_DATASETS consistent with ``rate``."""
    return int(stats.binom.ppf(1 - TAIL, N_DATASETS, rate))


def test_table_columns(null_table):
    assert list(null_table.reset_index().columns) == [
        "comparison",
        "test",
        *[c for c in COLUMNS if c not in ("comparison", "test")],
    ]
    assert set(null_table["scenario"]) == {"equal_noise"}
    assert (null_table["n_datasets"] == N_DATASETS).all()
    assert (null_table["ci_low"] <= null_table["rejection_rate"]).all()
    assert (null_table["rejection_rate"] <= null_table["ci_high"]).all()


COMPARISONS = ["retained B - A", "full B - A"]


@pytest.mark.parametrize("comparison", COMPARISONS)
def test_corrected_t_holds_its_level(null_table, comparison):
    row = null_table.loc[(comparison, "corrected_t")]
    assert row["rejections"] <= _most_rejections(0.05)


@pytest.mark.parametrize("comparison", COMPARISONS)
def test_naive_t_rejects_too_often(null_table, comparison):
    # The known flaw: the 40 folds share images (about 0.2-0.3 at full size).
    row = null_table.loc[(comparison, "naive_t")]
    assert row["rejections"] > _most_rejections(0.05)


@pytest.mark.parametrize("comparison", COMPARISONS)
@pytest.mark.parametrize(
    "test",
    ["bootstrap", "first_repeat_t", "dietterich_5x2cv_t", "alpaydin_5x2cv_f"],
)
def test_the_other_tests_stay_below_the_issues_bound(null_table, comparison, test):
    # Issue 21: a default test rejects a true null at a rate of at most 0.08.
    row = null_table.loc[(comparison, test)]
    assert row["rejections"] <= _most_rejections(0.08)


@pytest.mark.parametrize("comparison", COMPARISONS)
def test_bootstrap_intervals_cover_zero(null_table, comparison):
    # Coverage of the null value (zero) is one minus the rejection rate; the
    # issue asks for [0.90, 0.99]. Only the lower end can be told apart from
    # a correct rate with this many data sets (the full-size table shows the
    # intervals cover at 0.99-1.00: conservative).
    row = null_table.loc[(comparison, "bootstrap")]
    covered = round(row["coverage"] * N_DATASETS)
    assert covered >= stats.binom.ppf(TAIL, N_DATASETS, 0.90)
    assert covered == N_DATASETS - row["rejections"]


def test_docs_table_has_the_columns():
    table = pd.read_csv(DOCS_TABLE)
    assert list(table.columns) == COLUMNS
    assert (table["n_datasets"] >= 500).all()
    assert table["scenario"].notna().all()
