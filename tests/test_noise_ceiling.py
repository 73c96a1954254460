"""Noise ceilings against loops over subjects with scipy."""

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
    ceiling = noise_ceiling(rdms, cv=CV, n_split_half=4, random_state=7)
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
    a = noise_ceiling(rdms, cv=CV, comparison="pearson", n_split_half=2)
    b = noise_ceiling(frames, cv=CV, comparison="pearson", n_split_half=2)
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
