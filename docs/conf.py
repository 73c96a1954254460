"""Sphinx configuration: API reference from the docstrings, examples gallery.

Build: ``sphinx-build -W -b html docs docs/_build/html`` (README, Development).
Nothing is downloaded while building: no intersphinx, the theme's assets ship
with it, and MathJax is loaded by the reader's browser.
"""

import os
from pathlib import Path

import sklearn_ais

REPO = Path(__file__).resolve().parents[1]

# The gallery runs headless, and finds Mur92 as the tests and the full-size
# scripts do: this project's data folder beside the repository.
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("SKLEARN_AIS_DATA", str(REPO.parent / "shared" / "data"))

project = "sklearn_ais"
author = "the sklearn_ais developers"
copyright = "the sklearn_ais developers"
release = sklearn_ais.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
# The docstrings use single backticks for code, as numpydoc's do.
default_role = "literal"

# Every cross-reference must resolve (the build runs with -W).
nitpicky = True
# No intersphinx (it would download inventories at build time), so references
# to other projects' types cannot resolve; they are listed here rather than
# written as plain text, so a typo in one of *our* names still fails the build.
nitpick_ignore_regex = [
    # numpy, scipy, pandas, scikit-learn, joblib, torch/torchvision, PIL,
    # matplotlib: the array, frame, estimator, tensor, image and figure types
    # of the signatures and docstrings.
    (r"py:.*", r"(numpy|np|scipy|pandas|pd|sklearn|joblib|torch|torchvision)\..*"),
    (r"py:.*", r"(PIL|matplotlib|mpl|os|pathlib|collections|typing)\..*"),
    # Built-in types named in docstrings.
    (r"py:.*", r"(int|float|str|bool|dict|list|tuple|callable|object|bytes)"),
]

# autodoc / autosummary: one page per public name.
autosummary_generate = True
autodoc_typehints = "none"


def _skip_foreign_member(app, what, name, obj, skip, options):
    """Document the methods written in this package, inherited ones included.

    The class pages list inherited members so that methods of the package's
    private base classes appear; those of scikit-learn and numpy (an estimator's
    ``set_params``, an ndarray's ``sum``) are theirs to document. The same rule
    as tests/test_docstrings.py, which validates exactly these members.
    """
    member = getattr(obj, "fget", obj)  # a property's getter
    module = getattr(member, "__module__", None) or ""
    return True if not module.startswith("sklearn_ais") else skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)


# numpydoc: the class templates list the methods; numpydoc adds no second list.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# sphinx-gallery over examples/: every script is executed (each well under a
# minute on a 2-core CPU) and its run time reported on the index.
sphinx_gallery_conf = {
    "examples_dirs": str(REPO / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 0,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    # Names in the examples link to the API pages, and each API page lists the
    # examples that use it; no links into other projects' docs (that would
    # download their inventories).
    "doc_module": ("sklearn_ais",),
    "reference_url": {"sklearn_ais": None},
    "backreferences_dir": "generated",
    "remove_config_comments": True,
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_ais {release}"
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path = []
html_show_sourcelink = False
