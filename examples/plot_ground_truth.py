"""
Do the heatmaps point at the right object? Generated images
===========================================================

On real photographs nobody knows what people looked at. On the images of
:func:`~sklearn_ais.datasets.make_comparison_images` we do: each holds a
*relevant* object, whose shape, colour and size alone drive the generated
human similarities, and a *distractor* of the same kind and size that does
not, with a mask for each. A heatmap that explains the comparisons should be
warmer on the relevant object. The control is each image's unweighted mean
feature map: it shows where the network responds, not what the comparisons
use.
"""

# %%
# Fit the explainer
# -----------------
import warnings

import numpy as np
import pandas as pd

from sklearn_ais import AISHeatmapExplainer
from sklearn_ais.analysis import localization_table
from sklearn_ais.datasets import make_comparison_images
from sklearn_ais.explain import upsample_heatmap
from sklearn_ais.plotting import HeatmapDisplay

data = make_comparison_images(n_images=64, image_size=128, random_state=0)
explainer = AISHeatmapExplainer()  # EfficientNet-Lite0, ImageNet weights
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # a few all-zero heatmaps
    explainer.fit(data.images, data.similarity)

# %%
# Localisation against the control
# --------------------------------
# :func:`~sklearn_ais.analysis.localization_table` scores each heatmap against
# the masks: the share of its mass on the relevant object, whether its peak
# falls there (pointing game), and whether it is warmer on the relevant object
# than on the distractor.
maps = np.asarray(explainer.featurizer_.transform(data.images))
control = [upsample_heatmap(m.mean(axis=0), (128, 128)) for m in maps]
masks = (data.relevant_masks, data.distractor_masks)
table = pd.DataFrame(
    {
        "AIS heatmap": localization_table(explainer.heatmaps_, *masks).mean(),
        "mean of maps": localization_table(control, *masks).mean(),
    }
).T
print(table.round(3))

# %%
# The first twelve heatmaps
# -------------------------
# The generated images know where their objects are: ``outlines=`` draws the
# relevant object's and the distractor's edges, a legend entry each.
display = HeatmapDisplay.from_estimator(
    explainer,
    data.images,
    indices=range(12),
    outlines={
        "relevant object": data.relevant_masks[:12],
        "distractor": data.distractor_masks[:12],
    },
)
display.figure_.suptitle("Per-image AIS heatmaps with the objects outlined")
