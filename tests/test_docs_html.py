"""The built documentation shows what it should (run after the docs build).

`.ci/run` builds the docs (``sphinx-build -W -b html docs docs/_build/html``)
before the slow tests, so these read the HTML it wrote: the landing page
links every section and says how to cite, the gallery's index has a
thumbnail with a run time for every example, the API page links to a page
for every public name, and those pages are titled by qualified names.
Skipped where the docs have not been built.
"""

import importlib
import re
from pathlib import Path

import pytest
from _public import PUBLIC_MODULES

ROOT = Path(__file__).parents[1]
HTML = ROOT / "docs" / "_build" / "html"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (HTML / "api.html").exists(), reason="the docs are not built"
    ),
]


def test_landing_page_links_every_section_and_says_how_to_cite():
    index = (HTML / "index.html").read_text()
    article = index.split('<article class="bd-article">')[1].split("</article>")[0]
    linked = set(re.findall(r'href="([\w/]+)\.html"', article))
    sections = {
        "install",
        "getting_started",
        "user_guide/index",
        "auto_examples/index",
        "api",
        "changelog",
        "developers",
    }
    assert sections <= linked, sections - linked
    for page in sections:
        assert (HTML / f"{page}.html").exists(), page
    assert "Citing sklearn_ais" in article
    assert "arXiv:2409.16292" in article
    assert "CITATION.cff" in article
    # The stylesheet that wraps code cells and lays out the cards.
    assert "_static/sklearn_ais.css" in index


def test_api_pages_are_titled_by_qualified_names():
    page = (HTML / "generated" / "sklearn_ais.cli.main.html").read_text()
    assert "<title>sklearn_ais.cli.main" in page
    # The sidebar lists the API pages by their titles.
    sidebar = page.split('class="bd-docs-nav')[1].split("</nav>")[0]
    assert ">sklearn_ais.report.write_report</a>" in sidebar
    assert ">write_report</a>" not in sidebar


def test_gallery_index_shows_every_example_with_its_run_time():
    index = (HTML / "auto_examples" / "index.html").read_text()
    thumbnails = index.split('class="sphx-glr-thumbcontainer"')[1:]
    examples = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    shown = sorted(re.search(r'href="(\w+)\.html"', t)[1] for t in thumbnails)
    assert shown == examples
    for thumbnail in thumbnails:
        assert re.search(r'class="sg-run-time">run time \d+ s<', thumbnail)


def test_api_page_links_every_public_name():
    api = (HTML / "api.html").read_text()
    pages = set(re.findall(r'href="generated/([\w.]+)\.html"', api))
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            # Documented once, under the first public module that exports it.
            home = next(
                m
                for m in PUBLIC_MODULES
                if getattr(importlib.import_module(m), name, None) is obj
            )
            assert f"{home}.{name}" in pages, f"{module_name}.{name}"
