"""Subjects as a random effect: per-subject scores, Wilcoxon, dual bootstrap."""

import json

import numpy as np
import pandas as pd
import pytest
from _brute_force import similarity_pairs, upper
from scipy import stats
from sklearn.model_selection import KFold
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.model_selection import (
    PairShuffleSplit,
    SubjectLevel,
    compare_across_subjects,
    compare_selection_controls,
)
from sklearn_ais.model_selection._bootstrap import (
    bootstrap_blocks,
    fold_blocks,
    interval_frame,
)
from sklearn_ais.model_selection._cv import run_cv
from sklearn_ais.model_selection._subjects import subject_level

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


def test_identical_subjects_add_nothing_to_the_image_bootstrap(problem):
    """A subject repeated 3 times: every draw of subjects gives its matrix, so
    the dual bootstrap is the image bootstrap with the same image draws."""
    X, _, subjects = problem
    one = subjects[0]
    dual = compare_across_subjects(
        AISFeatureMapSelector(), X, one, [one] * 3, cv=CV, n_bootstrap=N_BOOTSTRAP
    )
    _, _, splits, estimators = run_cv(
        AISFeatureMapSelector(), X, one, cv=CV, return_estimator=True
    )
    blocks = fold_blocks(estimators, splits, X, one)
    rng = np.random.RandomState(0)
    rng.randint(0, 3, (N_BOOTSTRAP, 3))  # the subject draws come first
    draws = bootstrap_blocks(blocks, len(X), N_BOOTSTRAP, "spearman", rng)
    draws["difference"] = draws["retained"] - draws["full"]
    scores = dual.scores.groupby("fold")[["full", "retained"]].mean()
    estimates = {
        "full": scores["full"].mean(),
        "retained": scores["retained"].mean(),
        "difference": (scores["retained"] - scores["full"]).mean(),
    }
    expected = interval_frame(estimates, draws, 0.95)
    pd.testing.assert_frame_equal(dual.bootstrap, expected, atol=1e-12, rtol=0)
    # Every subject is the same one: the same scores three times per fold.
    assert (dual.scores.groupby("fold")["full"].nunique() == 1).all()
    # And subject_level, on those fitted folds, is compare_across_subjects.
    again = subject_level(
        blocks,
        [one] * 3,
        ids=one.index,
        n_images=len(X),
        comparison="spearman",
        n_bootstrap=N_BOOTSTRAP,
    )
    pd.testing.assert_frame_equal(again.scores, dual.scores)
    pd.testing.assert_frame_equal(again.bootstrap, dual.bootstrap)


def test_mur92_shaped_dissimilarities_read_as_the_similarities(problem, result):
    """Labelled RDMs (zero diagonal, larger = more different), as
    load_mur92().subject_dissimilarity_frames: each is a decreasing linear map
    of a similarity matrix, so Spearman gives the same result."""
    X, y, subjects = problem
    rdms = [S.to_numpy().max() - S for S in subjects]
    for rdm in rdms:
        assert (np.diag(rdm) == 0).all()
    names = [f"subject {k}" for k in range(len(rdms))]
    other = compare_across_subjects(
        AISFeatureMapSelector(),
        X,
        sum(rdms) / len(rdms),
        rdms,
        cv=CV,
        subjects_target="dissimilarity",
        subject_names=names,
        n_bootstrap=N_BOOTSTRAP,
    )
    assert other.per_subject.index.tolist() == names
    np.testing.assert_allclose(
        other.scores[["full", "retained"]], result.scores[["full", "retained"]]
    )
    pd.testing.assert_frame_equal(other.bootstrap, result.bootstrap, atol=1e-10)
    # An array of shape (n_subjects, n, n) reads as the DataFrames do.
    stacked = np.stack([rdm.to_numpy() for rdm in rdms])
    array = compare_across_subjects(
        AISFeatureMapSelector(),
        X,
        sum(rdms) / len(rdms),
        stacked,
        cv=CV,
        n_bootstrap=0,
    )
    assert array.bootstrap is None
    pd.testing.assert_frame_equal(array.scores, result.scores)


def test_ids_must_be_the_studys_in_its_order(problem):
    X, y, subjects = problem
    selector = AISFeatureMapSelector()
    shuffled = [S.iloc[::-1, ::-1] for S in subjects]
    with pytest.raises(ValueError, match="same ids in another order"):
        compare_across_subjects(selector, X, y, shuffled, cv=CV, n_bootstrap=0)
    renamed = [S.rename(index=str.upper, columns=str.upper) for S in subjects]
    with pytest.raises(ValueError, match="other ids.*not in the study"):
        compare_across_subjects(selector, X, y, renamed, cv=CV, n_bootstrap=0)
    fewer = [S.iloc[:-1, :-1] for S in subjects]
    with pytest.raises(ValueError, match="describe 35 items.*36 images"):
        compare_across_subjects(selector, X, y, fewer, cv=CV, n_bootstrap=0)


def test_bad_subjects_are_refused_before_fitting(problem):
    X, y, subjects = problem
    selector = AISFeatureMapSelector()
    with pytest.raises(ValueError, match="at least 2 subjects; got 1"):
        compare_across_subjects(selector, X, y, subjects[:1], cv=CV)
    unrated = subjects[0].copy()
    unrated.iloc[0, 1] = unrated.iloc[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        compare_across_subjects(selector, X, y, [unrated, subjects[1]], cv=CV)
    mixed = [subjects[0], subjects[1].to_numpy().max() - subjects[1]]
    with pytest.raises(ValueError, match="subject 1 as dissimilarity"):
        compare_across_subjects(selector, X, y, mixed, cv=CV)
    with pytest.raises(ValueError, match="2 distinct names"):
        compare_across_subjects(
            selector, X, y, subjects[:2], subject_names=["a", "a"], cv=CV
        )
    with pytest.raises(ValueError, match="PairShuffleSplit"):
        compare_across_subjects(selector, X, y, subjects, cv=PairShuffleSplit())
    with pytest.raises(InvalidParameterError, match="subjects_target"):
        compare_across_subjects(
            selector, X, y, subjects, subjects_target="embedding", cv=CV
        )


def test_all_zero_differences_give_a_nan_test_with_a_note():
    scores = pd.DataFrame(
        {"fold": [0, 0, 0], "subject": ["a", "b", "c"], "full": [0.2, 0.3, 0.1]}
    )
    scores["retained"] = scores["full"]
    result = SubjectLevel(scores)
    test = result.wilcoxon
    assert np.isnan(test.statistic) and np.isnan(test.pvalue)
    assert "none of the 3 subjects" in test.note
    assert "none of the 3 subjects" in result.summary()
    assert result.to_dict()["wilcoxon"]["pvalue"] is None
    with pytest.raises(ValueError, match="alternative"):
        result.wilcoxon_test("bigger")


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


def test_the_study_computes_it_on_its_own_folds(problem, result):
    """compare_selection_controls(subjects=...) reuses its fitted folds and
    gives what compare_across_subjects gives on the same folds and seed."""
    X, y, subjects = problem
    controls = compare_selection_controls(
        AISFeatureMapSelector(),
        X,
        y,
        cv=CV,
        n_random=2,
        n_bootstrap=N_BOOTSTRAP,
        subjects=subjects,
    )
    pd.testing.assert_frame_equal(controls.subjects.scores, result.scores)
    pd.testing.assert_frame_equal(controls.subjects.bootstrap, result.bootstrap)
    # Without subjects there is none; bad subjects fail before any fitting.
    plain = compare_selection_controls(AISFeatureMapSelector(), X, y, cv=CV)
    assert plain.subjects is None
    with pytest.raises(ValueError, match="at least 2 subjects"):
        compare_selection_controls(
            AISFeatureMapSelector(), X, y, cv=CV, subjects=subjects[:1]
        )
