"""Explain human comparisons of images with the feature maps of deep networks.

Alignment Importance Scores (Truong, Pesenti & Hasson 2024) as scikit-learn
estimators. Torch is imported only when a featurizer is fitted or a
non-GAP head is used, so the feature-matrix path works without it.
"""

from ._feature_maps import FeatureMaps
from ._scoring import RSAScorer
from .exceptions import DeviceFallbackWarning, TargetWarning
from .explain import AISHeatmapExplainer
from .featurizers import (
    EfficientNetLite0Featurizer,
    EfficientNetLiteFeaturizer,
    ModuleFeaturizer,
    TorchvisionFeaturizer,
    VGGFeaturizer,
)
from .selection import AISFeatureMapSelector

__all__ = [
    "AISFeatureMapSelector",
    "AISHeatmapExplainer",
    "DeviceFallbackWarning",
    "EfficientNetLite0Featurizer",
    "EfficientNetLiteFeaturizer",
    "FeatureMaps",
    "ModuleFeaturizer",
    "RSAScorer",
    "TargetWarning",
    "TorchvisionFeaturizer",
    "VGGFeaturizer",
]
__version__ = "0.1.0.dev0"
