"""The compiled kernels in the environments users run them in."""

import subprocess
import sys
import textwrap


def test_import_and_fit_without_a_writable_numba_cache():
    # numba refuses cache=True when no cache directory is writable (read-only
    # site-packages, no home): the library must still import and fit.
    script = textwrap.dedent(
        """
        import numba.core.caching

        numba.core.caching.CacheImpl._locator_classes = []

        from sklearn_ais import AISFeatureMapSelector
        from sklearn_ais.datasets import make_alignment_problem

        X, H, _ = make_alignment_problem(12, 6, 2, random_state=0)
        selector = AISFeatureMapSelector().fit(X, H)
        print(selector.n_features_)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert 1 <= int(result.stdout.split()[-1]) <= 6
