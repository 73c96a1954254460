"""write_report with the study's statistics passed by a library user.

The controls, the bootstrap table and the noise ceiling are computed with
the public functions on the folds of the Full vs Retained result; the report
copies their numbers and refuses statistics from other folds.
"""

import json

import numpy as np
import pytest
from sklearn.model_selection import KFold

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.model_selection import (
    bootstrap_2oi,
    compare_full_vs_retained,
    compare_selection_controls,
    noise_ceiling,
)
from sklearn_ais.report import write_report

N_IMAGES = 30


@pytest.fixture(scope="module")
def study():
    X, H, _ = make_alignment_problem(N_IMAGES, 12, 3, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    selector = AISFeatureMapSelector().fit(X, H)
    result = compare_full_vs_retained(AISFeatureMapSelector(), X, H, cv=cv)
    controls = compare_selection_controls(
        AISFeatureMapSelector(), X, H, cv=result.splits, n_random=3
    )
    rng = np.random.default_rng(0)
    subjects = []
    for _ in range(3):
        noise = rng.normal(size=H.shape)
        subjects.append(H + noise + noise.T - np.diag(np.diag(noise + noise.T)))
    ceiling = noise_ceiling(np.array(subjects), cv=result.splits, target="similarity")
    bootstrap = bootstrap_2oi(
        {"full": X, "retained": selector.transform(X)}, H, n_bootstrap=50
    )
    return {
        "X": X,
        "H": H,
        "selector": selector,
        "result": result,
        "controls": controls,
        "ceiling": ceiling,
        "bootstrap": bootstrap,
    }


def test_statistics_passed_by_the_user(study, tmp_path):
    page = write_report(
        tmp_path,
        selector=study["selector"],
        result=study["result"],
        controls=study["controls"],
        bootstrap=study["bootstrap"],
        confidence=0.9,
        ceiling=study["ceiling"],
    )
    results = json.loads((tmp_path / "results.json").read_text())
    conditions = study["controls"].conditions()
    for name, entry in results["selection_controls"]["conditions"].items():
        assert entry["mean"] == pytest.approx(conditions[name].mean())
    # The random draws' spread: the SD of the draws' means, by hand.
    draws = study["controls"].controls[[f"random_{j}" for j in range(3)]].mean()
    assert results["selection_controls"]["random_draws"]["sd"] == pytest.approx(
        np.std(draws.to_numpy(), ddof=1)
    )
    assert results["bootstrap"]["confidence"] == 0.9
    for name, row in study["bootstrap"].iterrows():
        assert results["bootstrap"][name]["ci_low"] == pytest.approx(row["ci_low"])
    means = study["ceiling"].to_frame().mean()
    assert results["noise_ceiling"]["upper"]["value"] == pytest.approx(means["upper"])
    assert (tmp_path / "selection_controls.png").stat().st_size > 0
    text = page.read_text()
    assert "Retained, 90% bootstrap CI over images" in text
    assert "Noise ceiling: mean matrix, Spearman-Brown reliability" in text
    assert "No noise ceiling was computed" not in text


def test_no_ceiling_note(study, tmp_path):
    write_report(
        tmp_path,
        selector=study["selector"],
        result=study["result"],
        ceiling_note="the raters' files were lost",
    )
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["noise_ceiling"] == {
        "computed": False,
        "reason": "the raters' files were lost",
    }
    assert (
        "No noise ceiling was computed: the raters' files were lost"
        in (tmp_path / "index.html").read_text()
    )
    # A plain FullVsRetained: no controls figure, no bootstrap section.
    assert not (tmp_path / "selection_controls.png").exists()
    assert "bootstrap" not in results
    assert results["map_stability"]["n_folds"] == 3


def test_statistics_of_other_folds_are_refused(study, tmp_path):
    X, H = study["X"], study["H"]
    other = KFold(3, shuffle=True, random_state=1)
    controls = compare_selection_controls(
        AISFeatureMapSelector(), X, H, cv=other, n_random=1
    )
    with pytest.raises(ValueError, match="controls were computed on other folds"):
        write_report(
            tmp_path,
            selector=study["selector"],
            result=study["result"],
            controls=controls,
        )
    ceiling = noise_ceiling(np.array([H, H.T]), cv=2, target="similarity")
    with pytest.raises(ValueError, match="ceiling was computed on 2 folds"):
        write_report(
            tmp_path,
            selector=study["selector"],
            result=study["result"],
            ceiling=ceiling,
        )
    with pytest.raises(ValueError, match=r"it lacks \['retained'\]"):
        write_report(
            tmp_path,
            selector=study["selector"],
            result=study["result"],
            bootstrap=study["bootstrap"].drop(index="retained"),
        )
