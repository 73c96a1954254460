"""
AIS heatmaps against saliency, and how faithful they are
========================================================

Two questions about the heatmaps of
:class:`~sklearn_ais.AISHeatmapExplainer`, on generated images:

* **Are they just saliency?** The region a heatmap ranks highest is compared
  with the salient region of a model-free baseline (OpenCV's spectral
  residual, :func:`~sklearn_ais.analysis.spectral_residual_saliency`, the
  ``saliency`` extra): relative risk and precision-recall.
* **Are they faithful?** Deleting the pixels a heatmap ranks highest from
  held-out images should lower the network's alignment with the humans
  faster than deleting salient or random pixels
  (:func:`~sklearn_ais.analysis.deletion_curves`, measured in 2OI).
"""

# %%
# Heatmaps and saliency maps
# --------------------------
import warnings

import pandas as pd
from sklearn.model_selection import KFold

from sklearn_ais import AISHeatmapExplainer
from sklearn_ais.analysis import (
    deletion_auc,
    deletion_curves,
    relative_risk,
    spectral_residual_saliency,
)
from sklearn_ais.datasets import make_comparison_images
from sklearn_ais.plotting import (
    DeletionCurveDisplay,
    SaliencyComparisonDisplay,
    SaliencyPrecisionRecallDisplay,
)

warnings.simplefilter("ignore", UserWarning)  # a few all-zero heatmaps
data = make_comparison_images(n_images=24, image_size=96, random_state=0)
explainer = AISHeatmapExplainer().fit(data.images, data.similarity)
saliency = spectral_residual_saliency(data.images)

# %%
# Relative risk: how much more likely an AIS-region pixel is to be salient
# than chance (1 = no relation), for the top 5, 10 and 15 % of each map.
risks = pd.DataFrame(
    {
        f"top {top}%": relative_risk(explainer.heatmaps_, saliency, top=top)
        for top in (5, 10, 15)
    }
)
print("Relative risk, median over images:")
print(risks.median().round(2).to_string())

SaliencyComparisonDisplay(
    images=data.images[:6],
    ais_heatmaps=explainer.heatmaps_[:6],
    saliency=saliency[:6],
).plot(n_cols=3)

# %%
# Precision and recall of the salient region at finding the AIS region, at
# several thresholds of the AIS heatmap.
pr = SaliencyPrecisionRecallDisplay.from_predictions(explainer.heatmaps_, saliency)
pr.ax_.set_title("Spectral residual vs AIS regions (pooled)", fontsize=9)

# %%
# Deletion curves, cross-fitted
# -----------------------------
# In each fold the explainer is fitted on the training images; each test
# image's heatmap comes from its judgments against the training images, so the
# test pairs that judge the deletion were never seen. A lower area under the
# curve means the 2OI fell faster: a more faithful ranking of the pixels.
# (Two folds and 24 images keep this example short; the full-size study is
# ``scripts/faithfulness_generated.py``.)
curves = deletion_curves(
    AISHeatmapExplainer(),
    data.images,
    data.similarity,
    cv=KFold(2, shuffle=True, random_state=0),
    saliency=spectral_residual_saliency,
    percents=(0, 10, 30),
)
print("Area under the deletion curves (lower = more faithful), per fold:")
print(deletion_auc(curves).round(3).to_string())
DeletionCurveDisplay(curves=curves).plot()
