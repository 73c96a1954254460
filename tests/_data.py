"""Test data shared by several test modules."""

import numpy as np
import pandas as pd
from _brute_force import compare, pair_similarity, similarity_matrix


def noisy_similarity(rng, n, noise=0.3):
    """Human-like similarities of ``n`` items: structure, symmetric noise.

    Cosine similarities of three random attributes per item plus symmetric
    noise; the diagonal holds the largest value of the matrix, as a
    self-similarity does (so ``target="auto"`` reads it as similarities).
    """
    H = similarity_matrix(rng.standard_normal((n, 3)), "cosine")
    jitter = np.triu(rng.standard_normal((n, n)) * noise, 1)
    H = H + jitter + jitter.T
    np.fill_diagonal(H, -np.inf)
    np.fill_diagonal(H, max(1.0, H.max()))
    return H


def unrate(H, fraction, seed=0):
    """``H`` with a random ``fraction`` of its pairs NaN on both sides."""
    H = np.array(H, dtype=np.float64)
    rows, cols = np.triu_indices(len(H), 1)
    drop = np.random.default_rng(seed).random(len(rows)) < fraction
    H[rows[drop], cols[drop]] = H[cols[drop], rows[drop]] = np.nan
    return H


def as_csv(tmp_path, H):
    """``H`` written as a CSV with empty cells for NaN, read back as users do."""
    ids = [f"img{i}" for i in range(len(H))]
    path = tmp_path / "ratings.csv"
    pd.DataFrame(H, index=ids, columns=ids).to_csv(path, na_rep="")
    return pd.read_csv(path, index_col=0)


def unrated_problem(n=9, p=6, fraction=0.3, seed=0):
    """Random embeddings and human similarities with a ``fraction`` unrated."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, p)), unrate(noisy_similarity(rng, n), fraction, seed)


def rated_compare(z, h, comparison):
    """The brute-force comparison on the rated pairs only."""
    rated = ~np.isnan(h)
    return compare(np.asarray(z)[rated], h[rated], comparison)


def pairs_of(E, similarity):
    n = len(E)
    return [
        pair_similarity(E[i], E[j], similarity)
        for i in range(n)
        for j in range(i + 1, n)
    ]
