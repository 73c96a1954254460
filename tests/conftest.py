"""Fixtures shared by the test modules."""

import os
import subprocess
import sys
import textwrap

import matplotlib
import numpy as np
import pandas as pd
import pytest
from _data import noisy_similarity
from hypothesis import settings

# CI draws the same examples every run (.ci/run sets HYPOTHESIS_PROFILE=ci),
# so that its verdict is reproducible; a local run explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# No screen: figures are drawn to memory.
matplotlib.use("Agg")

# Makes torch unimportable in a fresh interpreter and records every attempt.
# scipy itself breaks when sys.modules["torch"] is None (its array-API layer
# looks attributes up on whatever sys.modules holds), so this is a meta-path
# hook, installed before sklearn_ais is imported.
_BLOCK_TORCH = """
import sys

class BlockTorch:
    tried = []

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "torchvision"):
            BlockTorch.tried.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, BlockTorch())
"""

_CHECK_NO_TORCH = """
assert "torch" not in sys.modules, "torch was imported"
assert not BlockTorch.tried, BlockTorch.tried
"""


@pytest.fixture
def run_without_torch():
    """Run Python code in a subprocess where torch cannot be imported.

    The code must not even try to import it; returns its standard output.
    """

    def run(code):
        source = _BLOCK_TORCH + textwrap.dedent(code) + _CHECK_NO_TORCH
        result = subprocess.run(
            [sys.executable, "-c", source], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    return run


@pytest.fixture
def item_ids():
    """A function giving ``n`` item ids such as ``"item00"``."""
    return lambda n: [f"item{i:02d}" for i in range(n)]


@pytest.fixture
def human_frame(item_ids):
    """A function giving a labelled human similarity DataFrame of ``n`` items."""

    def make(n, seed=0):
        ids = item_ids(n)
        H = noisy_similarity(np.random.default_rng(seed), n)
        return pd.DataFrame(H, index=ids, columns=ids)

    return make
