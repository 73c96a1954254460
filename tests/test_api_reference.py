"""docs/api.rst lists every public name, so the API reference cannot go stale.

Each public module has a section (``.. currentmodule::``) in which every name
of its ``__all__`` is an autosummary entry, or, for a name re-exported from
another public module, a ``:class:`` or ``:func:`` link to where it is
documented. Entries must be public names too (a removed name fails).
"""

import importlib
import re
from pathlib import Path

import pytest
from _public import PUBLIC_MODULES

API = Path(__file__).parents[1] / "docs" / "api.rst"


def _sections():
    """``{module: (autosummary entries, linked names)}`` of docs/api.rst."""
    text = API.read_text()
    parts = re.split(r"^\.\. currentmodule:: (\S+)$", text, flags=re.M)
    sections = {}
    for module, body in zip(parts[1::2], parts[2::2]):
        entries = set()
        for block in re.findall(r"^\.\. autosummary::\n((?:   .*\n|\n)*)", body, re.M):
            entries |= {
                line.strip()
                for line in block.splitlines()
                if line.strip() and not line.strip().startswith(":")
            }
        links = set(re.findall(r":(?:class|func):`~?([\w.]+)`", body))
        sections[module] = (entries, links)
    return sections


SECTIONS = _sections()


def _resolve(dotted):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_is_in_the_api_reference(module_name):
    assert module_name in SECTIONS, f"docs/api.rst has no section for {module_name}"
    module = importlib.import_module(module_name)
    entries, links = SECTIONS[module_name]
    linked = {id(_resolve(link)) for link in links}
    missing = [
        name
        for name in module.__all__
        if name not in entries and id(getattr(module, name)) not in linked
    ]
    assert not missing, f"{module_name}: not in docs/api.rst: {missing}"
    stale = sorted(entries - set(module.__all__))
    assert not stale, f"{module_name}: docs/api.rst lists non-public {stale}"


def test_every_public_name_is_documented_once():
    entries = [
        f"{module}.{name}" for module, (names, _) in SECTIONS.items() for name in names
    ]
    objects = [id(_resolve(entry)) for entry in entries]
    assert len(set(objects)) == len(objects), "an object has two API pages"
