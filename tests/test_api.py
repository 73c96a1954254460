"""The public API's conventions: keyword-only options, declared constraints."""

import inspect

import pytest

import sklearn_ais
from sklearn_ais import model_selection

# Data arguments stay positional, as in scikit-learn.
DATA_ARGUMENTS = {"self", "estimator", "X", "y", "maps"}
# Not options-taking API, with the reason.
EXEMPT = {
    "TargetWarning": "a warning class",
    "FullVsRetained": "a result record: its fields are data",
}


def _public_callables():
    for module in (sklearn_ais, model_selection):
        for name in module.__all__:
            obj = getattr(module, name)
            if name in EXEMPT:
                continue
            if inspect.isclass(obj):
                yield f"{module.__name__}.{name}", obj.__init__
            elif inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj


@pytest.mark.parametrize("name, function", list(_public_callables()))
def test_options_are_keyword_only(name, function):
    signature = inspect.signature(inspect.unwrap(function))
    positional = [
        parameter.name
        for parameter in signature.parameters.values()
        if parameter.kind
        in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    assert set(positional) <= DATA_ARGUMENTS, f"{name}: {positional}"
