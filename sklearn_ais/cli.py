"""Command line: ``sklearn-ais run`` and ``sklearn-ais demo``.

``sklearn-ais run`` studies a researcher's own images and human similarity
matrix; ``sklearn-ais demo`` the embedded default. Both write a report folder
(:func:`sklearn_ais.report.write_report`). ``python -m sklearn_ais`` works too.

Errors, whether a bad option value or an error raised by the library during a
run, are reported as one line on stderr with a non-zero exit status: 2 for a
bad command line, 1 for a failed run.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import RepeatedKFold

from . import __version__
from ._human import labelled_matrix, read_human_pairs
from .model_selection import FullVsRetained, compare_selection_controls, noise_ceiling
from .selection import AISFeatureMapSelector

__all__ = ["main"]

PROG = "sklearn-ais"
# Each test fold needs pairs of images to score: at least three images.
MIN_TEST_IMAGES = 3
# Errors a run reports in one line. Anything else is a bug: it keeps its
# traceback.
RUN_ERRORS = (ValueError, TypeError, OSError, ImportError, RuntimeError, MemoryError)


DEFAULT_MODEL = "efficientnet_lite0"
DEMO_OUT = "sklearn_ais_demo_report"
MATRIX_FORMATS = (".csv", ".tsv", ".npy", ".mat")
LABELLED_FORMATS = (".csv", ".tsv")
# Modest defaults: the controls and the bootstrap add a few seconds to the
# demo (docs/design.md has the measurement).
RANDOM_DRAWS = 10
BOOTSTRAP = 500
# Ids or file names shown in an error, at most.
SHOWN = 10


def _synthetic_demo(args):
    from .datasets import make_alignment_problem

    X, H, relevant = make_alignment_problem(
        n_images=DATA_SIZES["synthetic"],
        n_maps=512,
        n_relevant=16,
        random_state=args.seed,
    )
    print(
        "Synthetic problem: 120 images x 512 pooled feature maps, 16 of which "
        "carry the attributes people compare (noise 0.5)."
    )
    return {"X": X, "y": H, "images": None, "relevant": relevant}


def _images_demo(args):
    from .datasets import make_comparison_images
    from .featurizers import EfficientNetLite0Featurizer

    # The thin-bar distractor: with it the retained maps beat the full network
    # out of sample (p about 1e-8 at seed 0); with a distractor object as
    # large as the relevant one, selection gains nothing (0.297 vs 0.299, p =
    # 0.83, measured), a harder problem kept for the heatmap examples.
    data = make_comparison_images(
        n_images=DATA_SIZES["images"],
        image_size=128,
        distractor="bar",
        random_state=args.seed,
    )
    print(
        "Generated images: 96 pictures, each with an object whose shape and colour "
        "drive the generated human similarities, and a thin distractor bar."
    )
    print("Network: EfficientNet-Lite0 with its ImageNet weights, 1280 maps, GAP head.")
    # The featurizer learns nothing from the images, so the maps are computed
    # once (with the ids of the images); cross-validation then slices them
    # (they keep their head and ids).
    images = pd.Series(list(data.images), index=data.similarity.index)
    maps = EfficientNetLite0Featurizer(verbose=args.verbose).fit_transform(images)
    return {"X": maps, "y": data.similarity, "images": images, "relevant": None}


DEMOS = {"images": _images_demo, "synthetic": _synthetic_demo}
# Number of images of each demo's data set, known before it is made, so that
# --folds is checked before any work.
DATA_SIZES = {"images": 96, "synthetic": 120}


def _study(X, y, args, *, target="auto", device="auto", missing="raise"):
    """Fit the selector (and explainer), cross-validate, return the objects.

    The cross-validation scores Full, Retained and the same-size controls on
    the same folds, records each fold's retained maps and bootstraps the
    test images (``--random-draws``, ``--bootstrap``).
    """
    from .explain import AISHeatmapExplainer

    options = {
        "target": target,
        "missing": missing,
        "device": device,
        "n_jobs": args.n_jobs,
        "verbose": args.verbose,
    }
    selector = AISFeatureMapSelector(**options).fit(X, y)
    print(
        f"All-data 2OI {selector.baseline_score_:.3f}; the best prefix keeps "
        f"{selector.n_features_} maps (2OI {np.nanmax(selector.scores_path_):.3f})."
    )
    explainer = None
    if np.ndim(X) == 4:
        explainer = AISHeatmapExplainer(featurizer="passthrough", **options).fit(X, y)
    cv = RepeatedKFold(
        n_splits=args.folds, n_repeats=args.repeats, random_state=args.seed
    )
    print(
        f"Image-level {args.folds}-fold cross-validation repeated {args.repeats} "
        "times: AIS and the retained maps are fitted on the training images only; "
        f"controls: {args.random_draws} random same-size subsets, top mean "
        f"activation, top variance; {args.bootstrap} bootstrap samples of the "
        "images."
    )
    result = compare_selection_controls(
        AISFeatureMapSelector(**options),
        X,
        y,
        cv=cv,
        n_random=args.random_draws,
        n_bootstrap=args.bootstrap,
        random_state=args.seed,
    )
    print(FullVsRetained.summary(result))
    print(result.summary())
    return selector, explainer, result


def _parameters(args):
    return {
        key: os.fspath(value) if isinstance(value, os.PathLike) else value
        for key, value in vars(args).items()
        if key not in ("func", "command")
    }


def demo(args):
    """Run the protocol on an embedded data set and write its report.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``demo`` options.

    Returns
    -------
    status : int
        The exit status, 0.
    """
    from .report import write_report

    start = time.perf_counter()
    data = DEMOS[args.data](args)
    selector, explainer, result = _study(data["X"], data["y"], args)
    if data["relevant"] is not None:
        relevant = data["relevant"]
        top = set(selector.ais_ranking_.argsort()[: len(relevant)])
        print(
            f"Relevant maps among the top {len(relevant)} by AIS: "
            f"{len(top & set(relevant))}/{len(relevant)}."
        )
    page = write_report(
        args.out,
        selector=selector,
        result=result,
        explainer=explainer,
        images=data["images"],
        parameters={"command": "demo", **_parameters(args)},
        seeds={"data": args.seed, "cv": args.seed, "controls": args.seed},
        title=f"sklearn-ais demo ({args.data})",
        ceiling_note="the demo's data set has no per-subject matrices",
    )
    print(f"Report: {page.resolve()}")
    print(f"Wall time: {time.perf_counter() - start:.1f} s")
    return 0


def _show(names):
    names = [str(n) for n in names]
    shown = ", ".join(names[:SHOWN])
    return shown + (f", ... ({len(names)} in all)" if len(names) > SHOWN else "")


def _square(values, path, how):
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(
            f"The matrix {path} is not square: {how} gives shape "
            f"{values.shape}; it must be n x n for n images."
        )


def _read_ids(path, n):
    """Ids from a text file, one a line, in the matrix's order."""
    ids = [line.strip() for line in Path(path).read_text().splitlines()]
    ids = [i for i in ids if i]
    if len(ids) != n:
        raise ValueError(
            f"--ids {path} holds {len(ids)} ids (one a line) but the matrix "
            f"is {n} x {n}."
        )
    duplicated = pd.Index(ids)[pd.Index(ids).duplicated()]
    if len(duplicated):
        raise ValueError(f"--ids {path} has duplicated ids: {_show(duplicated)}.")
    return ids


def _read_array(path, variable):
    if path.suffix.lower() == ".npy":
        if variable is not None:
            raise ValueError("--variable is for .mat files; the matrix is a .npy.")
        return np.load(path, allow_pickle=False), "np.load"
    from scipy.io import loadmat

    contents = {k: v for k, v in loadmat(path).items() if not k.startswith("__")}
    if variable is not None:
        if variable not in contents:
            raise ValueError(
                f"--variable {variable!r} is not in {path}; it holds "
                f"{_show(sorted(contents))}."
            )
        return np.asarray(contents[variable]), f"variable {variable!r}"
    if len(contents) != 1:
        raise ValueError(
            f"{path} holds {len(contents)} variables ({_show(sorted(contents))}): "
            "name the matrix with --variable NAME."
        )
    ((name, value),) = contents.items()
    return np.asarray(value), f"variable {name!r}"


def read_similarity(path, *, ids_file=None, variable=None):
    """The human matrix of ``sklearn-ais run`` as a labelled DataFrame.

    .csv/.tsv: ids in the first column and the header row (read with
    ``index_col=0`` and checked by the library's reading of ``y``); .npy/.mat
    carry no ids, so ``ids_file`` (one id per line, in the matrix's order) is
    required. Ids are strings; the columns are ordered as the index.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MATRIX_FORMATS:
        raise ValueError(
            f"--similarity {path}: unknown format {suffix!r}; expected one of "
            f"{', '.join(MATRIX_FORMATS)}."
        )
    if not path.is_file():
        raise FileNotFoundError(f"--similarity {path}: no such file.")
    if suffix in LABELLED_FORMATS:
        if ids_file is not None or variable is not None:
            raise ValueError(
                f"{path} carries its ids (first column and header row): "
                "--ids and --variable are for .npy and .mat matrices."
            )
        return _read_labelled(path)
    values, how = _read_array(path, variable)
    _square(values, path, how)
    if ids_file is None:
        raise ValueError(
            f"{path} carries no ids: give --ids FILE, one id per line in the "
            "matrix's order (ids are matched to the image file names' stems)."
        )
    ids = _read_ids(ids_file, len(values))
    values = labelled_matrix(pd.DataFrame(values, index=ids, columns=ids))
    return pd.DataFrame(values, index=ids, columns=ids)


def _read_labelled(path):
    """A .csv/.tsv matrix with its ids in the first column and header row."""
    sep = "," if path.suffix.lower() == ".csv" else "\t"
    frame = pd.read_csv(path, index_col=0, sep=sep)
    _square(frame.to_numpy(), path, "reading the first column as the ids")
    values = labelled_matrix(frame)
    ids = [str(i) for i in frame.index]
    return pd.DataFrame(values, index=ids, columns=ids)


def _subject_frame(frame, ids, name):
    """A subject's labelled matrix in the order of ``ids``; its ids must be
    the same set."""
    known, own = set(ids), set(frame.index)
    if known != own:
        problems = []
        if known - own:
            problems.append(f"ids missing: {_show([i for i in ids if i not in own])}")
        if own - known:
            extra = [i for i in frame.index if i not in known]
            problems.append(f"ids not in the similarity matrix: {_show(extra)}")
        raise ValueError(
            f"--subjects {name}: its ids differ from the similarity matrix's "
            f"({'; '.join(problems)})."
        )
    return frame.loc[ids, ids]


def subject_files(directory):
    """The .csv/.tsv files of a folder (hidden files ignored), by name."""
    return sorted(
        p
        for p in Path(directory).iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and p.suffix.lower() in LABELLED_FORMATS
    )


def read_subjects(path, ids):
    """The per-subject matrices of ``--subjects``, labelled by ``ids``.

    A folder: every .csv/.tsv file in it (hidden files ignored) is one
    subject's matrix, labelled like the main matrix (ids in the first column
    and header row, the same ids in any order), read in file-name order. A
    .npy file: an array of shape (n_subjects, n, n), rows and columns in the
    order of the main matrix's ids. At least 2 subjects, every pair rated.
    """
    path = Path(path)
    if path.is_dir():
        files = subject_files(path)
        frames = [_subject_frame(_read_labelled(f), ids, f.name) for f in files]
        names = [f.name for f in files]
    elif path.suffix.lower() == ".npy" and path.is_file():
        values = np.load(path, allow_pickle=False)
        n = len(ids)
        if values.ndim != 3 or values.shape[1:] != (n, n):
            raise ValueError(
                f"--subjects {path}: shape {values.shape}; expected "
                f"(n_subjects, {n}, {n}), one matrix per subject with rows and "
                "columns in the order of the similarity matrix's ids."
            )
        frames = [pd.DataFrame(v, index=ids, columns=ids) for v in values]
        names = [f"subject {k}" for k in range(len(frames))]
    elif path.suffix.lower() == ".npy":
        raise FileNotFoundError(f"--subjects {path}: no such file.")
    else:
        raise ValueError(
            f"--subjects {path}: expected a folder of .csv/.tsv matrices (one "
            "per subject) or a .npy array of shape (n_subjects, n, n)."
        )
    if len(frames) < 2:
        raise ValueError(
            f"--subjects {path}: a noise ceiling needs at least 2 subjects; "
            f"found {len(frames)}."
        )
    off_diagonal = ~np.eye(len(ids), dtype=bool)
    for name, frame in zip(names, frames):
        if np.isnan(frame.to_numpy(dtype=float)[off_diagonal]).any():
            raise ValueError(
                f"--subjects: {name} has unrated (empty) pairs; the noise "
                "ceiling needs every subject to rate every pair."
            )
    return frames, names


def _subjects_target(frames, names, target):
    """What every subject's matrix holds, read before any work is done.

    With ``auto``, each matrix's diagonal is read: largest of every row for
    similarities, smallest for dissimilarities (then also so in every test
    block). Every subject must hold the same kind, so that their mean
    matrices mean something.
    """
    kinds = {
        name: read_human_pairs(frame, len(frame), target=target).target
        for name, frame in zip(names, frames)
    }
    if len(set(kinds.values())) > 1:
        listed = "; ".join(f"{name}: {kind}" for name, kind in kinds.items())
        raise ValueError(
            "--subjects: the matrices do not all hold the same kind of values "
            f"(read by their diagonals: {listed[:300]}); give "
            "--subjects-target similarity or dissimilarity."
        )
    return next(iter(kinds.values()))


def match_images(directory, ids):
    """Image paths in the order of ``ids``, matched by file-name stem.

    Files whose extension PIL does not read, and hidden files, are ignored.
    Images without an id and ids without an image are both listed in the
    error; nothing is matched by sorted order.
    """
    from PIL import Image

    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"--images {directory}: no such directory.")
    extensions = {e.lower() for e in Image.registered_extensions()}
    files = sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in extensions
    )
    by_stem = {}
    for file in files:
        if file.stem in by_stem:
            raise ValueError(
                f"--images {directory}: two images share the name {file.stem!r} "
                f"({by_stem[file.stem].name}, {file.name})."
            )
        by_stem[file.stem] = file
    known = set(ids)
    no_image = [i for i in ids if i not in by_stem]
    no_id = [by_stem[s].name for s in by_stem if s not in known]
    if no_image or no_id:
        problems = []
        if no_image:
            problems.append(f"ids without an image: {_show(no_image)}")
        if no_id:
            problems.append(f"images without an id: {_show(no_id)}")
        raise ValueError(
            f"The images of {directory} do not match the matrix's ids (matched "
            f"by file-name stem): {'; '.join(problems)}."
        )
    return pd.Series([os.fspath(by_stem[i]) for i in ids], index=pd.Index(ids))


def _featurizer(args):
    from .featurizers import EfficientNetLite0Featurizer, TorchvisionFeaturizer

    if args.model == DEFAULT_MODEL:
        return EfficientNetLite0Featurizer(
            weights_path=args.weights, device=args.device, verbose=args.verbose
        )
    return TorchvisionFeaturizer(
        model=args.model,
        weights="DEFAULT" if args.weights is None else args.weights,
        device=args.device,
        verbose=args.verbose,
    )


def run(args):
    """Study a folder of images and a human similarity matrix; write the report.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``run`` options.

    Returns
    -------
    status : int
        The exit status, 0.
    """
    from .report import write_report

    start = time.perf_counter()
    y = read_similarity(args.similarity, ids_file=args.ids, variable=args.variable)
    images = match_images(args.images, list(y.index))
    subjects = None
    if args.subjects is not None:
        subjects, names = read_subjects(args.subjects, list(y.index))
        subjects_target = _subjects_target(subjects, names, args.subjects_target)
        print(
            f"{len(subjects)} subjects' matrices ({subjects_target}): {_show(names)}."
        )
    most = len(y) // MIN_TEST_IMAGES
    if args.folds > most:
        raise _UsageError(
            f"argument --folds: at most {most} folds for {len(y)} images (each "
            f"test fold needs {MIN_TEST_IMAGES} images), got {args.folds}"
        )
    print(f"{len(y)} images matched to the matrix's ids; network: {args.model}.")
    maps = _featurizer(args).fit_transform(images)
    selector, explainer, result = _study(
        maps, y, args, target=args.target, device=args.device, missing=args.missing
    )
    ceiling = None
    if subjects is not None:
        # The blocks of Full and Retained, in the study's comparison.
        ceiling = noise_ceiling(
            subjects,
            cv=result.splits,
            comparison=selector.comparison,
            target=subjects_target,
            random_state=args.seed,
        )
        print(ceiling.summary())
    inputs = {"similarity": args.similarity, "images": list(images)}
    if args.ids is not None:
        inputs["ids"] = args.ids
    if args.weights is not None:
        inputs["weights"] = args.weights
    if args.subjects is not None:
        folder = Path(args.subjects)
        inputs["subjects"] = subject_files(folder) if folder.is_dir() else folder
    page = write_report(
        args.out,
        selector=selector,
        result=result,
        explainer=explainer,
        images=images,
        parameters={"command": "run", **_parameters(args)},
        seeds={"cv": args.seed, "controls": args.seed},
        inputs=inputs,
        title=f"sklearn-ais run: {Path(args.similarity).name}",
        ceiling=ceiling,
        ceiling_note="no per-subject matrices were given (--subjects)",
    )
    print(f"Report: {page.resolve()}")
    print(f"Wall time: {time.perf_counter() - start:.1f} s")
    return 0


class _UsageError(Exception):
    """A bad command line, reported in one line."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, without the usage."""

    def error(self, message):
        raise _UsageError(message)


def _integer(minimum=None, *, nonzero=False):
    """argparse ``type`` for an int with a lower bound (or not zero)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(
                f"must be an integer >= {minimum}, got {value}"
            )
        if nonzero and value == 0:
            raise argparse.ArgumentTypeError(
                "must be a positive number of jobs, or negative to count back "
                "from the number of CPUs (-1: all); got 0"
            )
        return value

    return parse


def _build_parser():
    parser = _Parser(
        prog=PROG,
        description="Alignment Importance Scores for explaining human comparisons.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="print the version and exit",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo_parser = commands.add_parser(
        "demo",
        help="the study on an embedded data set, with its report",
        description="Cross-validate the full network against its AIS-retained "
        "maps on an embedded data set, print the paired comparison and write "
        "the report folder.",
    )
    demo_parser.add_argument(
        "--data",
        choices=sorted(DEMOS),
        default="images",
        help="generated images with EfficientNet-Lite0 (needs the 'pretrained' "
        "extra), or a synthetic feature matrix (no torch needed); "
        "default: %(default)s",
    )
    demo_parser.add_argument(
        "--out",
        default=DEMO_OUT,
        help="folder of the report (created or overwritten); default: "
        "%(default)s in the current directory",
    )
    _add_protocol_options(
        demo_parser,
        seed_help="seed of the generated data set, the folds, the random "
        "subsets and the bootstrap",
    )
    demo_parser.add_argument(
        "--verbose",
        type=_integer(0),
        default=0,
        help="0: quiet; 1: progress bars; default: %(default)s",
    )
    demo_parser.set_defaults(func=demo)

    run_parser = commands.add_parser(
        "run",
        help="the study on your own images and human similarity matrix",
        description="Compute the feature maps of a folder of images, fit AIS, "
        "S* and per-image heatmaps against a human similarity matrix, "
        "cross-validate Full vs Retained maps and write a report folder.",
    )
    run_parser.add_argument(
        "--images",
        required=True,
        help="folder of the images, one file per item, named by its id "
        "(file-name stem, e.g. img7.png for id img7)",
    )
    run_parser.add_argument(
        "--similarity",
        required=True,
        help="the human matrix: .csv/.tsv with the ids in the first column and "
        "the header row, or .npy/.mat (then --ids is required)",
    )
    run_parser.add_argument(
        "--out", required=True, help="folder of the report (created or overwritten)"
    )
    run_parser.add_argument(
        "--ids",
        default=None,
        help="text file of the ids of a .npy/.mat matrix, one per line in the "
        "matrix's order",
    )
    run_parser.add_argument(
        "--variable",
        default=None,
        help="the matrix's variable in a .mat file holding several",
    )
    run_parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"{DEFAULT_MODEL} (offline ImageNet weights, the 'pretrained' "
        "extra) or a torchvision model name (e.g. resnet50; its weights are "
        "torchvision's, downloaded on first use, unless --weights is given); "
        "default: %(default)s",
    )
    run_parser.add_argument(
        "--weights",
        default=None,
        help="a state-dict file of the model's weights",
    )
    run_parser.add_argument(
        "--target",
        choices=["auto", "similarity", "dissimilarity"],
        default="auto",
        help="what the matrix holds; auto reads its diagonal; default: %(default)s",
    )
    run_parser.add_argument(
        "--missing",
        choices=["raise", "ignore"],
        default="raise",
        help="empty (NaN) cells of the matrix: an error, or pairs nobody rated, "
        "left out of every comparison; default: %(default)s",
    )
    run_parser.add_argument(
        "--device",
        default="auto",
        help="torch device (auto, cpu, cuda, ...); default: %(default)s",
    )
    run_parser.add_argument(
        "--subjects",
        default=None,
        help="per-subject matrices over the same images, for the noise "
        "ceiling: a folder of .csv/.tsv files (one per subject, labelled like "
        "--similarity) or a .npy of shape (n_subjects, n, n) in the order of "
        "the matrix's ids; default: no ceiling",
    )
    run_parser.add_argument(
        "--subjects-target",
        choices=["auto", "similarity", "dissimilarity"],
        default="auto",
        help="what the per-subject matrices hold (may differ from --target); "
        "auto reads their diagonals; default: %(default)s",
    )
    _add_protocol_options(
        run_parser, seed_help="seed of the folds, the random subsets and the bootstrap"
    )
    run_parser.add_argument(
        "--verbose",
        type=_integer(0),
        default=1,
        help="0: quiet; 1: progress bars; default: %(default)s",
    )
    run_parser.set_defaults(func=run)
    return parser


def _add_protocol_options(parser, *, seed_help):
    parser.add_argument(
        "--folds",
        type=_integer(2),
        default=5,
        help="folds of the image-level cross-validation, from 2 to the number "
        f"of images / {MIN_TEST_IMAGES}; default: %(default)s",
    )
    parser.add_argument(
        "--repeats",
        type=_integer(1),
        default=8,
        help="times the cross-validation is repeated with new folds; "
        "default: %(default)s",
    )
    parser.add_argument(
        "--random-draws",
        type=_integer(0),
        default=RANDOM_DRAWS,
        help="random same-size subsets scored against the retained maps in "
        "each fold (0: none); default: %(default)s",
    )
    parser.add_argument(
        "--bootstrap",
        type=_integer(0),
        default=BOOTSTRAP,
        help="bootstrap samples of the images for the 95%% intervals of Full, "
        "Retained and their difference (0: none); default: %(default)s",
    )
    parser.add_argument(
        "--seed",
        type=_integer(0),
        default=0,
        help=f"{seed_help}; default: %(default)s",
    )
    parser.add_argument(
        "--n-jobs",
        type=_integer(nonzero=True),
        default=None,
        help="threads of the AIS computation (-1: all CPUs); default: 1",
    )


def _check_args(args):
    """Checks that need several options or the data set's size."""
    if args.command == "demo":
        n_images = DATA_SIZES[args.data]
        most = n_images // MIN_TEST_IMAGES
        if args.folds > most:
            raise _UsageError(
                f"argument --folds: at most {most} folds for the {n_images} "
                f"images of --data {args.data} (each test fold needs "
                f"{MIN_TEST_IMAGES} images), got {args.folds}"
            )


def _one_line(text):
    return " ".join(str(text).split())


def main(argv=None):
    """Run the ``sklearn-ais`` command.

    ``sklearn-ais run --images DIR --similarity FILE --out DIR`` studies a
    folder of images against a human similarity matrix: feature maps, AIS,
    S*, per-image heatmaps, cross-validated Full vs Retained maps, and a
    report folder (:func:`sklearn_ais.report.write_report`).
    ``sklearn-ais demo`` does the same on an embedded data set (``--data
    images``: EfficientNet-Lite0 on generated images; ``--data synthetic``: a
    feature matrix, no torch needed) and writes its report to ``--out``.
    ``sklearn-ais --version`` prints the version.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 for a bad command line, 1 for a failed run; the error
        is one line on stderr.

    See Also
    --------
    sklearn_ais.model_selection.compare_full_vs_retained : The protocol run.

    Examples
    --------
    >>> from sklearn_ais.cli import main
    >>> main(["demo", "--data", "synthetic", "--folds", "2", "--repeats", "1"])
    ... # doctest: +SKIP
    0
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        _check_args(args)
    except _UsageError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except _UsageError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except RUN_ERRORS as exc:
        print(f"{PROG}: error: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
