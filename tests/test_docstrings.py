"""numpydoc validation of every public name, as scikit-learn's own docstring test.

Every public module's ``__all__`` is validated: classes (their docstring, which
numpydoc checks against ``__init__``'s signature), their public methods and
properties, and functions. ``IGNORED`` lists the codes not enforced anywhere,
``TOP_LEVEL_ONLY`` those enforced on classes and functions but not on methods,
and ``EXCLUDED`` the single names allowed a code, each with the reason.
"""

import importlib
import inspect

import pytest
from _public import PUBLIC_MODULES

validate = pytest.importorskip("numpydoc.validate").validate

MODULES = PUBLIC_MODULES

# Codes not enforced, as in scikit-learn's sklearn/tests/test_docstrings.py:
IGNORED = {
    # The summary may start on the line after the quotes or on the same line.
    "GL01",
    "GL02",
    # The first line of Returns may name the returned object.
    "RT02",
}
# Only classes and functions need an extended summary, See Also and Examples.
TOP_LEVEL_ONLY = {"ES01", "SA01", "EX01"}
# name: {code: reason}. Empty: every public name passes every enforced code.
EXCLUDED = {}


def _public_names():
    seen = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            qualified = f"{obj.__module__}.{obj.__qualname__}"
            if qualified in seen:
                continue  # re-exported by the package
            seen.add(qualified)
            yield qualified, False
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                for attr in sorted(dir(obj)):
                    if not attr.startswith("_") and _defined_here(obj, attr):
                        yield f"{qualified}.{attr}", True


def _defined_here(cls, attr):
    """Whether ``cls.attr`` is a method or property written in this package.

    Methods inherited from scikit-learn (validated by its own test) and numpy
    (``FeatureMaps`` is an ndarray) are not ours to document.
    """
    owner = next(c for c in cls.__mro__ if attr in vars(c))
    member = vars(owner)[attr]
    return owner.__module__.startswith("sklearn_ais") and (
        callable(member) or isinstance(member, (property, classmethod, staticmethod))
    )


NAMES = list(_public_names())


def _errors(name, is_method):
    result = validate(name)
    for code, message in result["errors"]:
        if code in IGNORED or (is_method and code in TOP_LEVEL_ONLY):
            continue
        if code in EXCLUDED.get(name, {}):
            continue
        yield code, message


@pytest.mark.parametrize("name, is_method", NAMES, ids=[n for n, _ in NAMES])
def test_docstring(name, is_method):
    errors = list(_errors(name, is_method))
    assert not errors, f"{name}:\n" + "\n".join(f"  {c}: {m}" for c, m in errors)


def test_exclusions_are_still_needed():
    for name, codes in EXCLUDED.items():
        found = {code for code, _ in validate(name)["errors"]}
        assert set(codes) <= found, f"{name}: {set(codes) - found} no longer needed"
