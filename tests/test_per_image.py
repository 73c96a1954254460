"""Per-image AIS: exact against a brute-force masking loop, and its invariants."""

import numpy as np
import pytest
from _brute_force import (
    COMPARISONS,
    SIMILARITIES,
    brute_force_ais,
    brute_force_per_image_ais,
)
from _data import noisy_similarity
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from joblib import parallel_config

from sklearn_ais._engine import leave_one_out_ais, make_engine
from sklearn_ais._human import read_human_pairs

ATOL = 1e-10
COMBINATIONS = [(s, c) for s in SIMILARITIES for c in COMPARISONS]


def _problem(kind, seed=0, n=9, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if kind == "sparse":
        X = np.maximum(X, 0.0)
        X[:, 1] = 0.0
        X[4] = 0.0
        X[4, 2] = 1.0
    return X, noisy_similarity(rng, n)


def _per_image(maps, H, similarity, comparison, head=None, **params):
    engine = make_engine(maps, head, similarity, device="cpu", **params)
    pairs = read_human_pairs(H, len(maps)).pairs
    return leave_one_out_ais(engine, pairs, comparison, per_image=True)


@pytest.mark.parametrize("kind", ["gaussian", "sparse"])
@pytest.mark.parametrize("similarity, comparison", COMBINATIONS)
def test_per_image_ais_equals_brute_force_on_features(kind, similarity, comparison):
    X, H = _problem(kind)
    scores = _per_image(X, H, similarity, comparison)
    full_score, ais = brute_force_per_image_ais(X, H, similarity, comparison)
    np.testing.assert_allclose(
        scores.full_score_per_image, full_score, rtol=0, atol=ATOL
    )
    np.testing.assert_allclose(scores.ais_per_image, ais, rtol=0, atol=ATOL)
    # The dataset AIS of the same pass are those of the dataset brute force.
    dataset_full_score, dataset_ais = brute_force_ais(X, H, similarity, comparison)
    assert scores.full_score == pytest.approx(dataset_full_score, abs=ATOL)
    np.testing.assert_allclose(scores.ais, dataset_ais, rtol=0, atol=ATOL)


def test_per_image_alone_equals_per_image_with_dataset():
    X, H = _problem("gaussian", seed=3)
    engine = make_engine(X, None, "cosine")
    pairs = read_human_pairs(H, len(X)).pairs
    both = leave_one_out_ais(engine, pairs, "spearman", per_image=True)
    alone = leave_one_out_ais(engine, pairs, "spearman", dataset=False, per_image=True)
    assert alone.ais is None
    np.testing.assert_array_equal(alone.ais_per_image, both.ais_per_image)


def test_authors_reading_is_pearson_on_pearson():
    # The authors' released code: np.corrcoef between embeddings, then a
    # Pearson correlation per image.
    X, H = _problem("gaussian", seed=4)
    scores = _per_image(X, H, "pearson", "pearson")
    E = X - X.mean(axis=1, keepdims=True)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    Z = np.corrcoef(X)
    for t in (0, 5):
        z, h = np.delete(Z[t], t), np.delete(H[t], t)
        assert scores.full_score_per_image[t] == pytest.approx(
            np.corrcoef(z, h)[0, 1], abs=1e-12
        )


# --- torch heads ---------------------------------------------------------------------


torch = pytest.importorskip("torch")


def _torch_embed(head):
    def embed(maps):
        with torch.inference_mode():
            return head.eval()(torch.as_tensor(maps)).double().numpy()

    return embed


@pytest.mark.parametrize("head_kind", ["vgg", "generic"])
@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_per_image_ais_equals_brute_force_on_torch_heads(head_kind, similarity):
    n, n_maps = 8, 5
    from _torch_heads import small_generic_head, small_vgg_head

    head = (small_vgg_head if head_kind == "vgg" else small_generic_head)(n_maps)
    rng = np.random.default_rng(5)
    # Non-square maps.
    maps = np.maximum(rng.standard_normal((n, n_maps, 4, 6)), 0).astype(np.float32)
    H = noisy_similarity(rng, n)
    scores = _per_image(maps, H, similarity, "spearman", head=head, chunk_mb=1e-6)
    full_score, ais = brute_force_per_image_ais(
        maps, H, similarity, "spearman", embed=_torch_embed(head)
    )
    np.testing.assert_allclose(scores.full_score_per_image, full_score, atol=1e-5)
    np.testing.assert_allclose(scores.ais_per_image, ais, atol=1e-5)


@pytest.mark.parametrize("architecture", ["resnet18", "regnet_y_400mf"])
def test_per_image_ais_on_gap_architectures(architecture):
    from sklearn_ais._backbones import torchvision_backbone

    torch.manual_seed(0)
    backbone = torchvision_backbone(architecture, weights=None)
    rng = np.random.default_rng(6)
    images = torch.as_tensor(rng.uniform(0, 1, (7, 3, 48, 64)), dtype=torch.float32)
    with torch.inference_mode():
        maps = backbone.trunk.eval()(images).numpy()
    H = noisy_similarity(rng, len(maps))
    scores = _per_image(maps, H, "cosine", "spearman", head=backbone.head)
    checked = [0, 3, maps.shape[1] // 2, maps.shape[1] - 1]
    full_score, ais = brute_force_per_image_ais(
        maps,
        H,
        "cosine",
        "spearman",
        embed=_torch_embed(backbone.head),
        maps_to_check=checked,
    )
    np.testing.assert_allclose(scores.full_score_per_image, full_score, atol=1e-6)
    np.testing.assert_allclose(
        scores.ais_per_image[:, checked], ais[:, checked], atol=1e-6
    )


# --- invariants ----------------------------------------------------------------------

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def problems(draw):
    n = draw(st.integers(4, 10))
    p = draw(st.integers(2, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.standard_normal((n, p))
    if draw(st.booleans()):
        X = np.maximum(X, 0.0)  # zeros: masking them must change nothing
    return X, noisy_similarity(rng, n)


closed_forms = st.sampled_from(["cosine", "pearson", "euclidean"])


def _drawn(X, H, similarity, comparison, **params):
    try:
        return _per_image(X, H, similarity, comparison, **params)
    except ValueError as error:
        # Degenerate draw: the model similarities are constant.
        assume("constant" not in str(error))
        raise


@SETTINGS
@given(problems(), closed_forms, st.sampled_from(COMPARISONS), st.data())
def test_permuting_images_permutes_rows(problem, similarity, comparison, data):
    X, H = problem
    perm = np.array(data.draw(st.permutations(range(len(X)))))
    base = _drawn(X, H, similarity, comparison)
    permuted = _drawn(X[perm], H[np.ix_(perm, perm)], similarity, comparison)
    np.testing.assert_allclose(
        permuted.ais_per_image, base.ais_per_image[perm], rtol=0, atol=1e-9
    )


@SETTINGS
@given(problems(), closed_forms, st.sampled_from(COMPARISONS))
def test_masking_a_zero_map_changes_nothing(problem, similarity, comparison):
    X, H = problem
    scores = _drawn(X, H, similarity, comparison)
    zero = X == 0.0
    defined = np.isfinite(scores.full_score_per_image)[:, None] & zero
    assert (scores.ais_per_image[defined] == 0.0).all()


@SETTINGS
@given(problems(), st.sampled_from(SIMILARITIES), st.sampled_from(COMPARISONS))
def test_chunks_and_threads_change_nothing(problem, similarity, comparison):
    X, H = problem
    reference = _drawn(X, H, similarity, comparison)
    tiny = _drawn(X, H, similarity, comparison, chunk_mb=1e-6)
    with parallel_config(backend="threading", n_jobs=2):
        threaded = _drawn(X, H, similarity, comparison, chunk_mb=1e-6)
    for other in (tiny, threaded):
        np.testing.assert_array_equal(other.ais_per_image, reference.ais_per_image)
        np.testing.assert_array_equal(other.ais, reference.ais)
