"""The torch GAP engine (``device="cuda"``) equals the numba GAP engine.

No GPU runs these tests: they run the torch engine on CPU torch, which is the
same code a CUDA device runs. Stated tolerance: ``ATOL`` on every AIS, path
score and full score; the ranks, the retained maps and the undefined (NaN)
scores are identical.
"""

import warnings

import numpy as np
import pytest
from _brute_force import COMPARISONS, SIMILARITIES
from _data import noisy_similarity
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

torch = pytest.importorskip("torch")

from sklearn_ais import (  # noqa: E402
    AISFeatureMapSelector,
    AISHeatmapExplainer,
    DeviceFallbackWarning,
    _engine,  # noqa: E402
)
from sklearn_ais._engine import (  # noqa: E402
    GAPEngine,
    engine_device,
    leave_one_out_ais,
    make_engine,
    selection_path,
)
from sklearn_ais._engine.gap_torch import (  # noqa: E402
    TorchGAPEngine,
    TorchPairComparison,
    average_ranks,
)
from sklearn_ais._similarity import PairComparison  # noqa: E402
from sklearn_ais.datasets import make_alignment_problem  # noqa: E402

ATOL = 1e-13
COMBINATIONS = [(s, c) for s in SIMILARITIES for c in COMPARISONS]


def _sparse_problem(seed=1, n=11, p=7):
    """ReLU-like maps with all-zero maps and images: many exact ties."""
    rng = np.random.default_rng(seed)
    X = np.maximum(rng.standard_normal((n, p)), 0.0)
    X[:, [1, 4]] = 0.0
    X[[3, 8]] = 0.0
    X[5] = 0.0
    X[5, 2] = 1.5
    H = noisy_similarity(rng, n)
    return X, H[np.triu_indices(n, 1)]


def _both(X, similarity, chunk_mb=64):
    return GAPEngine(X, similarity), TorchGAPEngine(X, similarity, "cpu", chunk_mb)


def _assert_close(a, b):
    a, b = np.asarray(a), np.asarray(b)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)


@pytest.fixture
def no_kendall_warning():
    # comparison="kendall" warns that it is scored on the CPU; tested below.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeviceFallbackWarning)
        yield


@given(
    st.lists(st.integers(-3, 3), min_size=1, max_size=30),
    st.integers(1, 4),
)
@settings(max_examples=50, deadline=None)
def test_average_ranks_equal_scipy(values, n_rows):
    """Exact tie handling: the ranks are scipy's, bit for bit."""
    rng = np.random.default_rng(len(values))
    rows = np.array([rng.permutation(values) for _ in range(n_rows)], dtype=float)
    rows[rows == 0] = -0.0  # -0.0 and 0.0 tie
    got = average_ranks(torch.tensor(rows)).numpy()
    np.testing.assert_array_equal(got, stats.rankdata(rows, axis=-1))


@pytest.mark.parametrize("comparison", ["spearman", "pearson", "r2"])
def test_comparison_equals_numba_with_ties_and_undefined_rows(comparison):
    rng = np.random.default_rng(0)
    human = np.round(rng.standard_normal(40), 1)
    candidates = np.round(rng.standard_normal((6, 40)), 1)  # many ties
    candidates[1] = 2.0  # constant: NaN
    candidates[2, 5] = np.inf  # not a similarity: NaN
    candidates[3, 7] = np.nan
    # Near-ties: distinct values a relative 1e-15 apart are ranked apart.
    candidates[4, :20] = 0.5 * (1 + np.arange(20) * 1e-15)
    with np.errstate(invalid="ignore"):
        want = PairComparison(human, comparison).score_many(candidates)
    got = TorchPairComparison(human, comparison, "cpu").score_many(
        torch.tensor(candidates)
    )
    assert np.isnan(got[1:4]).all()
    _assert_close(got, want)


@pytest.mark.usefixtures("no_kendall_warning")
@pytest.mark.parametrize(("similarity", "comparison"), COMBINATIONS)
@pytest.mark.parametrize("chunk_mb", [1e-6, 64])
def test_families_equal_numba(similarity, comparison, chunk_mb):
    """Dataset and per-image AIS and the selection path, every option."""
    X, human = _sparse_problem()
    numba, torch_engine = _both(X, similarity, chunk_mb)
    want = leave_one_out_ais(numba, human, comparison, per_image=True)
    got = leave_one_out_ais(torch_engine, human, comparison, per_image=True)
    for name in want._fields:
        _assert_close(getattr(got, name), getattr(want, name))
    # Maps that are zero everywhere change nothing: AIS exactly 0.
    assert (got.ais[[1, 4]] == 0).all()
    order = np.argsort(-np.nan_to_num(want.ais, nan=-np.inf), kind="stable")
    _assert_close(
        selection_path(torch_engine, order, human, comparison),
        selection_path(numba, order, human, comparison),
    )


@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_leave_one_out_does_not_depend_on_chunks(similarity):
    X, human = _sparse_problem(n=9, p=12)
    one, many = (TorchGAPEngine(X, similarity, "cpu", mb) for mb in (64, 1e-6))
    a = leave_one_out_ais(one, human, "spearman", per_image=True)
    b = leave_one_out_ais(many, human, "spearman", per_image=True)
    np.testing.assert_array_equal(a.ais, b.ais)
    np.testing.assert_array_equal(a.ais_per_image, b.ais_per_image)


def _use_torch_gap(monkeypatch):
    """Estimators get the torch GAP engine (on CPU torch) where the numba one was.

    Returns the list of the engines made.
    """
    made = []

    def torch_engine(features, similarity, chunk_mb, dtype=None):
        made.append(TorchGAPEngine(features, similarity, "cpu", chunk_mb, dtype))
        return made[-1]

    monkeypatch.setattr(_engine, "GAPEngine", torch_engine)
    return made


@pytest.mark.usefixtures("no_kendall_warning")
@pytest.mark.parametrize(("similarity", "comparison"), COMBINATIONS)
def test_selector_equals_numba(monkeypatch, similarity, comparison):
    """The same ``support_`` and ranking, ``ais_`` within ``ATOL``."""
    X, H, _ = make_alignment_problem(40, 24, 4, random_state=0)
    selector = AISFeatureMapSelector(similarity=similarity, comparison=comparison)
    want = selector.fit(X, H)
    want = {name: getattr(want, name) for name in ("ais_", "scores_path_")} | {
        "support_": want.support_.copy(),
        "ais_ranking_": want.ais_ranking_.copy(),
    }
    made = _use_torch_gap(monkeypatch)
    got = selector.fit(X, H)
    assert len(made) == 1
    np.testing.assert_array_equal(got.support_, want["support_"])
    np.testing.assert_array_equal(got.ais_ranking_, want["ais_ranking_"])
    _assert_close(got.ais_, want["ais_"])
    _assert_close(got.scores_path_, want["scores_path_"])


# Some image has no positive AIS; that warning is not what is tested here.
@pytest.mark.filterwarnings("ignore:.*no map with a positive AIS")
@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_explainer_per_image_ais_equals_numba(monkeypatch, similarity):
    X, H, _ = make_alignment_problem(20, 6, 2, random_state=1)
    maps = np.repeat(X[:, :, None, None], 2, axis=2).repeat(2, axis=3)
    explainer = AISHeatmapExplainer(featurizer="passthrough", similarity=similarity)
    want = explainer.fit(maps, H).ais_per_image_.copy()
    made = _use_torch_gap(monkeypatch)
    _assert_close(explainer.fit(maps, H).ais_per_image_, want)
    assert len(made) == 1


def test_kendall_is_scored_on_the_cpu_with_a_warning():
    X, human = _sparse_problem()
    engine = TorchGAPEngine(X, "cosine", "cpu")
    with pytest.warns(DeviceFallbackWarning, match="'kendall' has no torch"):
        engine.pair_comparison(human, "kendall")


def test_gap_maps_go_to_torch_only_on_an_accelerator(monkeypatch):
    X = np.random.default_rng(0).random((5, 3))
    assert engine_device(None, "auto") == "cpu"
    assert engine_device(None, "cpu") == "cpu"
    assert isinstance(make_engine(X, None, "cosine", device="cpu"), GAPEngine)
    assert isinstance(make_engine(X, None, "cosine", device="meta"), TorchGAPEngine)
    # No CUDA here: the numba path, with the fallback warning.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceFallbackWarning, match="'cuda' is not available"):
        assert engine_device(None, "cuda") == "cpu"
    # MPS has no float64: the numba path, with a warning.
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    with pytest.warns(DeviceFallbackWarning, match="MPS"):
        assert engine_device(None, "mps") == "cpu"


def test_selector_cuda_without_cuda_is_the_numba_result(monkeypatch):
    X, H, _ = make_alignment_problem(30, 10, 3, random_state=0)
    want = AISFeatureMapSelector().fit(X, H)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceFallbackWarning):
        got = AISFeatureMapSelector(device="cuda").fit(X, H)
    assert got.device_ == "cpu"
    np.testing.assert_array_equal(got.ais_, want.ais_)


def test_embed_needs_no_device():
    """``transform`` of a selector fitted on a GPU works where the GPU is gone."""
    X = np.random.default_rng(0).random((5, 4))
    keep = np.array([True, False, True, False])
    engine = TorchGAPEngine(X, "cosine", "cuda:7")
    np.testing.assert_array_equal(engine.embed(keep), X * keep)
