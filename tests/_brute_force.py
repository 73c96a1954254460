"""A slow, plain reference implementation of AIS, written apart from the library.

Nothing here imports ``sklearn_ais``. Similarities come from
``scipy.spatial.distance`` (cosine, correlation, euclidean) or an explicit loop
with ``scipy.stats.spearmanr``; comparisons from ``scipy.stats`` (Kendall's
tau-a by an explicit double loop). Masking is done literally: copy ``X``, zero
the columns, recompute everything, one configuration at a time.

Conventions (those of the library's contract):

- a zero-norm vector has cosine similarity 0 with everything (itself included);
- a constant vector has Pearson / Spearman similarity 0 with everything;
- the Euclidean "similarity" is the negative distance;
- a comparison involving a constant vector (or a NaN) is NaN.
"""

import numpy as np
from scipy import stats
from scipy.spatial import distance

SIMILARITIES = ("cosine", "pearson", "spearman", "euclidean")
COMPARISONS = ("spearman", "pearson", "r2", "kendall")


def _is_constant(v):
    return bool(np.all(v == v[0]))


def pair_similarity(u, v, similarity):
    """Similarity of two vectors."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if similarity == "cosine":
        if not np.any(u) or not np.any(v):
            return 0.0
        return 1.0 - distance.cosine(u, v)
    if similarity == "pearson":
        if _is_constant(u) or _is_constant(v):
            return 0.0
        return 1.0 - distance.correlation(u, v)
    if similarity == "spearman":
        if _is_constant(u) or _is_constant(v):
            return 0.0
        return float(stats.spearmanr(u, v).statistic)
    if similarity == "euclidean":
        return -distance.euclidean(u, v)
    raise ValueError(similarity)


def similarity_pairs(E, similarity):
    """Upper triangle (row by row) of the similarity matrix of the rows of ``E``.

    Uses ``pdist`` where no zero-norm / constant rows make it undefined, and the
    explicit per-pair loop otherwise (and always for Spearman).
    """
    E = np.asarray(E, dtype=np.float64)
    if similarity == "euclidean":
        return -distance.pdist(E, "euclidean")
    if similarity == "cosine":
        degenerate = ~np.any(E, axis=1)
        metric = "cosine"
    elif similarity == "pearson":
        degenerate = np.array([_is_constant(row) for row in E])
        metric = "correlation"
    else:
        degenerate = np.ones(len(E), dtype=bool)  # always loop
        metric = None
    if not degenerate.any():
        return 1.0 - distance.pdist(E, metric)
    n = len(E)
    return np.array(
        [
            pair_similarity(E[i], E[j], similarity)
            for i in range(n)
            for j in range(i + 1, n)
        ]
    )


def similarity_matrix(E, similarity):
    """Full ``n x n`` similarity matrix, diagonal = self-similarity."""
    E = np.asarray(E, dtype=np.float64)
    n = len(E)
    M = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            M[i, j] = pair_similarity(E[i], E[j], similarity)
    return M


def upper(M):
    """Strict upper triangle of a square matrix, row by row (explicit loop)."""
    M = np.asarray(M)
    n = M.shape[0]
    return np.array([M[i, j] for i in range(n) for j in range(i + 1, n)])


def kendall_tau_a(a, b):
    """(concordant - discordant) / (n (n - 1) / 2), by a double loop."""
    n = len(a)
    total = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            total += np.sign(a[i] - a[j]) * np.sign(b[i] - b[j])
    return total / (n * (n - 1) / 2)


TIE_TOLERANCE = 1e-9


def snap_ties(v, tolerance=TIE_TOLERANCE):
    """Make values within ``tolerance`` (relative to the largest) exactly equal.

    Similarities that are equal in exact arithmetic (two parallel embeddings
    have cosine 1 with a third one's parallel twin, a single map makes every
    cosine +-1, ...) come out of floating point a few ulps apart. Rank-based
    comparisons would order that rounding noise; the reference treats such
    values as the ties they are. Consecutive sorted values closer than the
    tolerance are given the value of the first of their group.
    """
    v = np.asarray(v, dtype=np.float64).copy()
    if not np.isfinite(v).all() or len(v) == 0:
        return v
    scale = max(np.abs(v).max(), np.finfo(float).tiny)
    order = np.argsort(v, kind="stable")
    group_value = v[order[0]]
    previous = v[order[0]]
    for index in order:
        if v[index] - previous > tolerance * scale:
            group_value = v[index]
        previous = v[index]
        v[index] = group_value
    return v


def _is_nearly_constant(v, tolerance=TIE_TOLERANCE):
    """Constant up to rounding noise (see :func:`snap_ties`)."""
    return bool(np.ptp(v) <= tolerance * np.abs(v).max())


def compare(a, b, comparison):
    """Correlation of two vectors; NaN when one is (nearly) constant or holds NaN.

    For the rank-based comparisons (Spearman, Kendall) near-equal values are
    ties (see :func:`snap_ties`).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if np.isnan(a).any() or np.isnan(b).any():
        return np.nan
    if _is_nearly_constant(a) or _is_nearly_constant(b):
        return np.nan
    if comparison in ("spearman", "kendall"):
        a, b = snap_ties(a), snap_ties(b)
    if comparison == "spearman":
        return float(stats.spearmanr(a, b).statistic)
    if comparison == "pearson":
        return float(stats.pearsonr(a, b).statistic)
    if comparison == "r2":
        return float(stats.pearsonr(a, b).statistic) ** 2
    if comparison == "kendall":
        return kendall_tau_a(a, b)
    raise ValueError(comparison)


def score(X, h, similarity, comparison):
    """2OI of the rows of ``X`` against human pair similarities ``h``."""
    return compare(similarity_pairs(X, similarity), h, comparison)


def brute_force_ais(X, H, similarity="cosine", comparison="spearman"):
    """``(full_score, ais)``: zero each column of ``X`` in turn and recompute."""
    X = np.asarray(X, dtype=np.float64)
    h = upper(H)
    full_score = score(X, h, similarity, comparison)
    ais = np.empty(X.shape[1])
    for k in range(X.shape[1]):
        masked = X.copy()
        masked[:, k] = 0.0
        ais[k] = full_score - score(masked, h, similarity, comparison)
    return full_score, ais


def brute_force_subset(X, H, keep, similarity="cosine", comparison="spearman"):
    """2OI with only the columns in ``keep`` (indices) left, the others zeroed."""
    X = np.asarray(X, dtype=np.float64)
    masked = np.zeros_like(X)
    keep = list(keep)
    masked[:, keep] = X[:, keep]
    return score(masked, upper(H), similarity, comparison)


def brute_force_path(X, H, order, similarity="cosine", comparison="spearman"):
    """2OI of each prefix ``order[:m]``, ``m = 1 .. n_maps``."""
    order = list(order)
    return np.array(
        [
            brute_force_subset(X, H, order[:m], similarity, comparison)
            for m in range(1, len(order) + 1)
        ]
    )


def brute_force_per_image_ais(
    maps, H, similarity, comparison, embed=None, maps_to_check=None
):
    """``(full_score, ais)`` per image: mask map ``k`` in image ``t`` alone.

    ``embed`` turns maps ``(m, ...)`` into embeddings ``(m, d)`` (default: the
    rows themselves, the 2-D case). For each image ``t``: its ``n - 1``
    similarities to the other images (scipy, one pair at a time) compared
    with its ``n - 1`` human similarities; then again with map ``k`` zeroed
    in image ``t`` only and ``t``'s embedding recomputed. ``ais[t, k]`` is NaN
    for maps not in ``maps_to_check``.
    """
    maps = np.asarray(maps)
    embed = embed or (lambda m: np.asarray(m, dtype=np.float64))
    H = np.asarray(H, dtype=np.float64)
    n, n_maps = maps.shape[:2]
    E = embed(maps)
    checked = range(n_maps) if maps_to_check is None else maps_to_check

    def image_score(t, e_t):
        z = [pair_similarity(e_t, E[j], similarity) for j in range(n) if j != t]
        return compare(z, np.delete(H[t], t), comparison)

    full_score = np.array([image_score(t, E[t]) for t in range(n)])
    ais = np.full((n, n_maps), np.nan)
    for t in range(n):
        for k in checked:
            masked = maps[t : t + 1].copy()
            masked[0, k] = 0
            ais[t, k] = full_score[t] - image_score(t, embed(masked)[0])
    return full_score, ais


def brute_force_cross_per_image_ais(
    new_maps, fitted_maps, H_cross, similarity, comparison, embed=None
):
    """``(full_score, ais)`` of new images against fitted ones, one pair at a time.

    New image ``t``'s score compares its similarities to every fitted image
    with ``H_cross[t]``; ``ais[t, k]`` is the drop when map ``k`` is zeroed in
    ``t`` alone. ``embed`` as in :func:`brute_force_per_image_ais`.
    """
    new_maps = np.asarray(new_maps)
    embed = embed or (lambda m: np.asarray(m, dtype=np.float64))
    H_cross = np.asarray(H_cross, dtype=np.float64)
    fitted = embed(np.asarray(fitted_maps))

    def image_score(t, e_t):
        z = [pair_similarity(e_t, e_j, similarity) for e_j in fitted]
        return compare(z, H_cross[t], comparison)

    n, n_maps = new_maps.shape[:2]
    full_score = np.array(
        [image_score(t, embed(new_maps[t : t + 1])[0]) for t in range(n)]
    )
    ais = np.empty((n, n_maps))
    for t in range(n):
        for k in range(n_maps):
            masked = new_maps[t : t + 1].copy()
            masked[0, k] = 0
            ais[t, k] = full_score[t] - image_score(t, embed(masked)[0])
    return full_score, ais
