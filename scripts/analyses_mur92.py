"""The paper's Aim 2-3 analyses on real human judgments: Mur et al. (2013).

On the 92 images and the mean of 16 subjects' judgments, with EfficientNet-Lite0
and EfficientNet-Lite1 (ImageNet weights, installed offline):

* heatmap Match between the two networks per image, and its correlation with
  the larger of their post-softmax entropies;
* the two networks' AIS distributions and a Kolmogorov-Smirnov test;
* the relative risk of the AIS region inside the salient region (OpenCV's
  spectral residual, the ``saliency`` extra) at the top 5/10/15 %, and the
  precision-recall curves of saliency at finding the AIS region;
* the model-randomisation check: heatmaps of the trained network against
  the same architecture with random weights;
* faithfulness in human-alignment units: cross-fitted deletion curves of
  the AIS heatmaps, the spectral residual and random pixels;
* the split-half reliability of per-image AIS and heatmaps across subjects.

    python scripts/analyses_mur92.py [OUT_DIR]

Writes ``analyses_mur92.csv``, ``reliability_mur92.csv``,
``deletion_mur92.csv``, ``saliency_mur92.png``,
``precision_recall_mur92.png``, ``deletion_mur92.png`` and
``ais_distributions_mur92.png`` to OUT_DIR (default: ``examples_output``).
About 10 minutes on a 2-core CPU, most of it the deletion curves.
Data are found as ``sklearn_ais.datasets.load_mur92()`` finds them.
"""

# %%
# Two networks explain the same judgments
# ---------------------------------------
import os
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_ais import AISHeatmapExplainer, EfficientNetLiteFeaturizer
from sklearn_ais.analysis import (
    compare_ais,
    deletion_auc,
    deletion_curves,
    heatmap_match,
    match_entropy_correlation,
    randomization_check,
    relative_risk,
    softmax_entropy,
    spectral_residual_saliency,
    split_half_reliability,
)
from sklearn_ais.datasets import load_mur92
from sklearn_ais.explain import upsample_heatmap
from sklearn_ais.plotting import (
    AISDistributionDisplay,
    DeletionCurveDisplay,
    SaliencyComparisonDisplay,
    SaliencyPrecisionRecallDisplay,
)

out = Path(sys.argv[1] if len(sys.argv) > 1 else "examples_output")
out.mkdir(parents=True, exist_ok=True)
project_data = Path(__file__).resolve().parents[2] / "shared" / "data"
os.environ.setdefault("SKLEARN_AIS_DATA", str(project_data))
data = load_mur92()
warnings.simplefilter("ignore", UserWarning)  # a few all-zero heatmaps

fits, entropies = {}, {}
for variant in ("lite0", "lite1"):
    featurizer = EfficientNetLiteFeaturizer(variant=variant).fit(data.images)
    maps = featurizer.transform(data.images)
    fits[variant] = AISHeatmapExplainer(featurizer="passthrough").fit(
        maps, data.similarity
    )
    entropies[variant] = softmax_entropy(featurizer.logits(data.images))
    if variant == "lite0":
        lite0_maps = maps
match, sizes = heatmap_match(
    fits["lite0"].map_heatmaps_, fits["lite1"].map_heatmaps_, size=(14, 14)
)
link = match_entropy_correlation(match, entropies["lite0"], entropies["lite1"])
ks = compare_ais(fits["lite0"].ais_per_image_, fits["lite1"].ais_per_image_)
print(
    f"Match Lite0 vs Lite1 (heatmaps at 14 x 14): median {np.nanmedian(match):.3f}; "
    f"correlation with maxEntropy r = {link['r']:.3f} (p = {link['pvalue']:.2g}, "
    f"n = {link['n']})"
)
print(
    f"Per-image AIS distributions, Lite0 vs Lite1: KS D = {ks['ks_statistic']:.3f} "
    f"(p = {ks['ks_pvalue']:.2g})"
)
display = AISDistributionDisplay(
    ais={name: fit.ais_ for name, fit in fits.items()}
).plot()
display.ax_.set_title("Dataset AIS of two networks, Mur92")
display.figure_.savefig(out / "ais_distributions_mur92.png", dpi=80)

# %%
# AIS regions against a saliency baseline
# ---------------------------------------
size = data.images.shape[1:3]
heatmaps = [upsample_heatmap(h, size) for h in fits["lite0"].map_heatmaps_]
saliency = spectral_residual_saliency(data.images)
risks = pd.DataFrame(
    {f"top {top}%": relative_risk(heatmaps, saliency, top=top) for top in (5, 10, 15)},
    index=data.ids,
)
print("Relative risk of the AIS region where it is salient (median over images):")
print(risks.median().round(2).to_string())
shown = [0, 12, 24, 36, 48, 72]
SaliencyComparisonDisplay(
    images=data.images[shown],
    ais_heatmaps=[heatmaps[i] for i in shown],
    saliency=[saliency[i] for i in shown],
    titles=[data.ids[i] for i in shown],
).plot(n_cols=3).figure_.savefig(out / "saliency_mur92.png", dpi=80)

pr = SaliencyPrecisionRecallDisplay.from_predictions(heatmaps, saliency)
pr.ax_.set_title("Spectral residual vs AIS regions, Mur92 (pooled)", fontsize=9)
pr.figure_.savefig(out / "precision_recall_mur92.png", dpi=80)

# %%
# Model randomisation: do the heatmaps depend on the learned weights?
# ------------------------------------------------------------------
randomised = randomization_check(
    AISHeatmapExplainer(featurizer=EfficientNetLiteFeaturizer(variant="lite0")),
    data.images,
    data.similarity,
    random_featurizer=EfficientNetLiteFeaturizer(
        variant="lite0", pretrained=False, random_state=0
    ),
    size=(14, 14),
)
print(
    "Randomisation check: median Match trained vs random weights "
    f"{randomised['match'].median():.3f}; mean per-image 2OI "
    f"{randomised['full_score_trained'].mean():.3f} (trained) vs "
    f"{randomised['full_score_random'].mean():.3f} (random)"
)

# %%
# Faithfulness: deleting what the heatmaps point at
# -------------------------------------------------
# Cross-fitted: in each of 4 folds, the explainer is fitted on 69 images;
# each test image's heatmap comes from its judgments against those 69; its
# top pixels are deleted (mean colour) and the 23 test images' 2OI measured.
curves = deletion_curves(
    AISHeatmapExplainer(),
    data.images,
    data.similarity,
    cv=4,
    saliency=spectral_residual_saliency,
    percents=(0, 5, 10, 20, 40),
)
auc = deletion_auc(curves)
print("Area under the deletion curves (lower = more faithful), 4 folds:")
print(auc.agg(["mean", "std"]).round(3).to_string())
deletion = DeletionCurveDisplay(curves=curves).plot()
deletion.figure_.savefig(out / "deletion_mur92.png", dpi=80)
curves.to_csv(out / "deletion_mur92.csv", index=False)

# %%
# Split-half reliability across the 16 subjects
# ---------------------------------------------
reliability = split_half_reliability(
    AISHeatmapExplainer(featurizer="passthrough"),
    lite0_maps,
    data.subject_dissimilarity_frames,
    n_splits=5,
)
print("Split-half reliability (Spearman-Brown), mean over 5 splits:")
print(reliability.mean().round(3).to_string())

table = risks.assign(
    match_lite0_lite1=match,
    entropy_lite0=entropies["lite0"],
    entropy_lite1=entropies["lite1"],
    full_2oi_lite0=fits["lite0"].full_score_per_image_,
    match_trained_random=randomised["match"].to_numpy(),
)
table.to_csv(out / "analyses_mur92.csv")
reliability.to_csv(out / "reliability_mur92.csv", index=False)
plt.close("all")
print(f"Tables and figures written to {out}/")
