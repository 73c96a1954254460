"""Compiled loops only the GAP engine runs: masked statistics to similarities.

Each kernel builds a chunk of masked networks' similarities from the
unmasked embeddings' statistics, one masked network at a time while it sits
in cache, and hands each row to the row formulas of the numpy core's
kernels (``sklearn_ais._kernels``: ``_row_from_stats`` for pairs,
``_cross_row`` for per-image rows), so that every path shares one set of
formulas and snapping. Like those, they release the GIL and write into
arrays the caller allocates.
"""

import numpy as np

from .._kernels import _cross_row, _kernel, _row_from_stats


@_kernel
def leave_one_out_similarities(kind, features, totals, start, out):
    """Similarities with map ``start + c`` zeroed, into ``out[c]``.

    ``features`` is ``n x n_maps``; ``totals`` holds the statistics of the
    unmasked embeddings: pair dot products, sums, squared norms.
    """
    gram, sums, sq_norms = totals
    n, n_maps = features.shape
    masked_sums = np.empty(n)
    masked_sq_norms = np.empty(n)
    values = np.empty(n)
    scratch = np.empty((3, n))
    for c in range(out.shape[0]):
        row = out[c]
        for i in range(n):
            values[i] = features[i, start + c]
            masked_sums[i] = sums[i] - values[i]
            masked_sq_norms[i] = sq_norms[i] - values[i] * values[i]
        p = 0
        for i in range(n - 1):
            stop = p + n - 1 - i
            pairs, totals_ij, values_j = row[p:stop], gram[p:stop], values[i + 1 :]
            for j in range(pairs.shape[0]):
                pairs[j] = totals_ij[j] - values[i] * values_j[j]
            p = stop
        _row_from_stats(kind, row, masked_sums, masked_sq_norms, n_maps, scratch)


@_kernel
def prefix_similarities(kind, features, maps, before, out):
    """Similarities keeping the maps before a chunk and ``maps[:c + 1]``.

    ``before`` holds the statistics of the maps kept before the chunk. The
    chunk's own contributions are summed from zero, then added to
    ``before``, so the result does not depend on how far the chunk reaches.
    """
    gram, sums, sq_norms = before
    n, n_maps = features.shape
    running_gram = np.zeros(gram.shape[0])
    running_sums = np.zeros(n)
    running_sq_norms = np.zeros(n)
    kept_sums = np.empty(n)
    kept_sq_norms = np.empty(n)
    values = np.empty(n)
    scratch = np.empty((3, n))
    for c in range(out.shape[0]):
        row = out[c]
        for i in range(n):
            values[i] = features[i, maps[c]]
            running_sums[i] += values[i]
            running_sq_norms[i] += values[i] * values[i]
            kept_sums[i] = running_sums[i] + sums[i]
            kept_sq_norms[i] = running_sq_norms[i] + sq_norms[i]
        p = 0
        for i in range(n - 1):
            stop = p + n - 1 - i
            pairs, running, before_ij = row[p:stop], running_gram[p:stop], gram[p:stop]
            values_j = values[i + 1 :]
            for j in range(pairs.shape[0]):
                running[j] += values[i] * values_j[j]
                pairs[j] = running[j] + before_ij[j]
            p = stop
        _row_from_stats(kind, row, kept_sums, kept_sq_norms, n_maps, scratch)


@_kernel
def per_image_similarities(kind, features, gram, sums, sq_norms, terms, start, out):
    """Map ``start + c`` zeroed in one image at a time, into ``out[c]`` (n x n).

    ``out[c, t, j]`` is the similarity of image ``t`` without that map to
    image ``j`` unmasked. ``gram`` (n x n), ``sums`` and ``sq_norms`` are the
    unmasked embeddings' statistics and ``terms`` their ``column_terms``.
    """
    n, n_maps = features.shape
    for c in range(out.shape[0]):
        for t in range(n):
            value = features[t, start + c]
            row, gram_t = out[c, t], gram[t]
            for j in range(n):
                row[j] = gram_t[j] - value * features[j, start + c]
            _cross_row(
                kind,
                row,
                t,
                sums[t] - value,
                sq_norms[t] - value * value,
                n_maps,
                terms,
            )
