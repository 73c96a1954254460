"""Package metadata asks for ranges; this project's machines pin through CI."""

import importlib.metadata
import re
import shlex
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).parents[1]
README_TEST_COMMAND = (
    'python3 -m venv .venv && .venv/bin/pip install -e ".[tests,pretrained]" '
    "&& .venv/bin/python -m pytest"
)
PINS = {"torch": "2.14.1", "torchvision": "0.29.1"}


def test_installed_requirements_are_ranges_not_pins():
    requirements = [
        Requirement(text) for text in importlib.metadata.requires("sklearn_ais")
    ]
    torch_like = [r for r in requirements if r.name in PINS]
    # torch and torchvision in both the torch and the pretrained extras.
    assert len(torch_like) == 4, (
        "the installed metadata predates this checkout: pip install -e . again"
    )
    for requirement in requirements:
        for spec in requirement.specifier:
            assert spec.operator not in ("==", "==="), str(requirement)
    for requirement in torch_like:
        assert [s.operator for s in requirement.specifier] == [">="], str(requirement)
        # The pinned releases satisfy the ranges.
        assert requirement.specifier.contains(PINS[requirement.name])


def test_ci_installs_the_pins_through_a_constraints_file():
    run = (ROOT / ".ci" / "run").read_text()
    constraints = (ROOT / ".ci" / "constraints.txt").read_text()
    for name, version in PINS.items():
        assert re.search(rf"^{name}=={re.escape(version)}$", constraints, re.M)
    exported = re.search(r"^export PIP_CONSTRAINT=(.+)$", run, re.M)
    assert exported and shlex.split(exported.group(1))[0].endswith(
        ".ci/constraints.txt"
    )
    # Set before the first install, and the README's command kept as written.
    assert run.index("PIP_CONSTRAINT") < run.index("pip install")
    assert README_TEST_COMMAND in run
    assert README_TEST_COMMAND in (ROOT / "README.md").read_text()
    assert ".venv/bin/python -m pytest -m slow" in run


@pytest.mark.parametrize("name", PINS)
def test_readme_mentions_the_constraints_file(name):
    readme = (ROOT / "README.md").read_text()
    assert ".ci/constraints.txt" in readme and f"{name}==" in readme
