"""Command line: ``sklearn-ais demo`` (or ``python -m sklearn_ais demo``)."""

import argparse
import sys
import time

import numpy as np
from sklearn.model_selection import RepeatedKFold

from .model_selection import compare_full_vs_retained
from .selection import AISFeatureMapSelector


def _synthetic_demo(args):
    from .datasets import make_alignment_problem

    X, H, relevant = make_alignment_problem(
        n_images=120, n_maps=512, n_relevant=16, random_state=args.seed
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

    images = make_comparison_images(n_images=96, image_size=128, random_state=args.seed)
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


def demo(args):
    """Cross-validate Full vs Retained on an embedded data set and print a table."""
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


def main(argv=None):
    """Entry point of the ``sklearn-ais`` command."""
    parser = argparse.ArgumentParser(
        prog="sklearn-ais",
        description="Alignment Importance Scores for explaining human comparisons.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="Full vs Retained maps, cross-validated, on an embedded data set."
    )
    demo_parser.add_argument(
        "--data",
        choices=sorted(DEMOS),
        default="images",
        help="generated images with EfficientNet-Lite0 (needs the 'pretrained' "
        "extra), or a synthetic feature matrix (no torch needed)",
    )
    demo_parser.add_argument("--verbose", type=int, default=0)
    demo_parser.add_argument("--folds", type=int, default=5)
    demo_parser.add_argument("--repeats", type=int, default=8)
    demo_parser.add_argument("--seed", type=int, default=0)
    demo_parser.add_argument("--n-jobs", type=int, default=None)
    demo_parser.set_defaults(func=demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
