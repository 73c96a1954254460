"""Analyses of AIS and heatmaps (the paper's Aims 2-3).

Plain functions on arrays: heatmaps are 2-D arrays at the size of their
masks or saliency maps (for example ``AISHeatmapExplainer.heatmaps_`` and
the masks of :func:`~sklearn_ais.datasets.make_comparison_images`).
Localisation against object masks, agreement between two models' heatmaps,
AIS statistics, comparison with saliency maps, faithfulness (deletion
curves) and reliability.
"""

from ._agreement import heatmap_match, match_entropy_correlation, softmax_entropy
from ._ais_statistics import ais_statistics, compare_ais
from ._competitors import gradcam_heatmaps, gradient_heatmaps, mean_map_heatmaps
from ._faithfulness import compare_faithfulness, deletion_auc, deletion_curves
from ._faithfulness_study import ais_heatmaps, faithfulness_curves
from ._localization import (
    localization_table,
    pointing_game,
    relevance_mass,
    relevant_over_distractor,
)
from ._reliability import randomization_check, split_half_reliability
from ._saliency import (
    relative_risk,
    saliency_precision_recall,
    spectral_residual_saliency,
    top_region,
)

__all__ = [
    "ais_heatmaps",
    "ais_statistics",
    "compare_ais",
    "compare_faithfulness",
    "deletion_auc",
    "deletion_curves",
    "faithfulness_curves",
    "gradcam_heatmaps",
    "gradient_heatmaps",
    "heatmap_match",
    "localization_table",
    "match_entropy_correlation",
    "mean_map_heatmaps",
    "pointing_game",
    "randomization_check",
    "relative_risk",
    "relevance_mass",
    "relevant_over_distractor",
    "saliency_precision_recall",
    "softmax_entropy",
    "spectral_residual_saliency",
    "split_half_reliability",
    "top_region",
]
