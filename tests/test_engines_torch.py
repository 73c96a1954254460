"""Exactness of the torch engines against a naive masking loop.

The naive loop zeroes maps and runs the head's own modules again, one
configuration at a time; the engines must give the same embeddings, AIS and
selection path, to float32 rounding, for every head type.
"""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone

torch = pytest.importorskip("torch")
from _brute_force import compare, similarity_pairs, upper  # noqa: E402
from _torch_heads import small_generic_head, small_vgg_head  # noqa: E402
from torchvision.models import vgg16  # noqa: E402

from sklearn_ais import AISFeatureMapSelector  # noqa: E402
from sklearn_ais._engine import make_engine  # noqa: E402
from sklearn_ais._engine.heads import GenericEngine, VGGEngine  # noqa: E402
from sklearn_ais._feature_maps import FeatureMaps  # noqa: E402
from sklearn_ais._heads import GAPHead, VGGHead  # noqa: E402
from sklearn_ais.datasets import make_alignment_problem  # noqa: E402

SIMILARITIES = ["cosine", "pearson", "spearman", "euclidean"]


def naive_embeddings(maps, head, keep):
    """Zero the maps outside ``keep`` and run the head again."""
    masked = torch.as_tensor(np.asarray(maps)).clone()
    masked[:, ~np.asarray(keep)] = 0.0
    with torch.inference_mode():
        return head.eval()(masked).double().numpy()


def naive_fit(maps, head, H, similarity):
    """Baseline, AIS and path by masking one configuration at a time."""
    n_maps = maps.shape[1]
    h = upper(H.to_numpy())

    def score(keep):
        return compare(
            similarity_pairs(naive_embeddings(maps, head, keep), similarity),
            h,
            "spearman",
        )

    everything = np.ones(n_maps, dtype=bool)
    full_score = score(everything)
    ais = np.array(
        [
            full_score - score(everything & (np.arange(n_maps) != k))
            for k in range(n_maps)
        ]
    )
    order = np.argsort(-ais, kind="stable")
    path = np.array(
        [score(np.isin(np.arange(n_maps), order[:m])) for m in range(1, n_maps + 1)]
    )
    return full_score, ais, path


def random_maps(n_images, n_maps, size, seed=0):
    rng = np.random.default_rng(seed)
    return np.maximum(rng.standard_normal((n_images, n_maps, size, size)), 0).astype(
        np.float32
    )


def collect(chunks, n_maps):
    out = [None] * n_maps
    for start, stop, embeddings in chunks:
        for offset, emb in enumerate(embeddings):
            out[start + offset] = emb.double().numpy()
    return out


HEADS = {
    "vgg": (small_vgg_head, VGGEngine, 4),
    "generic": (small_generic_head, GenericEngine, 3),
}


@pytest.mark.parametrize("kind", sorted(HEADS))
@pytest.mark.parametrize("chunk_mb", [1e-6, 64])
def test_masked_embeddings_equal_naive_loop(kind, chunk_mb):
    make_head, engine_class, size = HEADS[kind]
    n_maps = 7
    maps = random_maps(6, n_maps, size)
    head = make_head(n_maps)
    engine = make_engine(maps, head, "cosine", chunk_mb=chunk_mb)
    assert isinstance(engine, engine_class)

    loo = collect(engine.leave_one_out_embeddings(), n_maps)
    for k in range(n_maps):
        keep = np.arange(n_maps) != k
        np.testing.assert_allclose(
            loo[k], naive_embeddings(maps, head, keep), rtol=1e-5, atol=1e-5
        )

    order = np.random.default_rng(1).permutation(n_maps)
    prefixes = collect(engine.prefix_embeddings(order), n_maps)
    for m in range(1, n_maps + 1):
        keep = np.isin(np.arange(n_maps), order[:m])
        np.testing.assert_allclose(
            prefixes[m - 1], naive_embeddings(maps, head, keep), rtol=1e-5, atol=1e-5
        )

    keep = np.arange(n_maps) % 2 == 0
    np.testing.assert_allclose(
        engine.embed(keep), naive_embeddings(maps, head, keep), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("kind", sorted(HEADS) + ["gap"])
@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_selector_ais_and_path_equal_naive_loop(kind, similarity):
    n_maps, n_images = 6, 9
    if kind == "gap":
        head, size = GAPHead(), 3
    else:
        make_head, _, size = HEADS[kind]
        head = make_head(n_maps)
    maps = random_maps(n_images, n_maps, size, seed=2)
    _, H, _ = make_alignment_problem(n_images, 4, 2, random_state=3)
    X = FeatureMaps(maps, head=head)
    selector = AISFeatureMapSelector(similarity=similarity, device="cpu").fit(X, H)
    full_score, ais, path = naive_fit(maps, head, H, similarity)
    assert selector.full_score_ == pytest.approx(full_score, abs=1e-5)
    np.testing.assert_allclose(selector.ais_, ais, atol=1e-5)
    np.testing.assert_allclose(selector.scores_path_, path, atol=1e-5)


def test_torchvision_vgg16_head_equals_naive_loop():
    """The real VGG-16 head (random weights): 512 maps of 2 x 2."""
    torch.manual_seed(0)
    head = VGGHead.from_vgg(vgg16(weights=None).eval())
    maps = random_maps(3, 512, 2, seed=4)
    engine = make_engine(maps, head, "cosine", chunk_mb=16)
    checked = {0, 1, 200, 511}
    for start, stop, embeddings in engine.leave_one_out_embeddings():
        for k in checked & set(range(start, stop)):
            keep = np.arange(512) != k
            np.testing.assert_allclose(
                embeddings[k - start].numpy(),
                naive_embeddings(maps, head, keep),
                rtol=1e-4,
                atol=1e-5,
            )
    order = np.random.default_rng(0).permutation(512)
    for start, stop, embeddings in engine.prefix_embeddings(order):
        for m in {1, 100, 512} & set(range(start + 1, stop + 1)):
            keep = np.isin(np.arange(512), order[:m])
            np.testing.assert_allclose(
                embeddings[m - 1 - start].numpy(),
                naive_embeddings(maps, head, keep),
                rtol=1e-4,
                atol=1e-5,
            )


def test_generic_head_mode_is_restored():
    head = small_generic_head(4).train()
    maps = FeatureMaps(random_maps(5, 4, 3), head=head)
    _, H, _ = make_alignment_problem(5, 4, 2, random_state=0)
    selector = AISFeatureMapSelector(device="cpu").fit(maps, H)
    assert head.training and all(m.training for m in head.modules())
    # Eval mode was used: fitting twice gives identical results (no dropout).
    again = AISFeatureMapSelector(device="cpu").fit(maps, H)
    np.testing.assert_array_equal(selector.ais_, again.ais_)


def test_transform_uses_the_head_and_retained_maps():
    n_maps = 6
    head = small_vgg_head(n_maps)
    maps = FeatureMaps(random_maps(8, n_maps, 4), head=head)
    _, H, _ = make_alignment_problem(8, 4, 2, random_state=0)
    selector = AISFeatureMapSelector(n_features_to_select=3, device="cpu").fit(maps, H)
    out = selector.transform(maps)
    assert out.shape == (8, 24)
    np.testing.assert_allclose(
        out, naive_embeddings(maps, head, selector.support_), rtol=1e-5, atol=1e-6
    )
    # A plain array with the same maps uses the head seen in fit.
    np.testing.assert_allclose(selector.transform(np.asarray(maps)), out)
    names = selector.get_feature_names_out()
    assert len(names) == 24 and names[0] == "aisfeaturemapselector0"


def test_unavailable_device_falls_back_to_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    head = small_vgg_head(4)
    maps = FeatureMaps(random_maps(5, 4, 4), head=head)
    _, H, _ = make_alignment_problem(5, 4, 2, random_state=0)
    with pytest.warns(UserWarning, match="falling back to the CPU"):
        selector = AISFeatureMapSelector(device="cuda").fit(maps, H)
    assert selector.device_ == "cpu"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert AISFeatureMapSelector(device="auto").fit(maps, H).device_ == "cpu"


def test_fitted_selector_with_head_pickles():
    head = small_vgg_head(4)
    maps = FeatureMaps(random_maps(5, 4, 4), head=head)
    _, H, _ = make_alignment_problem(5, 4, 2, random_state=0)
    selector = AISFeatureMapSelector(device="cpu").fit(maps, H)
    restored = pickle.loads(pickle.dumps(selector))
    np.testing.assert_array_equal(restored.ais_, selector.ais_)
    np.testing.assert_allclose(restored.transform(maps), selector.transform(maps))
    maps_again = pickle.loads(pickle.dumps(maps))
    assert isinstance(maps_again.head, VGGHead)
    np.testing.assert_array_equal(np.asarray(maps_again), np.asarray(maps))


def test_feature_maps_keep_their_head_when_sliced():
    head = GAPHead()
    maps = FeatureMaps(random_maps(6, 3, 2), head=head)
    assert maps[[0, 2]].head is head
    assert maps[1:4].head is head
    assert not hasattr(np.asarray(maps), "head")


def test_vgg_chunks_and_threads_change_no_bit():
    """Chunk shapes and torch's threads per chunk do not change the results."""
    n_maps = 6
    maps = FeatureMaps(random_maps(9, n_maps, 4, seed=3), head=small_vgg_head(n_maps))
    _, H, _ = make_alignment_problem(9, 4, 2, random_state=3)
    threads = torch.get_num_threads()
    fits = [
        AISFeatureMapSelector(device="cpu", chunk_mb=chunk_mb, n_jobs=n_jobs).fit(
            maps, H
        )
        for chunk_mb in (1e-6, 0.03, 64)
        for n_jobs in (None, 1, 2)
    ]
    assert torch.get_num_threads() == threads
    for other in fits[1:]:
        np.testing.assert_array_equal(other.ais_, fits[0].ais_)
        np.testing.assert_array_equal(other.scores_path_, fits[0].scores_path_)


def test_fits_in_threads_restore_torch_threads():
    """Torch's thread count is global: concurrent fits restore the original."""
    from joblib import Parallel, delayed

    n_maps = 4
    maps = FeatureMaps(random_maps(6, n_maps, 4, seed=1), head=small_vgg_head(n_maps))
    _, H, _ = make_alignment_problem(6, 4, 2, random_state=1)
    threads = torch.get_num_threads()
    selector = AISFeatureMapSelector(device="cpu", chunk_mb=1e-6)
    fits = Parallel(n_jobs=3, prefer="threads")(
        delayed(clone(selector).fit)(maps, H) for _ in range(6)
    )
    assert torch.get_num_threads() == threads
    for other in fits[1:]:
        np.testing.assert_array_equal(other.ais_, fits[0].ais_)
