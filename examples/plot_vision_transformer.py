"""
A vision transformer: AIS of its patch-token channels, and heatmaps
===================================================================

:class:`~sklearn_ais.TorchvisionFeaturizer` takes torchvision's vision
transformers (ViT, Swin, MaxViT) as it takes CNNs. The feature maps of
ViT-B/16 are the 768 channels of its 196 patch tokens, laid out on their
14 x 14 grid, after the last encoder block; the head is the network's final
LayerNorm applied to each token, then the mean over the patch tokens (the
class token is dropped). Masking a map zeroes one channel of every token,
which changes every token's mean and variance: the selector and the explainer
compute all the masked embeddings in closed form, exactly.

This example runs offline, so ViT-B/16 has **random weights**
(``weights=None, random_state=0``): the numbers say nothing about what a
trained ViT sees. With ``weights="DEFAULT"`` torchvision downloads the
ImageNet weights (about 330 MB) on first use.
"""

# %%
# Images, human similarities and the featurizer
# ---------------------------------------------
# Generated images whose similarity depends on one object only (see
# :func:`~sklearn_ais.datasets.make_comparison_images`). ViT-B/16 takes
# 224 x 224 images only (its position embeddings are built for that size):
# another ``input_size`` is refused rather than interpolated.
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_ais import (
    AISFeatureMapSelector,
    AISHeatmapExplainer,
    RSAScorer,
    TorchvisionFeaturizer,
)
from sklearn_ais.datasets import make_comparison_images
from sklearn_ais.plotting import HeatmapDisplay

data = make_comparison_images(n_images=24, image_size=96, random_state=0)
featurizer = TorchvisionFeaturizer(model="vit_b_16", weights=None, random_state=0)
maps = featurizer.fit_transform(data.images)
print(type(maps.head).__name__, maps.shape)

# %%
# AIS selection under cross-validation
# ------------------------------------
# The featurizer learns nothing from the images, so the maps are computed once
# and the selector is cross-validated on them (they keep their head when
# sliced); ``Pipeline([("feat", featurizer), ("ais", AISFeatureMapSelector())])``
# on the images gives the same scores, running the network in every fold.
cv = KFold(3, shuffle=True, random_state=0)
pipe = Pipeline([("feat", "passthrough"), ("ais", AISFeatureMapSelector())])
scores = cross_val_score(pipe, maps, data.similarity, cv=cv, scoring=RSAScorer())
print("Held-out 2OI per fold (retained maps):", scores.round(3))
print("mean:", scores.mean().round(3))

# %%
# Per-image heatmaps at the patch grid
# ------------------------------------
# The heatmap of an image weights its 768 maps by their per-image AIS: a
# 14 x 14 map, one value per 16 px patch, upsampled to the image's size.
# With random weights, an image may have no map with a positive AIS: its
# heatmap is all zeros, and the explainer warns.
explainer = AISHeatmapExplainer(featurizer="passthrough").fit(maps, data.similarity)
print("map heatmaps:", explainer.map_heatmaps_.shape)
display = HeatmapDisplay.from_estimator(explainer, data.images, indices=range(6))
for i, ax in enumerate(display.axes_):
    ax.contour(data.relevant_masks[i], levels=[0.5], colors="white", linewidths=1)
display.figure_.suptitle(
    "ViT-B/16 (random weights): per-image AIS heatmaps; white = relevant object"
)
