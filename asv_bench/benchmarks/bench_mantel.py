"""asv benchmarks of Mantel's test of two fixed matrices (issue 21).

``sklearn_ais.metrics.mantel`` with 9,999 permutations, per method and number
of items. ``benchmarks/bench_mantel.py`` prints the same runs side by side with
scikit-bio's ``mantel``.
"""

import numpy as np
from scipy.spatial.distance import pdist, squareform

from sklearn_ais.metrics import mantel


def _matrices(n_items):
    rng = np.random.default_rng(0)
    x = squareform(pdist(rng.normal(size=(n_items, 5))))
    return x, 0.05 * x + squareform(pdist(rng.normal(size=(n_items, 5))))


class Mantel:
    """9,999 permutations of 50, 92 or 200 items."""

    params = ([50, 92, 200], ["pearson", "spearman", "kendall"])
    param_names = ["n_items", "method"]
    timeout = 300

    def setup(self, n_items, method):
        mantel(*_matrices(5), method=method, permutations=10)  # load the kernels
        self.x, self.y = _matrices(n_items)

    def time_mantel(self, n_items, method):
        mantel(self.x, self.y, method=method, permutations=9999)
