"""Lower layers never import higher ones (docs/design.md, "Packaging and tests").

Every import of every module of the package is read with ``ast``, including
imports inside functions (the lazy torch imports), and followed through the
package's own modules: a module breaks a rule if it imports a forbidden module
directly or through any chain of package modules. Add a module to ``LAYERS``
with the layer it belongs to; add a layer to ``FORBIDDEN`` with what it must
never reach.
"""

import ast
from pathlib import Path

import pytest

import sklearn_ais

PACKAGE = "sklearn_ais"
ROOT = Path(sklearn_ais.__file__).parent

TORCH = {"torch", "torchvision"}
MODEL_SELECTION = (
    "_cv",
    "_validation",
    "_controls",
    "_bootstrap",
    "_ceiling",
    "_study",
    "_pairs",
    "_protocol",
    "_subjects",
)
ESTIMATORS = {
    f"{PACKAGE}.{name}"
    for name in (
        "selection",
        "featurizers",
        "featurizers._base",
        "featurizers._torchvision",
        "featurizers._efficientnet",
        "featurizers._module",
        "_scoring",
        "model_selection",
        "explain",
        *(f"model_selection.{module}" for module in MODEL_SELECTION),
    )
}
CLI = {f"{PACKAGE}.cli"}
# The package's __init__ imports every public estimator.
PACKAGE_ROOT = {PACKAGE}

# layer: modules (and top-level external packages) it must never import.
FORBIDDEN = {
    "numpy core": TORCH | ESTIMATORS | CLI | PACKAGE_ROOT,
    "warnings": TORCH | ESTIMATORS | CLI | PACKAGE_ROOT,
    "engine without torch": TORCH | ESTIMATORS | CLI | PACKAGE_ROOT,
    "engine and torch side": ESTIMATORS | CLI | PACKAGE_ROOT,
    "figures": ESTIMATORS | CLI | PACKAGE_ROOT,
    "estimators": CLI | PACKAGE_ROOT,
    # The report draws fitted estimators; it reads the package's version.
    "report": CLI,
    # The 2OI as a function: reads y and embeds feature maps, scores nothing.
    "metrics": ESTIMATORS | CLI | PACKAGE_ROOT,
    # Reading a study's files: the command and Python users call it.
    "io": TORCH | ESTIMATORS | CLI | PACKAGE_ROOT | {f"{PACKAGE}.report"},
    # Data sets: generated or loaded arrays and matrices, no network.
    "data sets": TORCH | ESTIMATORS | CLI | PACKAGE_ROOT | {f"{PACKAGE}.report"},
    # The top: parses arguments and prints; nothing imports it.
    "command line": set(),
}
# module (without the package prefix): its layer.
LAYERS = {
    "_similarity": "numpy core",
    "_kernels": "numpy core",
    "_human": "numpy core",
    "_heatmaps": "numpy core",
    "_files": "numpy core",
    "io": "io",
    "datasets": "data sets",
    "_generated_images": "data sets",
    "_mur92": "data sets",
    "cli": "command line",
    "_demo": "command line",
    "__main__": "command line",
    "analysis": "figures",
    **{
        f"analysis.{module}": "figures"
        for module in (
            "_agreement",
            "_ais_statistics",
            "_competitors",
            "_localization",
            "_reliability",
            "_saliency",
        )
    },
    "analysis._faithfulness": "figures",
    "analysis._faithfulness_study": "figures",
    "metrics": "metrics",
    "_statistics": "numpy core",
    "_feature_maps": "numpy core",
    "_synthetic": "numpy core",
    "_peterson": "numpy core",
    "exceptions": "warnings",
    "_engine.base": "engine without torch",
    "_engine.gap": "engine without torch",
    "_engine.runner": "engine without torch",
    "_engine": "engine and torch side",
    "_engine.heads": "engine and torch side",
    "_engine.kernels": "engine without torch",
    "_engine.rank_gram": "engine without torch",
    "_engine.gap_torch": "engine and torch side",
    "_engine.token_norm": "engine and torch side",
    "_heads": "engine and torch side",
    "_devices": "engine and torch side",
    "_backbones": "engine and torch side",
    "_module_split": "engine and torch side",
    "_images": "engine and torch side",
    "_torch_utils": "engine and torch side",
    "selection": "estimators",
    "featurizers": "estimators",
    "featurizers._base": "estimators",
    "featurizers._torchvision": "estimators",
    "featurizers._efficientnet": "estimators",
    "featurizers._module": "estimators",
    "_scoring": "estimators",
    "model_selection": "estimators",
    **{f"model_selection.{module}": "estimators" for module in MODEL_SELECTION},
    "explain": "estimators",
    "plotting": "figures",
    "_plotting": "figures",
    "_plotting.common": "figures",
    "_plotting.faithfulness": "figures",
    "_plotting.heatmaps": "figures",
    "_plotting.selection": "figures",
    "_plotting.studies": "figures",
    "report": "report",
    "_report_page": "report",
    "_report_results": "report",
}


def _module_name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in ROOT.rglob("*.py")}


def _is_package(name):
    return MODULES.get(name, Path()).name == "__init__.py"


def imports_of(name):
    """Modules ``name`` imports: package modules in full, others top-level."""
    tree = ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))
    package = name if _is_package(name) else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0]
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module
            found.add(source)
            # ``from . import x`` or ``from .a import b``: x or a.b may be modules.
            found.update(
                f"{source}.{alias.name}"
                for alias in node.names
                if f"{source}.{alias.name}" in MODULES
            )
    return {
        module if module.startswith(PACKAGE) else module.split(".")[0]
        for module in found
    }


def reachable(name):
    """Every module imported by ``name``, directly or through package modules."""
    seen, stack = set(), [name]
    while stack:
        for module in imports_of(stack.pop()):
            if module not in seen:
                seen.add(module)
                if module in MODULES and module != PACKAGE:
                    stack.append(module)
    return seen


def test_every_module_has_exactly_one_entry_in_the_table():
    """A new module cannot slip past the rules: the table is the package.

    Set equality: every module is in ``LAYERS`` and every entry is a module.
    """
    assert set(LAYERS.values()) <= set(FORBIDDEN)
    modules = {name.removeprefix(f"{PACKAGE}.") for name in MODULES} - {PACKAGE}
    assert not modules - set(LAYERS), f"not in LAYERS: {sorted(modules - set(LAYERS))}"
    assert not set(LAYERS) - modules, f"not modules: {sorted(set(LAYERS) - modules)}"


def test_imports_are_read_inside_functions_too():
    # The featurizers import torch only when fitted: found all the same.
    assert TORCH & reachable(f"{PACKAGE}.featurizers")
    assert f"{PACKAGE}._backbones" in imports_of(f"{PACKAGE}.featurizers._base")


@pytest.mark.parametrize("module", sorted(LAYERS))
def test_module_never_imports_a_higher_layer(module):
    layer = LAYERS[module]
    broken = reachable(f"{PACKAGE}.{module}") & FORBIDDEN[layer]
    assert not broken, f"{module} ({layer}) imports {sorted(broken)}"


def test_no_import_cycles():
    """No package module reaches itself through its imports (lazy ones included)."""
    for name in MODULES:
        if name == PACKAGE:
            continue
        assert name not in reachable(name), f"{name} imports itself through a cycle"
