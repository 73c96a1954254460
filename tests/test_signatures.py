"""Options are keyword-only; data arguments stay positional, as in scikit-learn.

Table-driven over public modules: every public class's ``__init__`` and every
public function takes its options after ``*``. ``POSITIONAL`` lists what may
come before it, with the reason.
"""

import importlib
import inspect

import pytest

MODULES = [
    "sklearn_ais.featurizers",
    "sklearn_ais.datasets",
    "sklearn_ais.exceptions",
    "sklearn_ais.cli",
]
# name: parameters that may be positional.
POSITIONAL = {
    # Sizes of what is generated, as make_classification(n_samples, n_features, *).
    "make_alignment_problem": ("n_images", "n_maps", "n_relevant"),
    "make_comparison_images": ("n_images", "image_size"),
    # The command's own arguments, as in argparse.
    "main": ("argv",),
}


def _public_callables():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                if issubclass(obj, BaseException):
                    continue  # warnings and errors take a message
                yield f"{module_name}.{name}", name, obj.__init__
            elif inspect.isfunction(obj):
                yield f"{module_name}.{name}", name, obj


CALLABLES = list(_public_callables())


@pytest.mark.parametrize(
    "name, function", [(c[1], c[2]) for c in CALLABLES], ids=[c[0] for c in CALLABLES]
)
def test_options_are_keyword_only(name, function):
    parameters = [
        p for p in inspect.signature(function).parameters.values() if p.name != "self"
    ]
    positional = [p.name for p in parameters if p.kind != p.KEYWORD_ONLY]
    assert positional == list(POSITIONAL.get(name, ()))


def test_every_module_is_covered():
    names = {c[1] for c in CALLABLES}
    assert {"TorchvisionFeaturizer", "VGGFeaturizer", "load_mur92", "main"} <= names
    assert set(POSITIONAL) <= names
