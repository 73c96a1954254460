"""Time 5-fold ``cross_val_score`` of a featurizer + selector pipeline.

    python benchmarks/bench_pipeline_cv.py [--model vgg16] [--size 64] [--images 40]

A torchvision network with random weights (nothing is downloaded) on generated
images resized to ``--size`` pixels. Every fold fits a clone of the
featurizer; with ``random_state=0`` the network is built once and the later
folds reuse it. Prints the cross-validation time and the time of five
featurizer fits alone (what the folds spend building networks). On a checkout
from before the network cache (no ``input_size`` parameter) the same resizing
is done by a ``preprocess`` function and every fit builds the network, which
gives the "before" times.
"""

import argparse
import time

from sklearn.base import clone
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_ais import (
    AISFeatureMapSelector,
    RSAScorer,
    TorchvisionFeaturizer,
    VGGFeaturizer,
)
from sklearn_ais.datasets import make_comparison_images


def featurizer(model, size):
    if model.startswith("vgg"):
        cls, params = VGGFeaturizer, {"arch": model, "weights": None}
    else:
        cls, params = TorchvisionFeaturizer, {"model": model, "weights": None}
    if "input_size" in cls().get_params():
        return cls(**params, random_state=0, input_size=size)
    # Before the cache: the default preprocessing, at another size.
    import torch
    from torchvision.transforms import v2

    resize = v2.Compose(
        [
            v2.PILToTensor(),
            v2.Resize((size, size)),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        ]
    )
    return cls(**params, preprocess=resize)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vgg16", help="torchvision architecture")
    parser.add_argument("--size", type=int, default=64, help="input size in pixels")
    parser.add_argument("--images", type=int, default=40, help="number of images")
    args = parser.parse_args()

    data = make_comparison_images(n_images=args.images, image_size=96, random_state=0)
    feat = featurizer(args.model, args.size)
    pipe = Pipeline([("feat", feat), ("ais", AISFeatureMapSelector())])
    cv = KFold(5, shuffle=True, random_state=0)
    start = time.perf_counter()
    scores = cross_val_score(
        pipe, data.images, data.similarity, cv=cv, scoring=RSAScorer()
    )
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(5):
        clone(feat).fit(data.images)
    fits = time.perf_counter() - start
    print(
        f"{args.model}, {args.images} images at {args.size} px: 5-fold "
        f"cross_val_score {elapsed:.1f} s; five featurizer fits {fits:.1f} s"
    )
    print("scores:", scores.round(3))


if __name__ == "__main__":
    main()
