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
import re
import sys
import time
from pathlib import Path

from PIL import Image
from sklearn.model_selection import RepeatedKFold

from . import __version__
from ._demo import DATA_SIZES, DEMOS, ground_truth
from ._files import ReportFolderError, check_report_folder, report_lock
from ._human import read_target
from .io import (
    _show,
    _subjects_target,
    match_images,
    read_similarity,
    read_subjects,
    subject_files,
)
from .model_selection import FullVsRetained, run_study
from .report import GALLERY_SIZE
from .selection import AISFeatureMapSelector

__all__ = ["main"]

PROG = "sklearn-ais"
# Each test fold needs pairs of images to score: at least three images.
MIN_TEST_IMAGES = 3
# Errors a run reports in one line. Anything else is a bug: it keeps its
# traceback.
RUN_ERRORS = (
    ValueError,
    TypeError,
    OSError,
    ImportError,
    RuntimeError,
    MemoryError,
    # An image over PIL's pixel limit (PIL.Image.DecompressionBombError).
    Image.DecompressionBombError,
)
# Exit status of a run interrupted by Ctrl-C (128 + SIGINT), as shells give.
INTERRUPTED = 130
# The library's parameters as the command line spells them, for its hints
# (``missing='ignore'`` becomes ``--missing ignore``).
CLI_OPTIONS = {
    "missing": "--missing",
    "target": "--target",
    "subjects_target": "--subjects-target",
    "variable": "--variable",
    "ids_file": "--ids",
    "n_jobs": "--n-jobs",
    "device": "--device",
    "random_state": "--seed",
}
_PYTHON_ARGUMENT = re.compile(
    r"\b(" + "|".join(CLI_OPTIONS) + r")=(?:'([^']*)'|\"([^\"]*)\"|([\w.-]+))"
)


DEFAULT_MODEL = "efficientnet_lite0"
DEMO_OUT = "sklearn_ais_demo_report"
# Modest defaults: the controls and the bootstrap add a few seconds to the
# demo (docs/design.md has the measurement).
RANDOM_DRAWS = 10
BOOTSTRAP = 500


def _study(X, y, args, *, target="auto", device="auto", missing="raise", **more):
    """:func:`~sklearn_ais.model_selection.run_study` with the command's
    options, printed as the command reports it.

    The cross-validation scores Full, Retained and the same-size controls on
    the same folds, records each fold's retained maps and bootstraps the
    test images (``--random-draws``, ``--bootstrap``).
    """
    selector = AISFeatureMapSelector(
        target=target,
        missing=missing,
        device=device,
        n_jobs=args.n_jobs,
        verbose=args.verbose,
    )
    cv = RepeatedKFold(
        n_splits=args.folds, n_repeats=args.repeats, random_state=args.seed
    )
    study = run_study(
        selector,
        X,
        y,
        cv=cv,
        n_random=args.random_draws,
        n_bootstrap=args.bootstrap,
        random_state=args.seed,
        **more,
    )
    from ._report_results import retained_score

    selector = study.selector
    print(
        f"All-data 2OI {selector.full_score_:.3f}; the retained maps (S*) are "
        f"{selector.n_features_} maps (2OI {retained_score(selector):.3f})."
    )
    print(
        f"Image-level {args.folds}-fold cross-validation repeated {args.repeats} "
        "times: AIS and the retained maps are fitted on the training images only; "
        f"controls: {args.random_draws} random same-size subsets, top mean "
        f"activation, top variance; {args.bootstrap} bootstrap samples of the "
        "images."
    )
    print(FullVsRetained.summary(study.controls))
    print(study.controls.summary())
    if study.controls.subjects is not None:
        print(study.controls.subjects.summary())
    if study.ceiling is not None:
        print(study.ceiling.summary())
    return study


def _write_report(args, study, **report):
    """The study's report folder, for either command; prints its path."""
    from .report import write_report

    page = write_report(
        args.out,
        selector=study.selector,
        result=study.controls,
        explainer=study.explainer,
        ceiling=study.ceiling,
        parameters={"command": args.command, **_parameters(args)},
        **report,
    )
    print(f"Report: {page.resolve()}")
    return 0


def _check_folds(args, n_images, images):
    """Each test fold needs pairs of images to score."""
    most = n_images // MIN_TEST_IMAGES
    if args.folds > most:
        raise _UsageError(
            f"argument --folds: at most {most} folds for {images} (each test "
            f"fold needs {MIN_TEST_IMAGES} images), got {args.folds}"
        )


def _parameters(args):
    return {
        key: os.fspath(value) if isinstance(value, os.PathLike) else value
        for key, value in vars(args).items()
        if key not in ("func", "command")
    }


def demo(args):
    """``sklearn-ais demo``: the study of an embedded data set, reported.

    The data set's known truth (the relevant maps, or the objects' masks) is
    checked once: printed, and passed to the report.
    """
    data = DEMOS[args.data](args)
    study = _study(data["X"], data["y"], args)
    truth = ground_truth(data, study)
    for label, value in truth.items():
        print(f"{label}: {value}.")
    return _write_report(
        args,
        study,
        images=data["images"],
        outlines=data.get("masks"),
        ground_truth=truth,
        seeds={"data": args.seed, "cv": args.seed, "controls": args.seed},
        title=f"sklearn-ais demo ({args.data})",
        ceiling_note="the demo's data set has no per-subject matrices",
    )


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
    """``sklearn-ais run``: the study of the user's images and matrix, reported."""
    y = read_similarity(args.similarity, ids_file=args.ids, variable=args.variable)
    reading, reason = read_target(y, target=args.target, cli=True)
    print(f"Reading of y: {reading} ({reason}).")
    if args.gallery is not None:
        _check_gallery(args.gallery, y.index)
    images = match_images(args.images, list(y.index))
    subjects, subjects_target = None, "auto"
    if args.subjects is not None:
        subjects, names = read_subjects(args.subjects, list(y.index))
        subjects_target = _subjects_target(subjects, names, args.subjects_target)
        print(
            f"{len(subjects)} subjects' matrices ({subjects_target}): {_show(names)}."
        )
    _check_matrix(y, args)
    _check_folds(args, len(y), f"{len(y)} images")
    print(f"{len(y)} images matched to the matrix's ids; network: {args.model}.")
    maps = _featurizer(args).fit_transform(images)
    study = _study(
        maps,
        y,
        args,
        target=args.target,
        device=args.device,
        missing=args.missing,
        subjects=subjects,
        subjects_target=subjects_target,
    )
    inputs = {"similarity": args.similarity, "images": list(images)}
    if args.ids is not None:
        inputs["ids"] = args.ids
    if args.weights is not None:
        inputs["weights"] = args.weights
    if args.subjects is not None:
        folder = Path(args.subjects)
        inputs["subjects"] = subject_files(folder) if folder.is_dir() else folder
    return _write_report(
        args,
        study,
        images=images,
        gallery=args.gallery,
        seeds={"cv": args.seed, "controls": args.seed},
        inputs=inputs,
        title=f"sklearn-ais run: {Path(args.similarity).name}",
        ceiling_note="no per-subject matrices were given (--subjects)",
    )


def _check_gallery(gallery, ids):
    """``--gallery``'s ids are the matrix's, checked before any image is read."""
    from .report import check_gallery

    try:
        check_gallery(gallery, ids, name="argument --gallery")
    except ValueError as exc:
        raise _UsageError(str(exc)) from None


def _check_matrix(y, args):
    """The matrix read as the selector will read it, before any image is
    featurized: square, symmetric, finite (or ``--missing ignore``), every
    image rated, read as ``--target`` says."""
    from ._human import check_every_image_rated, read_human_pairs

    pairs = read_human_pairs(y, len(y), target=args.target, missing=args.missing)
    check_every_image_rated(pairs.pairs, len(y))


def _check_out(args):
    """``--out`` can take the report: checked before any work."""
    forbidden = []
    if args.command == "run":
        forbidden.append(("the images folder (--images)", args.images))
        if args.subjects is not None and Path(args.subjects).is_dir():
            forbidden.append(("the subjects folder (--subjects)", args.subjects))
    try:
        check_report_folder(args.out, forbidden=forbidden)
    except ReportFolderError as exc:
        raise _UsageError(f"argument --out: {exc}") from None


def _cli_words(message):
    """A library message with its hints in the command line's syntax."""

    def option(match):
        value = next(v for v in match.groups()[1:] if v is not None)
        return f"{CLI_OPTIONS[match.group(1)]} {value}"

    return _PYTHON_ARGUMENT.sub(option, message)


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
        help="folder of the report: new, empty, or an earlier report (replaced "
        "whole); default: %(default)s in the current directory",
    )
    _add_protocol_options(
        demo_parser,
        seed_help="seed of the generated data set, the folds, the random "
        "subsets and the bootstrap",
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
        "--out",
        required=True,
        help="folder of the report: new, empty, or an earlier report (replaced "
        "whole); not inside --images or --subjects",
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
    run_parser.add_argument(
        "--gallery",
        nargs="+",
        default=None,
        metavar="ID",
        help="ids of the images whose heatmaps the report's gallery shows; "
        f"default: {GALLERY_SIZE} images at evenly spaced ranks of their "
        "per-image 2OI (the full model's), from the lowest to the highest",
    )
    _add_protocol_options(
        run_parser,
        seed_help="seed of the folds, the random subsets and the bootstrap",
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
    parser.add_argument(
        "--verbose",
        type=_integer(0),
        default=None,
        help="0: quiet; 1: progress bars; default: progress bars when stderr "
        "is a terminal, none when it is not (a log file, CI)",
    )


def _interactive():
    """Whether stderr, where progress bars go, is a terminal."""
    stream = sys.stderr
    return stream is not None and stream.isatty()


def _check_args(args):
    """Checks that need several options or the data set's size; the
    verbosity both commands share by default (progress bars on a terminal
    only)."""
    if args.verbose is None:
        args.verbose = int(_interactive())
    if args.command == "demo":
        n_images = DATA_SIZES[args.data]
        _check_folds(args, n_images, f"the {n_images} images of --data {args.data}")


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
        0 on success, 2 for a bad command line, 1 for a failed run, 130 for
        a run interrupted by Ctrl-C; the error is one line on stderr.

    See Also
    --------
    sklearn_ais.model_selection.run_study : The study the commands run.
    sklearn_ais.io.read_similarity : How ``run`` reads ``--similarity``.

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
        start = time.perf_counter()
        # --out is checked and locked before any work; write_report takes the
        # same lock again, writes a new folder and moves it into place.
        _check_out(args)
        with report_lock(args.out):
            status = args.func(args)
        print(f"Wall time: {time.perf_counter() - start:.1f} s")
        return status
    except KeyboardInterrupt:
        print(
            f"{PROG}: interrupted: no report written, {os.fspath(args.out)!r} is "
            "as it was",
            file=sys.stderr,
        )
        return INTERRUPTED
    except _UsageError as exc:
        print(f"{PROG}: error: {_one_line(_cli_words(str(exc)))}", file=sys.stderr)
        return 2
    except ReportFolderError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except RUN_ERRORS as exc:
        message = _one_line(_cli_words(str(exc)))
        print(f"{PROG}: error: {type(exc).__name__}: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
