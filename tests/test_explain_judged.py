"""AISHeatmapExplainer.explain: per-image AIS of new images from their judgments."""

import numpy as np
import pandas as pd
import pytest
from _brute_force import COMPARISONS, SIMILARITIES, brute_force_cross_per_image_ais
from _data import noisy_similarity

from sklearn_ais import AISHeatmapExplainer, FeatureMaps
from sklearn_ais._engine import cross_ais, make_engine

N_FIT, N_NEW, C = 9, 4, 5


def _split(seed=0, shape=(3, 4), dtype=np.float64):
    rng = np.random.default_rng(seed)
    n = N_FIT + N_NEW
    maps = np.maximum(rng.standard_normal((n, C) + shape), 0).astype(dtype)
    maps[N_FIT, 2] = 0.0  # a map absent from one new image: its AIS is 0
    ids = [f"im{i}" for i in range(n)]
    H = pd.DataFrame(noisy_similarity(rng, n), index=ids, columns=ids)
    fit, new = ids[:N_FIT], ids[N_FIT:]
    return maps[:N_FIT], maps[N_FIT:], H.loc[fit, fit], H.loc[new, fit]


def _gap(maps):
    return np.asarray(maps, dtype=np.float64).mean(axis=(2, 3))


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("comparison", COMPARISONS)
def test_explain_equals_brute_force_with_a_gap_head(similarity, comparison):
    fit_maps, new_maps, H_fit, H_new = _split()
    explainer = AISHeatmapExplainer(
        featurizer="passthrough",
        similarity=similarity,
        comparison=comparison,
        chunk_mb=1e-6,  # one map per chunk
    ).fit(fit_maps, H_fit)
    result = explainer.explain(new_maps, H_new)
    full_score, ais = brute_force_cross_per_image_ais(
        new_maps, fit_maps, H_new, similarity, comparison, embed=_gap
    )
    np.testing.assert_allclose(result.full_score_per_image, full_score, atol=1e-10)
    np.testing.assert_allclose(result.ais_per_image, ais, atol=1e-10)
    assert (result.ais_per_image[0, 2] == 0.0) or similarity == "spearman"


@pytest.mark.parametrize("head_kind", ["vgg", "generic"])
@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_explain_equals_brute_force_with_torch_heads(head_kind, similarity):
    torch = pytest.importorskip("torch")
    from _torch_heads import small_generic_head, small_vgg_head

    head = (small_vgg_head if head_kind == "vgg" else small_generic_head)(C)

    def embed(maps):
        with torch.inference_mode():
            return head(torch.as_tensor(maps)).double().numpy()

    fit_maps, new_maps, H_fit, H_new = _split(seed=1, shape=(4, 6), dtype=np.float32)
    explainer = AISHeatmapExplainer(featurizer="passthrough", similarity=similarity)
    explainer.fit(FeatureMaps(fit_maps, head=head), H_fit)
    result = explainer.explain(FeatureMaps(new_maps, head=head), H_new)
    full_score, ais = brute_force_cross_per_image_ais(
        new_maps, fit_maps, H_new, similarity, "spearman", embed=embed
    )
    np.testing.assert_allclose(result.full_score_per_image, full_score, atol=1e-5)
    np.testing.assert_allclose(result.ais_per_image, ais, atol=1e-5)


@pytest.mark.parametrize("similarity", SIMILARITIES)
@pytest.mark.parametrize("engine_kind", ["gap", "gap_torch", "vgg"])
def test_cross_family_equals_brute_force_masking(engine_kind, similarity):
    # The engine's cross family itself, several chunks, against masking each
    # map of each new image and running the head again.
    fit_maps, new_maps, _, H_new = _split(seed=11, shape=(4, 6), dtype=np.float32)
    embed, atol = _gap, 1e-10
    if engine_kind == "gap":
        engine = make_engine(new_maps, None, similarity, chunk_mb=1e-6)
    elif engine_kind == "gap_torch":
        pytest.importorskip("torch")
        from sklearn_ais._engine.gap_torch import TorchGAPEngine

        engine = TorchGAPEngine(_gap(new_maps), similarity, "cpu", chunk_mb=1e-6)
    else:
        torch = pytest.importorskip("torch")
        from _torch_heads import small_vgg_head

        head = small_vgg_head(C)

        def embed(maps):
            with torch.inference_mode():
                return head(torch.as_tensor(maps)).double().numpy()

        engine, atol = make_engine(new_maps, head, similarity, chunk_mb=1e-3), 1e-5
    assert engine.cross(embed(fit_maps)).n_chunks > 1
    full_score, ais = cross_ais(engine, embed(fit_maps), H_new.to_numpy(), "spearman")
    expected = brute_force_cross_per_image_ais(
        new_maps, fit_maps, H_new, similarity, "spearman", embed=embed
    )
    np.testing.assert_allclose(full_score, expected[0], atol=atol)
    np.testing.assert_allclose(ais, expected[1], atol=atol)


def test_explain_heatmaps_weight_the_maps_by_the_new_ais():
    fit_maps, new_maps, H_fit, H_new = _split(seed=2)
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(fit_maps, H_fit)
    result = explainer.explain(new_maps, H_new)
    for t in range(N_NEW):
        w = np.maximum(result.ais_per_image[t], 0)
        if w.sum() == 0:
            continue
        expected = np.tensordot(w / w.sum(), new_maps[t], axes=1)
        np.testing.assert_allclose(result.map_heatmaps[t], expected, rtol=1e-5)
        np.testing.assert_array_equal(result.heatmaps[t], result.map_heatmaps[t])


def test_explain_reads_a_dissimilarity_block_as_negated_similarities():
    fit_maps, new_maps, H_fit, H_new = _split(seed=3)
    explainer = AISHeatmapExplainer(featurizer="passthrough")
    similar = explainer.fit(fit_maps, H_fit).explain(new_maps, H_new)
    dissimilar = explainer.fit(fit_maps, 1 - H_fit).explain(new_maps, 1 - H_new)
    assert explainer.target_ == "dissimilarity"
    np.testing.assert_allclose(dissimilar.ais_per_image, similar.ais_per_image)


def test_explain_reads_a_block_from_csv(tmp_path):
    fit_maps, new_maps, H_fit, H_new = _split(seed=4)
    H_new.to_csv(tmp_path / "block.csv")
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(fit_maps, H_fit)
    from_csv = explainer.explain(
        new_maps, pd.read_csv(tmp_path / "block.csv", index_col=0)
    )
    expected = explainer.explain(new_maps, H_new.to_numpy())
    np.testing.assert_array_equal(from_csv.ais_per_image, expected.ais_per_image)
    with pytest.raises(ValueError, match="index_col=0"):
        explainer.explain(new_maps, pd.read_csv(tmp_path / "block.csv"))


def test_explain_refuses_columns_in_another_order():
    fit_maps, new_maps, H_fit, H_new = _split(seed=5)
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(fit_maps, H_fit)
    shuffled = H_new[H_new.columns[::-1]]
    with pytest.raises(ValueError, match=r"columns of y .* same order.*y\.loc"):
        explainer.explain(new_maps, shuffled)


def test_explain_checks_rows_against_the_ids_of_x():
    fit_maps, new_maps, H_fit, H_new = _split(seed=6)
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(fit_maps, H_fit)
    labelled = FeatureMaps(new_maps, ids=H_new.index[::-1])
    with pytest.raises(ValueError, match=r"index \(rows\) of y"):
        explainer.explain(labelled, H_new)
    ok = explainer.explain(FeatureMaps(new_maps, ids=H_new.index), H_new)
    assert ok.ais_per_image.shape == (N_NEW, C)


@pytest.mark.parametrize(
    ("block", "match"),
    [
        (np.ones((N_NEW, N_FIT + 1)), "one column per fitted image"),
        (np.ones((N_NEW + 1, N_FIT)), "one row per new image"),
        (np.ones(N_FIT), "one row per new image"),
        (np.full((N_NEW, N_FIT), np.nan), "NaN"),
    ],
)
def test_explain_refuses_malformed_blocks(block, match):
    fit_maps, new_maps, H_fit, _ = _split(seed=7)
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(fit_maps, H_fit)
    with pytest.raises(ValueError, match=match):
        explainer.explain(new_maps, block)


def test_explain_refuses_an_explainer_fitted_on_embeddings():
    fit_maps, new_maps, _, H_new = _split(seed=8)
    target = np.random.default_rng(0).standard_normal((N_FIT, 3))
    explainer = AISHeatmapExplainer(featurizer="passthrough", target="embedding")
    explainer.fit(fit_maps, target)
    with pytest.raises(ValueError, match="target='embedding'"):
        explainer.explain(new_maps, H_new)


def test_explain_gives_nan_ais_and_a_warning_for_constant_judgments():
    fit_maps, new_maps, H_fit, H_new = _split(seed=9)
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(fit_maps, H_fit)
    block = H_new.to_numpy().copy()
    block[1] = 0.5
    with pytest.warns(UserWarning, match="1 image"):
        result = explainer.explain(new_maps, block)
    assert np.isnan(result.ais_per_image[1]).all()
    assert not np.any(result.map_heatmaps[1])
    assert np.isfinite(result.ais_per_image[[0, 2, 3]]).all()


def test_explain_reads_a_sliced_integer_index_of_x_as_positions():
    # As in fit: a default index that slicing left non-default is not ids.
    fit_maps, new_maps, H_fit, H_new = _split(seed=10)
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(fit_maps, H_fit)
    sliced = FeatureMaps(new_maps, ids=pd.Index([9, 10, 11, 12]))
    result = explainer.explain(sliced, H_new)
    expected = explainer.explain(new_maps, H_new)
    np.testing.assert_array_equal(result.ais_per_image, expected.ais_per_image)
