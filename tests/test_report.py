"""write_report with the study's statistics passed by a library user.

The controls, the bootstrap table and the noise ceiling are computed with
the public functions on the folds of the Full vs Retained result; the report
copies their numbers and refuses statistics from other folds.
"""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

from sklearn_ais import AISFeatureMapSelector, AISHeatmapExplainer
from sklearn_ais.datasets import make_alignment_problem, make_comparison_images
from sklearn_ais.model_selection import (
    PairShuffleSplit,
    bootstrap_2oi,
    compare_full_vs_retained,
    compare_selection_controls,
    noise_ceiling,
)
from sklearn_ais.model_selection._ceiling import LABELS as CEILING_LABELS
from sklearn_ais.report import write_report

N_IMAGES = 30
# On 12 images an image may have no map of positive AIS: its heatmap is zeros.
ZERO_HEATMAPS = pytest.mark.filterwarnings("ignore:.*no map with a positive AIS")


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
    assert "No noise ceiling was computed" not in text
    # The ceiling's numbers in a table of their own section, not the summary.
    start = text.index("<h2>Noise ceiling</h2>")
    section = text[start : text.index("<h2>", start + 1)]
    for column, label in CEILING_LABELS.items():
        assert f"<th>{label}</th><td>{means[column]:.4f}</td>" in section
    assert "Spearman-Brown reliability" not in text[:start]
    # Every figure a PNG for the page and an SVG beside it, linked.
    for png in tmp_path.glob("*.png"):
        svg = png.with_suffix(".svg")
        assert svg.read_text().lstrip().startswith("<?xml"), svg.name
        assert f'<a href="{svg.name}">{svg.name}</a>' in text


def test_no_ceiling_note(study, tmp_path):
    write_report(
        tmp_path,
        selector=study["selector"],
        result=study["result"],
        ceiling_note="the raters' files were lost",
    )
    results = json.loads((tmp_path / "results.json").read_text())
    # Without a bootstrap the corrected test is the headline.
    assert results["headline"] == "corrected_ttest"
    assert (
        "Corrected resampled t-test over 3 folds (headline)"
        in (tmp_path / "index.html").read_text()
    )
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


def _rdm(H):
    """H as a dissimilarity matrix with a zero diagonal, as a user saves an RDM."""
    values = H.to_numpy()
    D = values.max() - values
    np.fill_diagonal(D, 0.0)
    return pd.DataFrame(D, index=H.index, columns=H.columns)


@pytest.mark.parametrize(
    ("make_y", "target", "words"),
    [
        (lambda H: H, "similarity", "largest value of every row on the diagonal"),
        (_rdm, "dissimilarity", "say target='similarity' if it holds similarities"),
    ],
)
def test_the_reading_of_y_is_shown(study, tmp_path, make_y, target, words):
    X, y = study["X"], make_y(study["H"])
    selector = AISFeatureMapSelector().fit(X, y)
    assert selector.target_ == target
    write_report(tmp_path, selector=selector, result=study["result"])
    for name in ("results.json", "manifest.json"):
        reading = json.loads((tmp_path / name).read_text())["reading_of_y"]
        assert reading["target"] == target and words in reading["reason"]
    page = (tmp_path / "index.html").read_text()
    # At the top: before the first number of the summary table.
    assert page.index(f"Reading of y: {target}") < page.index("<table>")


def test_read_target_names_a_zero_diagonal_before_any_fit(study):
    from sklearn_ais._human import read_target

    assert read_target(_rdm(study["H"]), cli=True) == (
        "dissimilarity",
        "zero diagonal: read as dissimilarities; say --target similarity if it "
        "holds similarities",
    )
    target, reason = read_target(study["H"], target="similarity")
    assert target == "similarity" and "target='similarity' was given" in reason


def test_a_fixed_size_selection_reports_its_own_score(study, tmp_path):
    selector = AISFeatureMapSelector(n_features_to_select=5).fit(study["X"], study["H"])
    kept = selector.transform(study["X"])
    score = AISFeatureMapSelector(n_features_to_select=kept.shape[1]).fit(
        kept, study["H"]
    )
    write_report(tmp_path, selector=selector, result=study["result"])
    alldata = json.loads((tmp_path / "results.json").read_text())["all_data"]
    assert alldata["n_retained"] == 5
    # The 2OI of the five maps kept, not the best prefix of the path.
    assert alldata["retained_2oi"] == pytest.approx(score.full_score_)
    assert alldata["retained_2oi"] != pytest.approx(np.nanmax(selector.scores_path_))


def test_n_images_without_an_explainer(study, tmp_path):
    write_report(tmp_path, selector=study["selector"], result=study["result"])
    assert json.loads((tmp_path / "results.json").read_text())["n_images"] == N_IMAGES


def test_n_images_of_a_pair_level_split_counts_images_not_pairs(study, tmp_path):
    # The splits hold pair indices (435 pairs of 30 images): not a count.
    result = compare_full_vs_retained(
        AISFeatureMapSelector(missing="ignore"),
        study["X"],
        study["H"],
        cv=PairShuffleSplit(n_splits=2, random_state=0),
    )
    assert max(test.max() for _, test in result.splits) > N_IMAGES
    write_report(tmp_path, selector=study["selector"], result=result)
    assert json.loads((tmp_path / "results.json").read_text())["n_images"] == N_IMAGES


def test_the_evidence_side_by_side(study, tmp_path):
    """The corrected test first, the naive one, the image bootstrap of the
    difference and, with subjects, the tests across subjects: the numbers of
    the result objects, in results.json and on the page."""
    X, H = study["X"], study["H"]
    rng = np.random.default_rng(1)
    subjects = []
    for _ in range(6):
        noise = rng.normal(size=H.shape)
        subject = (H + noise + noise.T).to_numpy().copy()
        np.fill_diagonal(subject, subject.max())
        subjects.append(pd.DataFrame(subject, index=H.index, columns=H.columns))
    controls = compare_selection_controls(
        AISFeatureMapSelector(),
        X,
        sum(subjects) / 6,
        cv=study["result"].splits,
        n_random=2,
        n_bootstrap=40,
        subjects=subjects,
        subjects_target="similarity",
    )
    page = write_report(tmp_path, selector=study["selector"], result=controls)
    results = json.loads((tmp_path / "results.json").read_text())
    cv = results["cross_validation"]
    assert cv["ttest"]["test"] == "corrected"
    assert cv["ttest"]["pvalue"] == pytest.approx(controls.ttest.pvalue)
    assert cv["naive_ttest"]["pvalue"] == pytest.approx(controls.naive_ttest.pvalue)
    assert cv["standard_error_paired"] == pytest.approx(controls.standard_error)
    assert (cv["n_train_mean"], cv["n_test_mean"]) == (20.0, 10.0)
    level = controls.subjects
    assert results["subjects"]["wilcoxon"]["pvalue"] == pytest.approx(
        level.wilcoxon.pvalue
    )
    assert results["subjects"]["bootstrap"]["difference"]["ci_low"] == (
        pytest.approx(level.bootstrap.loc["difference", "ci_low"])
    )
    table = pd.read_csv(tmp_path / "subjects.csv")
    assert len(table) == 3 * 6 and table["fold"].min() == 1
    text = page.read_text()
    # The bootstrap interval leads (it held its level with the most power in
    # the calibration); the corrected test is second, the naive one third.
    assert results["headline"] == "bootstrap_difference"
    headline = text.index("Bootstrap over images, 95% CI of the difference (headline)")
    corrected = text.index("Corrected resampled t-test over 3 folds (conservative)")
    assert headline < corrected < text.index("Naive paired t-test")
    assert "Across 6 subjects: Wilcoxon signed-rank" in text
    assert "Dual bootstrap over subjects and images" in text
    assert "How to read these" in text


@pytest.fixture(scope="module")
def generated():
    """Generated images with their objects' masks, random spatial maps."""
    data = make_comparison_images(n_images=12, image_size=48, random_state=0)
    maps = np.random.default_rng(0).uniform(size=(12, 16, 4, 4)).astype(np.float32)
    y = data.similarity
    result = compare_full_vs_retained(
        AISFeatureMapSelector(), maps, y, cv=KFold(3, shuffle=True, random_state=0)
    )
    return {
        "data": data,
        "selector": AISFeatureMapSelector().fit(maps, y),
        "explainer": AISHeatmapExplainer(featurizer="passthrough").fit(maps, y),
        "result": result,
        "images": pd.Series(list(data.images), index=y.index),
    }


@ZERO_HEATMAPS
def test_the_gallery_spreads_over_the_per_image_2oi(generated, tmp_path):
    explainer = generated["explainer"]
    data = generated["data"]
    page = write_report(
        tmp_path,
        selector=generated["selector"],
        result=generated["result"],
        explainer=explainer,
        images=generated["images"],
        n_heatmaps=4,
        outlines={
            "relevant object": data.relevant_masks,
            "distractor": data.distractor_masks,
        },
    )
    gallery = json.loads((tmp_path / "manifest.json").read_text())["gallery"]
    # Ranks 0, 4, 7 and 11 of 12 (np.linspace(0, 11, 4) rounded), lowest first.
    order = np.argsort(explainer.full_score_per_image_, kind="stable")
    expected = [str(explainer.ids_[i]) for i in order[[0, 4, 7, 11]]]
    assert gallery == {
        "rule": "spread",
        "ids": expected,
        "outlines": ["relevant object", "distractor"],
    }
    text = page.read_text()
    assert "Images at evenly spaced ranks of their per-image 2OI" in text
    assert "Outlined: relevant object, distractor." in text
    assert (tmp_path / "heatmaps.svg").stat().st_size > 0


@ZERO_HEATMAPS
def test_the_gallery_shows_the_chosen_ids(generated, tmp_path):
    ids = [str(i) for i in generated["explainer"].ids_]
    common = {
        "selector": generated["selector"],
        "result": generated["result"],
        "explainer": generated["explainer"],
        "images": generated["images"],
    }
    write_report(tmp_path, gallery=[ids[5], ids[2]], **common)
    gallery = json.loads((tmp_path / "manifest.json").read_text())["gallery"]
    assert gallery == {"rule": "chosen", "ids": [ids[5], ids[2]], "outlines": []}
    with pytest.raises(
        ValueError,
        match=r"gallery: unknown image ids 'cat'; the 12 images' ids are "
        f"'{ids[0]}', '{ids[1]}', '{ids[2]}', '{ids[3]}', '{ids[4]}', ...",
    ):
        write_report(tmp_path / "other", gallery=["cat"], **common)
    with pytest.raises(ValueError, match="gallery: no image ids given"):
        write_report(tmp_path / "other", gallery=[], **common)
    with pytest.raises(ValueError, match=r"outlines\['relevant object'\] has 2"):
        write_report(
            tmp_path / "other",
            outlines={"relevant object": generated["data"].relevant_masks[:2]},
            **common,
        )
    with pytest.raises(ValueError, match="gallery and outlines need the heatmaps"):
        write_report(
            tmp_path / "other",
            selector=generated["selector"],
            result=generated["result"],
            gallery=[ids[0]],
        )
    assert not (tmp_path / "other").exists()
