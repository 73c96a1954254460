"""Images in, human similarities out: featurizer and selector in one Pipeline."""

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
from sklearn import config_context  # noqa: E402
from sklearn.model_selection import KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from torchvision.transforms.functional import to_tensor  # noqa: E402

from sklearn_ais import (  # noqa: E402
    AISFeatureMapSelector,
    RSAScorer,
    TorchvisionFeaturizer,
    VGGFeaturizer,
)
from sklearn_ais._heads import GAPHead, VGGHead  # noqa: E402
from sklearn_ais.datasets import make_comparison_images  # noqa: E402


def tiny(image):
    """Small inputs keep the random-weight networks fast."""
    return to_tensor(image.resize((32, 32)))


@pytest.fixture(scope="module")
def data():
    return make_comparison_images(n_images=6, image_size=48, random_state=0)


def test_vgg_pipeline_fits_transforms_and_cross_validates(data):
    pipe = Pipeline(
        [
            ("feat", VGGFeaturizer(weights=None, random_state=0, preprocess=tiny)),
            ("ais", AISFeatureMapSelector(n_features_to_select=0.25)),
        ]
    )
    pipe.fit(data.images, data.similarity)
    selector = pipe.named_steps["ais"]
    # The selector found the VGG head through the featurizer's output.
    assert isinstance(selector.head_, VGGHead)
    assert selector.n_features_in_ == 512 and selector.n_features_ == 128
    assert pipe.transform(data.images).shape == (6, 4096)
    # The head's embedding dimensions are named after the selector.
    names = pipe.get_feature_names_out()
    assert len(names) == 4096 and names[0] == "aisfeaturemapselector0"

    scores = cross_val_score(
        pipe,
        data.images,
        data.similarity,
        cv=KFold(2, shuffle=True, random_state=0),
        scoring=RSAScorer(),
    )
    assert scores.shape == (2,) and np.isfinite(scores).all()


def test_gap_pipeline_matches_selector_on_precomputed_maps(data):
    featurizer = TorchvisionFeaturizer(model="resnet18", weights=None, preprocess=tiny)
    pipe = Pipeline([("feat", featurizer), ("ais", AISFeatureMapSelector())])
    pipe.fit(data.images, data.similarity)
    assert isinstance(pipe.named_steps["ais"].head_, GAPHead)
    # Computing the maps once and fitting the selector on them is the same
    # (weights=None draws new random weights at each fit: reuse the fitted one).
    maps = pipe.named_steps["feat"].transform(data.images)
    alone = AISFeatureMapSelector().fit(maps, data.similarity)
    np.testing.assert_array_equal(alone.ais_, pipe.named_steps["ais"].ais_)


def test_pipeline_feature_names_and_pandas_output(data):
    pipe = Pipeline(
        [
            ("feat", TorchvisionFeaturizer(model="resnet18", weights=None)),
            ("ais", AISFeatureMapSelector()),
        ]
    )
    pipe.set_params(feat__preprocess=tiny, feat__random_state=0)
    pipe.fit(data.images, data.similarity)
    # GAP: one output column per map, named after the featurizer's maps.
    names = pipe.get_feature_names_out()
    np.testing.assert_array_equal(
        names, pipe.named_steps["feat"].get_feature_names_out()
    )
    assert names[0] == "torchvisionfeaturizer0" and len(names) == 512

    # The featurizer's 4-D output cannot be a DataFrame, and says so...
    with pytest.raises(ValueError, match="4-D feature maps .* set_output on the steps"):
        pipe.set_output(transform="pandas")
    # ...while the steps after it can, and so can a global configuration.
    expected = pipe.transform(data.images)
    pipe.named_steps["ais"].set_output(transform="pandas")
    frame = pipe.transform(data.images)
    # The selector names its columns itself (maps carry no names): x0, x1...
    selector_names = pipe.named_steps["ais"].get_feature_names_out()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(selector_names)
    np.testing.assert_array_equal(frame.to_numpy(), expected)
    pipe.set_params(ais=AISFeatureMapSelector())
    with config_context(transform_output="pandas"):
        frame = pipe.fit(data.images, data.similarity).transform(data.images)
    assert isinstance(frame, pd.DataFrame)
    np.testing.assert_array_equal(frame.to_numpy(), expected)


@pytest.mark.parametrize("arch", ["resnet18", "regnet_y_400mf"])
def test_gap_architectures_equal_the_networks_own_pooling(arch, data):
    """Masked embeddings and AIS equal zeroing maps and running the model's
    own ``avgpool`` again (random weights, small images)."""
    from _brute_force import compare, similarity_pairs, upper

    featurizer = TorchvisionFeaturizer(model=arch, weights=None, preprocess=tiny).fit(
        data.images
    )
    maps = featurizer.transform(data.images)
    pool = featurizer.backbone_.model.avgpool

    def own_embeddings(keep):
        masked = torch.as_tensor(np.asarray(maps)).clone()
        masked[:, ~keep] = 0.0
        with torch.inference_mode():
            return pool(masked).flatten(1).double().numpy()

    n_maps = maps.shape[1]
    everything = np.ones(n_maps, dtype=bool)
    selector = AISFeatureMapSelector(n_features_to_select=5).fit(maps, data.similarity)
    np.testing.assert_allclose(
        selector.transform(maps),
        own_embeddings(selector.support_),
        rtol=1e-5,
        atol=1e-6,
    )
    h = upper(data.similarity.to_numpy())
    full_score = compare(
        similarity_pairs(own_embeddings(everything), "cosine"), h, "spearman"
    )
    assert selector.full_score_ == pytest.approx(full_score, abs=1e-6)
    for k in np.random.default_rng(0).choice(n_maps, 12, replace=False):
        keep = everything.copy()
        keep[k] = False
        masked = compare(
            similarity_pairs(own_embeddings(keep), "cosine"), h, "spearman"
        )
        assert selector.ais_[k] == pytest.approx(full_score - masked, abs=1e-6)
