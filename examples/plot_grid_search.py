"""
Choosing the similarity and the number of maps with GridSearchCV
================================================================

:class:`~sklearn_ais.AISFeatureMapSelector` is an ordinary scikit-learn
estimator, so :class:`~sklearn.model_selection.GridSearchCV` chooses its
parameters on held-out images: here the pair similarity of the embeddings
(``similarity``) and how many maps to keep (``n_features_to_select``:
``"auto"`` keeps the best prefix of the AIS ranking, S*; a fraction keeps
that share of the maps). :class:`~sklearn_ais.RSAScorer` scores each
candidate with the similarity that candidate was fitted with.
"""

# %%
# Maps of generated images
# ------------------------
# The featurizer learns nothing, so the maps are computed once and the
# search runs on them.
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_ais import AISFeatureMapSelector, EfficientNetLite0Featurizer, RSAScorer
from sklearn_ais.datasets import make_comparison_images

data = make_comparison_images(
    n_images=48, image_size=96, distractor="bar", random_state=0
)
maps = EfficientNetLite0Featurizer().fit_transform(data.images)

# %%
# The search
# ----------
search = GridSearchCV(
    AISFeatureMapSelector(),
    {
        "similarity": ["cosine", "pearson", "euclidean"],
        "n_features_to_select": ["auto", 0.02, 0.1, 0.5, 1.0],
    },
    cv=KFold(3, shuffle=True, random_state=0),
    scoring=RSAScorer(),
)
search.fit(maps, data.similarity)
print("Best:", search.best_params_, f"held-out 2OI {search.best_score_:.3f}")
print(
    f"Refitted on all {len(maps)} images, it keeps "
    f"{search.best_estimator_.n_features_} of {maps.shape[1]} maps"
)

# %%
# Every candidate
# ---------------
results = pd.DataFrame(search.cv_results_)
table = results.pivot(
    index="param_n_features_to_select",
    columns="param_similarity",
    values="mean_test_score",
).loc[["auto", 0.02, 0.1, 0.5, 1.0]]
print(table.round(3))

fig, ax = plt.subplots(figsize=(5, 3.5))
image = ax.imshow(table.to_numpy(dtype=float), cmap="viridis")
ax.set_xticks(range(table.shape[1]), table.columns)
ax.set_yticks(range(table.shape[0]), [str(v) for v in table.index])
ax.set_xlabel("similarity")
ax.set_ylabel("n_features_to_select")
for (i, j), value in pd.DataFrame(table.to_numpy()).stack().items():
    ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="w", fontsize=8)
fig.colorbar(image, label="mean held-out 2OI")
fig.tight_layout()
