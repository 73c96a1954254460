"""Noise ceilings against loops over subjects with scipy, and rsatoolbox."""

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.model_selection import KFold

from sklearn_ais.model_selection import noise_ceiling

CV = KFold(3, shuffle=True, random_state=0)


def _subjects(rng, n_subjects=5, n=24):
    common = rng.normal(size=(n, 3))
    rdms = []
    for _ in range(n_subjects):
        own = common + 0.8 * rng.normal(size=(n, 3))
        rdms.append(np.linalg.norm(own[:, None] - own[None], axis=-1))
    return np.array(rdms)


def _upper(matrix):
    rows, cols = np.triu_indices(len(matrix), 1)
    return matrix[rows, cols]


def test_bounds_and_split_half_match_loops():
    rng = np.random.default_rng(0)
    rdms = _subjects(rng)
    ceiling = noise_ceiling(rdms, cv=CV, pooling="mean", n_split_half=4, random_state=7)
    halvings = np.random.RandomState(7)
    orders = [halvings.permutation(5) for _ in range(4)]
    for fold, (_, test) in enumerate(CV.split(np.zeros(24))):
        block = rdms[:, test][:, :, test]
        for s in range(5):
            others = np.mean([block[t] for t in range(5) if t != s], axis=0)
            lower = stats.spearmanr(_upper(block[s]), _upper(others)).statistic
            upper = stats.spearmanr(_upper(block[s]), _upper(block.mean(0))).statistic
            row = ceiling.per_subject.iloc[fold * 5 + s]
            assert (row["fold"], row["subject"]) == (fold, s)
            assert row["lower"] == pytest.approx(lower, abs=1e-12)
            assert row["upper"] == pytest.approx(upper, abs=1e-12)
        r = np.mean(
            [
                stats.spearmanr(
                    _upper(block[o[:2]].mean(0)), _upper(block[o[2:4]].mean(0))
                ).statistic
                for o in orders
            ]
        )
        k = 5 / 2
        row = ceiling.split_half.iloc[fold]
        assert row["r_half"] == pytest.approx(r, abs=1e-12)
        assert row["reliability"] == pytest.approx(k * r / (1 + (k - 1) * r))
        assert row["attenuation_bound"] == pytest.approx(
            np.sqrt(max(row["reliability"], 0))
        )
    means = ceiling.to_frame().mean()
    assert means["lower"] < means["upper"]
    assert "Spearman-Brown" in ceiling.summary()


def test_frames_read_like_arrays_and_pearson():
    rng = np.random.default_rng(1)
    rdms = _subjects(rng, 4, 18)
    ids = [f"i{k}" for k in range(18)]
    frames = [pd.DataFrame(r, index=ids, columns=ids) for r in rdms]
    a = noise_ceiling(rdms, cv=CV, comparison="pearson", pooling="mean", n_split_half=2)
    b = noise_ceiling(
        frames, cv=CV, comparison="pearson", pooling="mean", n_split_half=2
    )
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    test = CV.split(np.zeros(18)).__next__()[1]
    block = rdms[:, test][:, :, test]
    expected = stats.pearsonr(_upper(block[0]), _upper(block[1:].mean(0))).statistic
    assert a.per_subject.iloc[0]["lower"] == pytest.approx(expected, abs=1e-12)


def test_bad_subject_matrices():
    rng = np.random.default_rng(2)
    rdms = _subjects(rng, 3, 12)
    with pytest.raises(ValueError, match="at least 2 subjects"):
        noise_ceiling(rdms[:1], cv=CV)
    with pytest.raises(ValueError, match="square matrix"):
        noise_ceiling(rdms[:, :, :5], cv=CV)
    ids = [f"i{k}" for k in range(12)]
    frames = [pd.DataFrame(r, index=ids, columns=ids) for r in rdms]
    frames[1] = frames[1].iloc[::-1, ::-1]
    with pytest.raises(ValueError, match="same ids"):
        noise_ceiling(frames, cv=CV)


def _pool_by_comparison(vectors, comparison):
    """Rank (Spearman) or z-score (Pearson) each subject's pairs, then average."""
    if comparison == "spearman":
        return np.mean([stats.rankdata(v) for v in vectors], axis=0)
    return np.mean([stats.zscore(v) for v in vectors], axis=0)


@pytest.mark.parametrize(
    "comparison, correlation",
    [("spearman", stats.spearmanr), ("pearson", stats.pearsonr)],
)
def test_pooling_by_the_comparison_matches_loops(comparison, correlation):
    rng = np.random.default_rng(3)
    rdms = _subjects(rng)
    ceiling = noise_ceiling(
        rdms, cv=CV, comparison=comparison, n_split_half=4, random_state=7
    )
    assert ceiling.pooling == "comparison"
    halvings = np.random.RandomState(7)
    orders = [halvings.permutation(5) for _ in range(4)]
    for fold, (_, test) in enumerate(CV.split(np.zeros(24))):
        # Dissimilarities (zero diagonal), read as similarities by negation.
        vectors = [-_upper(rdm[np.ix_(test, test)]) for rdm in rdms]
        everyone = _pool_by_comparison(vectors, comparison)
        for s in range(5):
            others = _pool_by_comparison(vectors[:s] + vectors[s + 1 :], comparison)
            row = ceiling.per_subject.iloc[fold * 5 + s]
            assert (row["fold"], row["subject"]) == (fold, s)
            lower = correlation(vectors[s], others).statistic
            upper = correlation(vectors[s], everyone).statistic
            assert row["lower"] == pytest.approx(lower, abs=1e-12)
            assert row["upper"] == pytest.approx(upper, abs=1e-12)
        r = np.mean(
            [
                correlation(
                    _pool_by_comparison([vectors[k] for k in o[:2]], comparison),
                    _pool_by_comparison([vectors[k] for k in o[2:4]], comparison),
                ).statistic
                for o in orders
            ]
        )
        assert ceiling.split_half.iloc[fold]["r_half"] == pytest.approx(r, abs=1e-12)
    assert "pooled by mean" in ceiling.summary()
    mean = noise_ceiling(rdms, cv=CV, comparison=comparison, pooling="mean")
    assert not np.allclose(
        ceiling.per_subject["upper"], mean.per_subject["upper"], rtol=0, atol=1e-9
    )


def test_subjects_read_differently_are_not_pooled():
    rng = np.random.default_rng(4)
    rdms = _subjects(rng, 3, 12)
    rdms[1] = -rdms[1]  # a similarity matrix (largest diagonal) among RDMs
    with pytest.raises(ValueError, match="subject 1's as similarity"):
        noise_ceiling(rdms, cv=CV)


def test_bad_pooling():
    rdms = _subjects(np.random.default_rng(5), 3, 12)
    with pytest.raises(ValueError, match="pooling"):
        noise_ceiling(rdms, cv=CV, pooling="ranks")


@pytest.fixture(scope="module")
def mur92():
    """Mur92, found as tests/test_mur92.py finds it (skipped if absent)."""
    from sklearn_ais import _mur92
    from sklearn_ais.datasets import load_mur92

    root = os.environ.get(
        "SKLEARN_AIS_DATA", str(Path(__file__).parents[2] / "shared" / "data")
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKLEARN_AIS_DATA", root)
        try:
            return load_mur92(data_home=_mur92._resolve_dir(None, download=False))
        except FileNotFoundError as exc:
            pytest.skip(str(exc))


@pytest.mark.parametrize(
    "comparison, method",
    [("spearman", "spearman"), ("pearson", "corr"), ("kendall", "tau-a")],
)
def test_bounds_reproduce_rsatoolbox_on_mur92(mur92, comparison, method):
    # rsatoolbox's leave-one-subject-out bounds over all 92 images (Nili et
    # al., 2014), its pool_rdm pooling by the comparison: one fold whose
    # test block is every image. (Spearman: 0.4770 and 0.5767.)
    from rsatoolbox.inference.noise_ceiling import boot_noise_ceiling
    from rsatoolbox.rdm import RDMs

    rdms = RDMs(mur92.subject_dissimilarities)
    with warnings.catch_warnings():
        # pool_rdm's note on tau: "Noise ceiling for tau based on averaged ranks!"
        warnings.filterwarnings("ignore", "Noise ceiling for tau", UserWarning)
        lower, upper = boot_noise_ceiling(rdms, method=method, rdm_descriptor="index")
    every_image = [(np.array([], dtype=int), np.arange(92))]
    ceiling = noise_ceiling(
        mur92.subject_dissimilarity_frames,
        cv=every_image,
        comparison=comparison,
        n_split_half=1,
    )
    means = ceiling.to_frame().mean()
    assert means["lower"] == pytest.approx(lower, abs=1e-6)
    assert means["upper"] == pytest.approx(upper, abs=1e-6)
    if comparison == "spearman":
        assert (round(lower, 4), round(upper, 4)) == (0.4770, 0.5767)
