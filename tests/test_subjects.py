"""Subjects as a random effect: per-subject scores, Wilcoxon, dual bootstrap."""

import json

import numpy as np
import pandas as pd
import pytest
from _brute_force import similarity_pairs, upper
from scipy import stats
from sklearn.model_selection import KFold

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.model_selection import (
    compare_across_subjects,
)

CV = KFold(3, shuffle=True, random_state=0)
N_BOOTSTRAP = 25


def _subjects(H, n_subjects, seed=0, scale=1.0):
    """Noisy copies of ``H`` (symmetric noise, self-similarity on top), as in
    the user guide's controls_and_uncertainty example."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n_subjects):
        noise = rng.normal(scale=scale, size=H.shape)
        values = H.to_numpy() + (noise + noise.T) / 2
        np.fill_diagonal(values, values.max())
        frames.append(pd.DataFrame(values, index=H.index, columns=H.columns))
    return frames


@pytest.fixture(scope="module")
def problem():
    X, H, _ = make_alignment_problem(36, 16, 4, noise=0.3, random_state=0)
    subjects = _subjects(H, 5)
    return X, sum(subjects) / len(subjects), subjects


@pytest.fixture(scope="module")
def result(problem):
    X, y, subjects = problem
    return compare_across_subjects(
        AISFeatureMapSelector(), X, y, subjects, cv=CV, n_bootstrap=N_BOOTSTRAP
    )


def _loop(X, y, subjects):
    """Per fold: test indices, retained maps, and the 2OI of Full and Retained
    with each subject's test block (scipy's spearmanr on explicit pairs)."""
    folds = []
    for train, test in CV.split(X):
        selector = AISFeatureMapSelector().fit(X[train], y.iloc[train, train])
        support = selector.support_
        models = {
            "full": similarity_pairs(X[test], "cosine"),
            "retained": similarity_pairs(np.where(support, X, 0.0)[test], "cosine"),
        }
        scores = [
            {
                name: stats.spearmanr(pairs, upper(S.to_numpy()[np.ix_(test, test)]))[0]
                for name, pairs in models.items()
            }
            for S in subjects
        ]
        folds.append((test, support, scores))
    return folds


def test_per_subject_scores_match_a_loop(problem, result):
    X, y, subjects = problem
    table = result.scores
    assert list(table.columns) == ["fold", "subject", "full", "retained"]
    assert len(table) == 3 * len(subjects)
    for fold, (_, _, scores) in enumerate(_loop(X, y, subjects)):
        for s, expected in enumerate(scores):
            row = table[(table["fold"] == fold) & (table["subject"] == s)]
            assert len(row) == 1
            for name, value in expected.items():
                assert row[name].item() == pytest.approx(value, abs=1e-10)


def test_wilcoxon_is_scipys_on_the_per_subject_means(problem, result):
    X, y, subjects = problem
    folds = _loop(X, y, subjects)
    differences = np.array(
        [
            np.mean([f[2][s]["retained"] - f[2][s]["full"] for f in folds])
            for s in range(len(subjects))
        ]
    )
    np.testing.assert_allclose(
        result.per_subject["difference"].to_numpy(), differences, atol=1e-12
    )
    for alternative in ("two-sided", "greater", "less"):
        expected = stats.wilcoxon(differences, alternative=alternative)
        got = result.wilcoxon_test(alternative)
        assert got.statistic == pytest.approx(expected.statistic)
        assert got.pvalue == pytest.approx(expected.pvalue)
        assert got.n_subjects == len(subjects)
    assert result.wilcoxon == result.wilcoxon_test("two-sided")
    # 5 subjects: the exact two-sided test cannot reach 0.05, and says so.
    assert "cannot go below 0.0625" in result.wilcoxon.note


def _brute_dual_bootstrap(X, y, subjects, folds, n_bootstrap, seed):
    """Every sample's subjects drawn first, then each sample's images; a
    model's 2OI in a block is the mean of its 2OI with each drawn subject's
    block; explicit resampled pair lists (self-copies dropped) and scipy's
    spearmanr."""
    rng = np.random.RandomState(seed)
    n, k = len(X), len(subjects)
    drawn = rng.randint(0, k, (n_bootstrap, k))
    matrices = np.stack([S.to_numpy() for S in subjects])
    out = {"full": [], "retained": []}
    for b in range(n_bootstrap):
        counts = np.bincount(rng.randint(0, n, n), minlength=n)
        per_fold = {"full": [], "retained": []}
        for test, support, _ in folds:
            sample = [i for i in test for _ in range(counts[i])]
            pairs = [
                (sample[p], sample[q])
                for p in range(len(sample))
                for q in range(p + 1, len(sample))
                if sample[p] != sample[q]
            ]
            for name, keep in (("full", np.ones_like(support)), ("retained", support)):
                Z = np.where(keep, X, 0.0)
                model = [similarity_pairs(Z[[a, c]], "cosine")[0] for a, c in pairs]
                per_subject = [
                    stats.spearmanr(model, [matrices[s][a, c] for a, c in pairs])[0]
                    for s in drawn[b]
                ]
                per_fold[name].append(np.mean(per_subject))
        for name in out:
            out[name].append(np.mean(per_fold[name]))
    return {name: np.array(v) for name, v in out.items()}


def test_dual_bootstrap_matches_explicit_draws(problem, result):
    X, y, subjects = problem
    folds = _loop(X, y, subjects)
    draws = _brute_dual_bootstrap(X, y, subjects, folds, N_BOOTSTRAP, seed=0)
    draws["difference"] = draws["retained"] - draws["full"]
    table = result.bootstrap
    assert list(table.index) == ["full", "retained", "difference"]
    assert list(table.columns) == ["estimate", "se", "ci_low", "ci_high"]
    for name, values in draws.items():
        row = table.loc[name]
        assert row["se"] == pytest.approx(values.std(ddof=1), abs=1e-10)
        assert row["ci_low"] == pytest.approx(np.percentile(values, 2.5), abs=1e-10)
        assert row["ci_high"] == pytest.approx(np.percentile(values, 97.5), abs=1e-10)
    # The estimate: the observed statistic, the mean over folds and
    # subjects of each subject's 2OI.
    means = result.scores[["full", "retained"]].mean()
    assert table.loc["full", "estimate"] == pytest.approx(means["full"], abs=1e-12)
    assert table.loc["retained", "estimate"] == pytest.approx(
        means["retained"], abs=1e-12
    )
    assert table.loc["difference", "estimate"] == pytest.approx(
        means["retained"] - means["full"], abs=1e-12
    )


def test_summary_and_plain_values(result):
    text = result.summary()
    for label in ("Retained - Full", "Wilcoxon", "Dual bootstrap", "difference"):
        assert label in text
    content = result.to_dict()
    json.dumps(content, allow_nan=False)
    assert content["n_subjects"] == 5 and content["n_folds"] == 3
    assert [row["subject"] for row in content["per_subject"]] == list(range(5))
    assert content["bootstrap"]["difference"]["estimate"] == pytest.approx(
        result.bootstrap.loc["difference", "estimate"]
    )
    assert content["wilcoxon"]["pvalue"] == pytest.approx(result.wilcoxon.pvalue)
