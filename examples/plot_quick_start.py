"""
Quick start: a Pipeline scored by cross-validation
==================================================

A featurizer turns images into the feature maps of a pretrained network;
:class:`~sklearn_ais.AISFeatureMapSelector` keeps the maps whose Alignment
Importance Scores (AIS) say they carry what people use to compare the
images; :class:`~sklearn_ais.RSAScorer` scores held-out images by the
second-order isomorphism (2OI): the Spearman correlation between the model's
and the humans' pair similarities. All three are scikit-learn objects, so
:func:`~sklearn.model_selection.cross_val_score` runs the protocol.
"""

# %%
# Images and human similarities
# -----------------------------
# :func:`~sklearn_ais.datasets.make_comparison_images` draws images with a
# *relevant* object, whose shape, colour and size alone drive the generated
# human similarities, and a distractor (here a thin bar) that does not. The
# similarity matrix is a DataFrame labelled by the image ids: scikit-learn
# slices its rows, and the estimators take each split's own block of columns.
import matplotlib.pyplot as plt
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import Pipeline

from sklearn_ais import AISFeatureMapSelector, EfficientNetLite0Featurizer, RSAScorer
from sklearn_ais.datasets import make_comparison_images

data = make_comparison_images(
    n_images=48, image_size=96, distractor="bar", random_state=0
)
print(data.images.shape, data.similarity.shape)
print(data.similarity.iloc[:4, :4].round(2))

fig, axes = plt.subplots(1, 6, figsize=(9, 1.8))
for ax, image, name in zip(axes, data.images, data.ids):
    ax.imshow(image)
    ax.set_title(name, fontsize=8)
    ax.axis("off")

# %%
# Cross-validate the pipeline
# ---------------------------
# In each fold the featurizer computes the maps (EfficientNet-Lite0, ImageNet
# weights installed offline), the selector ranks them by AIS on the training
# images and keeps the best prefix, and the scorer measures the 2OI of the
# test images' embeddings with the test block of the human matrix.
pipe = Pipeline(
    [("features", EfficientNetLite0Featurizer()), ("ais", AISFeatureMapSelector())]
)
cv = KFold(3, shuffle=True, random_state=0)
scores = cross_val_score(pipe, data.images, data.similarity, cv=cv, scoring=RSAScorer())
print("Pipeline, held-out 2OI per fold:", scores.round(3))

# %%
# Featurize once, then cross-validate the selector
# ------------------------------------------------
# The featurizer learns nothing from the images, so the maps can be computed
# once and the selector cross-validated on them: the same folds and scores,
# without running the network again in every fold. The maps are a
# :class:`~sklearn_ais.FeatureMaps` array that keeps the network's head when
# sliced. ``n_features_to_select=1.0`` keeps every map: the full network.
maps = EfficientNetLite0Featurizer().fit_transform(data.images)
print(type(maps).__name__, maps.shape)
retained = cross_val_score(
    AISFeatureMapSelector(), maps, data.similarity, cv=cv, scoring=RSAScorer()
)
full = cross_val_score(
    AISFeatureMapSelector(n_features_to_select=1.0),
    maps,
    data.similarity,
    cv=cv,
    scoring=RSAScorer(),
)
print("Retained maps, held-out 2OI per fold:", retained.round(3))
print("All maps,      held-out 2OI per fold:", full.round(3))

fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([full, retained], color="0.6", marker="o")
ax.set_xticks([0, 1], ["all maps", "retained"])
ax.set_ylabel("held-out 2OI (Spearman)")
ax.set_title("3 folds, 48 generated images")
fig.tight_layout()
