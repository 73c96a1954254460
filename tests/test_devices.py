"""One device convention: ``device_`` is a str, one warning class for the fallback."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from sklearn_ais import (  # noqa: E402
    AISFeatureMapSelector,
    AISHeatmapExplainer,
    DeviceFallbackWarning,
    FeatureMaps,
    TorchvisionFeaturizer,
)


def _images():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (6, 24, 24, 3), dtype=np.uint8)


def _maps():
    rng = np.random.default_rng(0)
    # A head that is not global average pooling: the torch engine runs it.
    head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 2 * 2, 3)).eval()
    return FeatureMaps(rng.random((6, 4, 2, 2)), head=head)


def _human():
    rng = np.random.default_rng(1)
    points = rng.random((6, 2))
    return -np.abs(points[:, None, 0] - points[None, :, 0]) + np.eye(6)


def _fit(estimator):
    if isinstance(estimator, AISFeatureMapSelector):
        return estimator.fit(_maps(), _human())
    return estimator.fit(_images())


ESTIMATORS = {
    "featurizer": lambda device: TorchvisionFeaturizer(
        model="resnet18", weights=None, random_state=0, input_size=32, device=device
    ),
    "selector": lambda device: AISFeatureMapSelector(device=device),
}


@pytest.mark.parametrize("name", ESTIMATORS)
def test_device_is_a_str(name):
    estimator = _fit(ESTIMATORS[name]("cpu"))
    assert isinstance(estimator.device_, str) and estimator.device_ == "cpu"


@pytest.mark.parametrize("name", ESTIMATORS)
def test_fallback_warning_is_one_class(monkeypatch, name):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    estimator = ESTIMATORS[name]("cuda")
    with pytest.warns(DeviceFallbackWarning, match="'cuda' is not available"):
        _fit(estimator)
    assert estimator.device_ == "cpu"
    assert issubclass(DeviceFallbackWarning, UserWarning)


ESTIMATORS_AND_EXPLAINER = {
    **ESTIMATORS,
    "explainer": lambda device: AISHeatmapExplainer(
        featurizer="passthrough", device=device
    ),
}


@pytest.mark.parametrize("name", ESTIMATORS_AND_EXPLAINER)
def test_pickle_from_a_gpu_loads_on_the_cpu(monkeypatch, name):
    # Fitted on a GPU machine (device_ "cuda", as fit leaves it there), then
    # loaded where there is none: the CPU with the one warning class, and it
    # still transforms. The CUDA tensors themselves are moved to the CPU by
    # __getstate__ (not testable without a GPU).
    estimator = ESTIMATORS_AND_EXPLAINER[name]("cpu")
    if name == "explainer":
        maps = _maps()  # one head: _maps() draws a new one each call
        estimator.fit(maps, _human())

        def run(fitted):  # new images against the fitted ones, on device_
            return fitted.explain(maps, _human()).ais_per_image

    else:
        _fit(estimator)
        X = _maps() if name == "selector" else _images()

        def run(fitted):
            return fitted.transform(X)

    expected = run(estimator)
    estimator.device_ = "cuda"
    data = pickle.dumps(estimator)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceFallbackWarning, match="'cuda' is not available"):
        loaded = pickle.loads(data)
    assert loaded.device_ == "cpu"
    np.testing.assert_allclose(np.asarray(run(loaded)), np.asarray(expected))
