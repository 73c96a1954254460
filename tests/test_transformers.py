"""Vision transformers as featurizers, and the exact closed form of their head.

The default suite runs tiny torchvision ``VisionTransformer``,
``SwinTransformer`` and ``MaxVit`` modules (32 px images); ``vit_b_16`` with
random weights only in the slow tests. The closed form
(``TokenNormEngine``) is checked against a brute-force loop that zeroes
maps and runs the head module again in float64, and against the generic
engine, which does the same in float32 chunks.
"""

import copy
import pickle

import numpy as np
import pytest
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import Pipeline

torch = pytest.importorskip("torch")
import torchvision  # noqa: E402
from _brute_force import (  # noqa: E402
    brute_force_per_image_ais,
    compare,
    similarity_pairs,
    upper,
)
from torch import nn  # noqa: E402
from torchvision.models import MaxVit, SwinTransformer, VisionTransformer  # noqa: E402

from sklearn_ais import (  # noqa: E402
    AISFeatureMapSelector,
    AISHeatmapExplainer,
    FeatureMaps,
    RSAScorer,
    TorchvisionFeaturizer,
)
from sklearn_ais._backbones import (  # noqa: E402
    _follow_weights_transforms,
    split_model,
    torchvision_backbone,
)
from sklearn_ais._engine import make_engine  # noqa: E402
from sklearn_ais._engine.heads import GenericEngine  # noqa: E402
from sklearn_ais._engine.token_norm import TokenNormEngine  # noqa: E402
from sklearn_ais._heads import (  # noqa: E402
    BlocksThenHead,
    PooledNormHead,
    TokenNormMeanHead,
)
from sklearn_ais.datasets import (  # noqa: E402
    make_alignment_problem,
    make_comparison_images,
)

SIMILARITIES = ["cosine", "pearson", "spearman", "euclidean"]


def tiny_vit(seed=0):
    torch.manual_seed(seed)
    return VisionTransformer(
        image_size=32,
        patch_size=8,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        mlp_dim=32,
    ).eval()


def tiny_swin(seed=0):
    torch.manual_seed(seed)
    return SwinTransformer(
        patch_size=[4, 4],
        embed_dim=8,
        depths=[1, 1],
        num_heads=[1, 2],
        window_size=[2, 2],
        stochastic_depth_prob=0.0,
        num_classes=10,
    ).eval()


def tiny_maxvit(seed=0):
    torch.manual_seed(seed)
    return MaxVit(
        input_size=(32, 32),
        stem_channels=8,
        partition_size=2,
        block_channels=[8, 16],
        block_layers=[1, 1],
        head_dim=4,
        stochastic_depth_prob=0.0,
        num_classes=10,
    ).eval()


def own_embedding(model, x):
    """The network's own normalised, pooled tokens, read with hooks on it."""
    out = {}
    if isinstance(model, VisionTransformer):
        module, read = model.encoder.ln, lambda o: o[:, 1:].mean(dim=1)
    elif isinstance(model, SwinTransformer):
        module, read = model.flatten, lambda o: o
    else:
        module, read = model.classifier[2], lambda o: o
    handle = module.register_forward_hook(lambda m, i, o: out.update(value=read(o)))
    try:
        with torch.inference_mode():
            model(x)
    finally:
        handle.remove()
    return out["value"]


def random_norm_head(n_maps, kind="tokens", seed=0):
    """A token-norm head with a random affine LayerNorm."""
    torch.manual_seed(seed)
    norm = nn.LayerNorm(n_maps, eps=1e-6)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.5, 0.5)
    return (TokenNormMeanHead if kind == "tokens" else PooledNormHead)(norm).eval()


def random_tokens(n_images, n_maps, size, seed=0):
    """Transformer-like maps: signed, with a per-channel offset."""
    rng = np.random.default_rng(seed)
    offset = rng.normal(0, 1, (1, n_maps, 1, 1))
    maps = rng.standard_normal((n_images, n_maps, size, size)) + offset
    return maps.astype(np.float32)


def naive_embeddings(maps, head, keep):
    """Zero the maps outside ``keep`` and run (a float64 copy of) the head."""
    masked = torch.as_tensor(np.asarray(maps), dtype=torch.float64).clone()
    masked[:, ~np.asarray(keep)] = 0.0
    with torch.inference_mode():
        return copy.deepcopy(head).double().eval()(masked).numpy()


def collect(chunks, n_maps):
    out = [None] * n_maps
    for start, stop, embeddings in chunks:
        for offset, emb in enumerate(embeddings):
            out[start + offset] = emb.double().numpy()
    return out


# --- the closed form ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["tokens", "pooled"])
@pytest.mark.parametrize("chunk_mb", [1e-6, 64])
def test_closed_form_embeddings_equal_brute_force(kind, chunk_mb):
    n_maps = 7
    maps = random_tokens(5, n_maps, 3)
    head = random_norm_head(n_maps, kind)
    engine = make_engine(maps, head, "cosine", chunk_mb=chunk_mb)
    assert isinstance(engine, TokenNormEngine)

    loo = collect(engine.leave_one_out_embeddings(), n_maps)
    for k in range(n_maps):
        keep = np.arange(n_maps) != k
        np.testing.assert_allclose(
            loo[k], naive_embeddings(maps, head, keep), rtol=0, atol=1e-12
        )
    order = np.random.default_rng(1).permutation(n_maps)
    prefixes = collect(engine.prefix_embeddings(order), n_maps)
    for m in range(1, n_maps + 1):
        keep = np.isin(np.arange(n_maps), order[:m])
        np.testing.assert_allclose(
            prefixes[m - 1], naive_embeddings(maps, head, keep), rtol=0, atol=1e-12
        )
    every = np.ones(n_maps, dtype=bool)
    np.testing.assert_allclose(
        engine._embed_all().numpy(), naive_embeddings(maps, head, every), atol=1e-12
    )
    keep = np.arange(n_maps) % 2 == 0
    assert engine.embed(keep).dtype == np.float32
    np.testing.assert_allclose(
        engine.embed(keep), naive_embeddings(maps, head, keep), rtol=1e-6, atol=1e-6
    )
    assert engine.embedding_dim == n_maps


def test_closed_form_without_affine_and_large_token_means():
    """No gamma/beta, tokens far from zero: float64 keeps the variance exact."""
    n_maps = 6
    maps = random_tokens(4, n_maps, 2, seed=3) * 0.01 + 50.0
    head = TokenNormMeanHead(nn.LayerNorm(n_maps, elementwise_affine=False))
    engine = make_engine(maps, head, "cosine")
    loo = collect(engine.leave_one_out_embeddings(), n_maps)
    for k in range(n_maps):
        keep = np.arange(n_maps) != k
        np.testing.assert_allclose(
            loo[k], naive_embeddings(maps, head, keep), rtol=1e-8, atol=1e-8
        )


def test_other_norms_use_the_generic_engine():
    head = TokenNormMeanHead(nn.Identity())
    engine = make_engine(random_tokens(4, 5, 2), head, "cosine")
    assert isinstance(engine, GenericEngine)


def naive_fit(maps, head, H, similarity, comparison):
    """Baseline, AIS and path by masking one configuration at a time (float64)."""
    n_maps = maps.shape[1]
    h = upper(H.to_numpy())

    def score(keep):
        embeddings = naive_embeddings(maps, head, keep)
        return compare(similarity_pairs(embeddings, similarity), h, comparison)

    every = np.ones(n_maps, dtype=bool)
    full_score = score(every)
    ais = np.array(
        [full_score - score(every & (np.arange(n_maps) != k)) for k in range(n_maps)]
    )
    order = np.argsort(-ais, kind="stable")
    path = [score(np.isin(np.arange(n_maps), order[:m])) for m in range(1, n_maps + 1)]
    return full_score, ais, np.array(path)


@pytest.mark.filterwarnings("ignore:.*no map with a positive AIS")
@pytest.mark.parametrize(
    "similarity,comparison",
    [(similarity, "spearman") for similarity in SIMILARITIES]
    + [("cosine", "pearson"), ("euclidean", "r2")],
)
def test_selector_and_explainer_equal_brute_force(similarity, comparison):
    n_maps, n_images = 6, 9
    head = random_norm_head(n_maps)
    maps = random_tokens(n_images, n_maps, 3, seed=2)
    _, H, _ = make_alignment_problem(n_images, 4, 2, random_state=3)
    X = FeatureMaps(maps, head=head)
    params = dict(similarity=similarity, comparison=comparison, device="cpu")
    selector = AISFeatureMapSelector(**params).fit(X, H)
    full_score, ais, path = naive_fit(maps, head, H, similarity, comparison)
    assert selector.full_score_ == pytest.approx(full_score, abs=1e-10)
    np.testing.assert_allclose(selector.ais_, ais, rtol=0, atol=1e-10)
    # Euclidean distances come from dot products and norms (as in every
    # engine): squared distances under 1e-12 of the norms count as 0. One
    # kept map makes some embeddings that close (1e-6 apart here).
    path_atol = 1e-8 if similarity == "euclidean" else 1e-10
    np.testing.assert_allclose(selector.scores_path_, path, rtol=0, atol=path_atol)

    explainer = AISHeatmapExplainer(featurizer="passthrough", **params).fit(X, H)

    def embed(m):
        return naive_embeddings(m, head, np.ones(n_maps, dtype=bool))

    _, per_image = brute_force_per_image_ais(
        maps, H.to_numpy(), similarity, comparison, embed=embed
    )
    np.testing.assert_allclose(explainer.ais_per_image_, per_image, rtol=0, atol=1e-10)


@pytest.mark.filterwarnings("ignore:.*no map with a positive AIS")
@pytest.mark.parametrize("similarity", SIMILARITIES)
def test_closed_form_equals_the_generic_engine(similarity):
    """Selector, explainer and explain: the same AIS as masking and re-running.

    The generic engine runs the head module (wrapped, so that it is not
    recognised) in float32; with Spearman comparisons the ranks, hence the
    scores, are the same.
    """
    n_maps, n_images = 6, 10
    head = random_norm_head(n_maps, seed=1)
    generic = nn.Sequential(head)
    maps = random_tokens(n_images, n_maps, 3, seed=4)
    _, H, _ = make_alignment_problem(n_images, 4, 2, random_state=5)
    fast = FeatureMaps(maps, head=head)
    slow = FeatureMaps(maps, head=generic)
    assert isinstance(make_engine(maps, generic, similarity), GenericEngine)

    params = dict(similarity=similarity, device="cpu")
    a = AISFeatureMapSelector(**params).fit(fast, H)
    b = AISFeatureMapSelector(**params).fit(slow, H)
    np.testing.assert_allclose(a.ais_, b.ais_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.scores_path_, b.scores_path_, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(a.support_, b.support_)

    fitted = slice(0, 7)
    new = slice(7, None)
    H_fit = H.iloc[fitted, fitted]
    a = AISHeatmapExplainer(featurizer="passthrough", **params).fit(fast[fitted], H_fit)
    b = AISHeatmapExplainer(featurizer="passthrough", **params).fit(slow[fitted], H_fit)
    np.testing.assert_allclose(a.ais_per_image_, b.ais_per_image_, rtol=0, atol=1e-10)
    cross = H.iloc[new, fitted]
    np.testing.assert_allclose(
        a.explain(fast[new], cross).ais_per_image,
        b.explain(slow[new], cross).ais_per_image,
        rtol=0,
        atol=1e-10,
    )


# --- the networks ------------------------------------------------------------

NETWORKS = {
    "vit": (tiny_vit, "encoder.layers.encoder_layer_1", TokenNormMeanHead),
    "swin": (tiny_swin, "features.3", TokenNormMeanHead),
    "maxvit": (tiny_maxvit, "blocks.1", PooledNormHead),
}


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_maps_and_head_are_the_networks_own(name):
    build, layer, head_class = NETWORKS[name]
    model = build()
    backbone = split_model(model)
    assert backbone.layer == layer and isinstance(backbone.head, head_class)
    norm = {
        "vit": lambda: model.encoder.ln,
        "swin": lambda: model.norm,
        "maxvit": lambda: model.classifier[2],
    }[name]()
    assert backbone.head.norm is norm  # shared, not copied
    x = torch.rand(3, 3, 32, 32)
    with torch.inference_mode():
        maps = backbone.trunk(x)
        embeddings = backbone.head(maps)
    assert maps.shape == (3, 16, 4, 4)
    torch.testing.assert_close(embeddings, own_embedding(model, x))


def test_vit_maps_are_the_patch_tokens_on_their_grid():
    model = tiny_vit()
    x = torch.rand(2, 3, 32, 32)
    out = {}
    block = model.encoder.layers[-1]
    handle = block.register_forward_hook(lambda m, i, o: out.update(tokens=o))
    with torch.inference_mode():
        model(x)
        maps = split_model(model).trunk(x)
    handle.remove()
    tokens = out["tokens"]  # (n, 1 + 16, C), class token first
    # Patch (row 1, column 2) of the 4 x 4 grid is token 1 + 1 * 4 + 2.
    torch.testing.assert_close(maps[:, :, 1, 2], tokens[:, 1 + 4 + 2])


def test_featurizer_takes_transformer_modules():
    images = np.random.default_rng(0).random((3, 40, 48, 3))
    feat = TorchvisionFeaturizer(model=tiny_vit(), input_size=32).fit(images)
    maps = feat.transform(images)
    assert maps.shape == (3, 16, 4, 4) and isinstance(maps.head, TokenNormMeanHead)
    assert feat.layer_ == "encoder.layers.encoder_layer_1" and feat.n_maps_ == 16
    assert feat.logits(images).shape == (3, 1000)
    # Swin takes any size: finer grids at larger inputs.
    swin = TorchvisionFeaturizer(model=tiny_swin(), input_size=48)
    assert swin.fit_transform(images).shape == (3, 16, 6, 6)


def test_fixed_input_sizes_are_refused():
    images = np.random.default_rng(0).random((2, 32, 32, 3))
    with pytest.raises(ValueError, match=r"takes 32 x 32 images only.*input_size=32"):
        TorchvisionFeaturizer(model=tiny_vit()).fit(images)
    with pytest.raises(ValueError, match="attention partitions"):
        TorchvisionFeaturizer(model=tiny_maxvit(), input_size=64).fit(images)
    feat = TorchvisionFeaturizer(model=tiny_maxvit(), input_size=32).fit(images)
    feat.set_params(input_size=(32, 64))
    with pytest.raises(ValueError, match="takes 32 x 32 images only"):
        feat.transform(images)


def test_cuts_whose_head_cannot_see_the_maps_are_refused():
    images = np.random.default_rng(0).random((2, 32, 32, 3))
    for layer in ("encoder.ln", "encoder"):
        feat = TorchvisionFeaturizer(model=tiny_vit(), layer=layer, input_size=32)
        with pytest.raises(ValueError, match="class token only.*every AIS would be 0"):
            feat.fit(images)
    with pytest.raises(ValueError, match="before its last block.*class token"):
        split_model(tiny_vit(), "encoder.layers.encoder_layer_0")
    with pytest.raises(ValueError, match="after one of its stages, features.0"):
        split_model(tiny_swin(), "norm")
    with pytest.raises(ValueError, match="blocks.0, blocks.1"):
        split_model(tiny_maxvit(), "classifier.2")


@pytest.mark.parametrize("name,layer", [("swin", "features.1"), ("maxvit", "blocks.0")])
def test_earlier_stages_run_the_rest_in_the_head(name, layer):
    model = NETWORKS[name][0]()
    backbone = split_model(model, layer)
    assert isinstance(backbone.head, BlocksThenHead)
    assert backbone.layer == layer
    x = torch.rand(2, 3, 32, 32)
    with torch.inference_mode():
        maps = backbone.trunk(x)
        torch.testing.assert_close(backbone.head(maps), own_embedding(model, x))
    engine = make_engine(maps.numpy(), backbone.head, "cosine")
    assert isinstance(engine, GenericEngine)


def test_named_transformers_build_and_follow_their_weights():
    backbone = torchvision_backbone("vit_b_32", weights=None)
    assert backbone.layer == "encoder.layers.encoder_layer_11"
    assert backbone.n_maps == 768 and backbone.fixed_input_size
    # Named weights: their transforms' mean and std (read without a download).
    weights = torchvision.models.ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1
    _follow_weights_transforms(backbone, weights)
    assert backbone.mean == (0.485, 0.456, 0.406)
    assert backbone.input_size == (224, 224)  # fixed: the network's own
    swin = split_model(tiny_swin())
    _follow_weights_transforms(swin, torchvision.models.Swin_V2_T_Weights.DEFAULT)
    assert swin.input_size == (256, 256)


def test_fitted_transformer_featurizer_pickles():
    images = np.random.default_rng(0).random((4, 32, 32, 3))
    feat = TorchvisionFeaturizer(model=tiny_vit(), input_size=32).fit(images)
    maps = feat.transform(images)
    restored = pickle.loads(pickle.dumps(feat))
    np.testing.assert_array_equal(restored.transform(images), maps)
    maps_again = pickle.loads(pickle.dumps(maps))
    assert isinstance(maps_again.head, TokenNormMeanHead)
    H = make_alignment_problem(4, 4, 2, random_state=0)[1]
    selector = AISFeatureMapSelector(device="cpu").fit(maps, H)
    again = pickle.loads(pickle.dumps(selector))
    np.testing.assert_array_equal(again.transform(maps), selector.transform(maps))


def test_pipeline_and_explainer_with_a_tiny_vit():
    data = make_comparison_images(n_images=12, image_size=32, random_state=0)
    featurizer = TorchvisionFeaturizer(
        model=tiny_vit(), weights=None, random_state=0, input_size=32
    )
    pipe = Pipeline([("feat", featurizer), ("ais", AISFeatureMapSelector())])
    scores = cross_val_score(
        pipe,
        data.images,
        data.similarity,
        cv=KFold(3, shuffle=True, random_state=0),
        scoring=RSAScorer(),
    )
    assert scores.shape == (3,) and np.isfinite(scores).all()

    # Images of different sizes: heatmaps at each one's own size.
    images = [image[: 32 - i % 3, : 32 + i % 2] for i, image in enumerate(data.images)]
    explainer = AISHeatmapExplainer(featurizer=featurizer).fit(images, data.similarity)
    assert explainer.ais_per_image_.shape == (12, 16)
    assert explainer.map_heatmaps_.shape[1:] == (4, 4)
    assert [h.shape for h in explainer.heatmaps_] == [i.shape[:2] for i in images]


def test_compare_architectures_runs_a_cnn_and_a_transformer():
    from sklearn_ais.model_selection import compare_architectures

    data = make_comparison_images(n_images=12, image_size=32, random_state=0)
    featurizers = {
        "ResNet-18": TorchvisionFeaturizer(
            model="resnet18", weights=None, random_state=0, input_size=32
        ),
        "tiny ViT": TorchvisionFeaturizer(model=tiny_vit(), input_size=32),
    }
    table = compare_architectures(
        featurizers,
        {"generated": (data.images, data.similarity)},
        cv=KFold(3, shuffle=True, random_state=0),
    )
    assert set(table["architecture"]) == {"ResNet-18", "tiny ViT"}
    n_maps = table.groupby("architecture")["n_maps"].first()
    assert n_maps["ResNet-18"] == 512 and n_maps["tiny ViT"] == 16
    assert np.isfinite(table[["full", "retained"]].to_numpy()).all()


# --- vit_b_16 (slow) -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*no map with a positive AIS")
def test_vit_b_16_pipeline_and_heatmaps():
    data = make_comparison_images(n_images=12, image_size=64, random_state=0)
    featurizer = TorchvisionFeaturizer(model="vit_b_16", weights=None, random_state=0)
    maps = featurizer.fit_transform(data.images)
    assert maps.shape == (12, 768, 14, 14)
    assert isinstance(maps.head, TokenNormMeanHead)
    pipe = Pipeline([("feat", "passthrough"), ("ais", AISFeatureMapSelector())])
    scores = cross_val_score(
        pipe,
        maps,
        data.similarity,
        cv=KFold(3, shuffle=True, random_state=0),
        scoring=RSAScorer(),
    )
    assert np.isfinite(scores).all()
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(maps, data.similarity)
    assert explainer.ais_per_image_.shape == (12, 768)
    assert explainer.map_heatmaps_.shape[1:] == (14, 14)
    # Through the featurizer, heatmaps come back at each image's size.
    explainer = AISHeatmapExplainer(featurizer=featurizer).fit(
        data.images, data.similarity
    )
    assert [h.shape for h in explainer.heatmaps_] == [(64, 64)] * 12


@pytest.mark.slow
def test_vit_b_16_head_closed_form_equals_generic_engine():
    torch.manual_seed(0)
    head = torchvision_backbone("vit_b_16", weights=None).head
    maps = random_tokens(5, 768, 14, seed=0)
    fast = make_engine(maps, head, "cosine")
    slow = make_engine(maps, nn.Sequential(head), "cosine", chunk_mb=16)
    checked = {0, 1, 400, 767}
    fast_loo = dict(
        (k, e[k - s].numpy())
        for s, t, e in fast.leave_one_out_embeddings()
        for k in checked & set(range(s, t))
    )
    for s, t, e in slow.leave_one_out_embeddings():
        for k in checked & set(range(s, t)):
            np.testing.assert_allclose(
                fast_loo[k], e[k - s].double().numpy(), rtol=1e-5, atol=1e-5
            )
