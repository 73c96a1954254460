"""Test data shared by several test modules."""

import numpy as np
from _brute_force import similarity_matrix


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
