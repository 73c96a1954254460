"""The report opens in a real browser: headless Chromium, driven by selenium.

Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them where
missing). The page is loaded from disk; every ``<img>`` must have loaded
(``naturalWidth > 0``) and the console must show no error. A screenshot is
saved next to the report (``screenshot.png``) to look at.
"""

import shutil
import tempfile

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from sklearn_ais import AISFeatureMapSelector, AISHeatmapExplainer
from sklearn_ais.datasets import make_comparison_images
from sklearn_ais.model_selection import compare_selection_controls
from sklearn_ais.report import write_report

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (the tests extra)"
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or DRIVER is None,
        reason="Debian's chromium and chromium-driver are not installed "
        "(apt-get install chromium chromium-driver; .ci/run does it)",
    ),
    pytest.mark.filterwarnings("ignore:.*no map with a positive AIS"),
]
N_IMAGES = 12


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A report with every figure, on generated images and random maps;
    controls and bootstrap, no ceiling."""
    data = make_comparison_images(n_images=N_IMAGES, image_size=48, random_state=0)
    maps = np.random.default_rng(0).uniform(size=(N_IMAGES, 16, 4, 4))
    maps = maps.astype(np.float32)
    y = data.similarity
    selector = AISFeatureMapSelector().fit(maps, y)
    explainer = AISHeatmapExplainer(featurizer="passthrough").fit(maps, y)
    result = compare_selection_controls(
        AISFeatureMapSelector(),
        maps,
        y,
        cv=KFold(3, shuffle=True, random_state=0),
        n_random=3,
        n_bootstrap=20,
    )
    out = tmp_path_factory.mktemp("report")
    images = pd.Series(list(data.images), index=y.index)
    return write_report(
        out, selector=selector, result=result, explainer=explainer, images=images
    )


def test_report_renders_in_headless_chromium(report):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1200,3000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.get(report.as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map("
            "i => [i.getAttribute('src'), i.complete, i.naturalWidth]);"
        )
        assert {src for src, _, _ in images} == {
            "full_vs_retained.png",
            "selection_path.png",
            "ais_distribution.png",
            "selection_controls.png",
            "heatmaps.png",
        }
        for src, complete, width in images:
            assert complete and width > 0, f"{src} did not load"
        # Each figure's vector copy is linked beside it, and is there.
        links = driver.execute_script(
            "return Array.from(document.links).map(a => a.getAttribute('href'));"
        )
        for src, _, _ in images:
            svg = src.replace(".png", ".svg")
            assert svg in links and (report.parent / svg).stat().st_size > 0
        errors = [
            entry
            for entry in driver.get_log("browser")
            if entry["level"] in ("SEVERE", "ERROR")
        ]
        assert errors == []
        text = driver.find_element("tag name", "body").text
        assert "Retained vs Full: the evidence" in text and "(headline)" in text
        assert "Naive paired t-test (folds as if independent)" in text
        assert "Bootstrap over images, 95% CI of the difference" in text
        assert "top variance" in text and "Map stability across folds" in text
        assert "No noise ceiling was computed" in text
        screenshot = report.parent / "screenshot.png"
        assert driver.save_screenshot(str(screenshot))
        assert screenshot.stat().st_size > 0
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
