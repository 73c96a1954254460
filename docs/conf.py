"""Sphinx configuration: API reference from the docstrings, examples gallery.

Build: ``sphinx-build -W -b html docs docs/_build/html`` (docs/developers.rst);
add ``-D sphinx_gallery_conf.plot_gallery=0`` to build without running the
gallery's examples.
Nothing is downloaded while building: no intersphinx, the theme's assets ship
with it, and MathJax is copied into the build (sphinx-mathjax-offline), so
the equations render without a network too.
"""

import os
import re
import sys
from pathlib import Path

import sklearn_ais

REPO = Path(__file__).resolve().parents[1]
# For the gallery's sort key, named by a string (docs/_gallery_order.py).
sys.path.insert(0, str(Path(__file__).resolve().parent))

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
    # MathJax copied into the build, so equations render offline too.
    "sphinx-mathjax-offline",
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

# autodoc / autosummary: one page per public name, titled by its qualified
# name (docs/_templates/autosummary), so the sidebar reads
# ``sklearn_ais.cli.main`` rather than a bare ``main``; a class page's own
# contents list its methods by their names alone (``fit()``), which fit the
# narrow right-hand column.
autosummary_generate = True
autodoc_typehints = "none"
toc_object_entries_show_parents = "hide"


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


def _run_times_on_thumbnails(app):
    """Show each example's run time under its thumbnail on the gallery index.

    sphinx-gallery writes the time at the end of each example's page (and in
    ``sg_execution_times``) but not on the index; this copies it there. Runs
    after sphinx-gallery has written the pages (a later builder-inited
    handler); examples not executed (``-D plot_gallery=0``) show no time.
    """
    gallery = Path(app.srcdir) / "auto_examples"
    index = gallery / "index.rst"
    if not index.exists():
        return

    def with_time(match):
        page = (gallery / f"{match['name']}.rst").read_text()
        time = re.search(
            r"Total running time of the script:\*\* \((\d+) minutes ([\d.]+) seconds",
            page,
        )
        if time is None:
            return match[0]
        seconds = 60 * int(time[1]) + float(time[2])
        shown = f'<div class="sg-run-time">run time {seconds:.0f} s</div>'
        return f"{match[0]}\n      {shown}"

    thumbnail = (
        r":doc:`/auto_examples/(?P<name>\w+)`\n\n\.\. raw:: html\n\n"
        r'      <div class="sphx-glr-thumbnail-title">.*?</div>'
    )
    text = index.read_text()
    timed = re.sub(thumbnail, with_time, text)
    if timed != text:
        index.write_text(timed)


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)
    # After sphinx-gallery's own builder-inited handler (priority 500).
    app.connect("builder-inited", _run_times_on_thumbnails, priority=900)
    app.add_css_file("run_time.css")
    # Code cells that wrap, the landing page's cards.
    app.add_css_file("sklearn_ais.css")
    # Qualified names in the sidebar wrap after a dot, not inside a word.
    app.add_js_file("qualified_names.js")


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
    "within_subsection_order": "_gallery_order.ReadingOrder",
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
    # Every top-level page in the navigation bar, none in a "More" menu; the
    # search as an icon, so that they fit on one line.
    "header_links_before_dropdown": 7,
    "navbar_persistent": ["search-button"],
    "navbar_end": ["navbar-icon-links"],
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
    # A class page's methods listed under it in the page's contents.
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
# Pages without sub-pages have nothing to list in the left sidebar: none.
html_sidebars = {
    page: []
    for page in ("index", "install", "getting_started", "changelog", "developers")
}
html_static_path = ["_static"]
html_show_sourcelink = False
