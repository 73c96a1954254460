"""The command line's embedded data sets, and the truth they were made with.

``sklearn-ais demo --data images`` (generated images, EfficientNet-Lite0) and
``--data synthetic`` (a feature matrix): each makes its data set, prints what
it is, and says how much of its known truth the study recovered.
"""

import pandas as pd


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


def _recovered_maps(study, relevant):
    """The synthetic truth: the relevant maps among the top ones by AIS."""
    top = set(study.selector.ais_ranking_.argsort()[: len(relevant)])
    found = len(top & set(relevant))
    return {
        f"Relevant maps among the top {len(relevant)} by AIS": (
            f"{found}/{len(relevant)}"
        )
    }


def _recovered_objects(study, masks):
    """The generated images' truth: which object each heatmap is warmer on."""
    from ._heatmaps import upsample_heatmap
    from .analysis import relevant_over_distractor

    explainer = study.explainer
    relevant, distractor = masks["relevant object"], masks["distractor"]
    # The study's heatmaps are at map resolution: brought to the masks' size.
    heatmaps = [
        upsample_heatmap(h, mask.shape, mode=explainer.upsample)
        for h, mask in zip(explainer.map_heatmaps_, relevant)
    ]
    warmer = relevant_over_distractor(heatmaps, relevant, distractor)
    return {
        "Heatmaps warmer per pixel on the relevant object than on the "
        "distractor": f"{int(warmer.sum())}/{len(heatmaps)} images"
    }


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
    return {
        "X": maps,
        "y": data.similarity,
        "images": images,
        "masks": {
            "relevant object": data.relevant_masks,
            "distractor": data.distractor_masks,
        },
    }


def ground_truth(data, study):
    """What the study recovered of the data set's truth, as {label: value}."""
    if data.get("masks") is not None:
        return _recovered_objects(study, data["masks"])
    return _recovered_maps(study, data["relevant"])


DEMOS = {"images": _images_demo, "synthetic": _synthetic_demo}
# Number of images of each demo's data set, known before it is made, so that
# --folds is checked before any work.
DATA_SIZES = {"images": 96, "synthetic": 120}
