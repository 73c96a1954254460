"""Featurizers: images to the feature maps of a CNN's deepest convolutional layer.

Each featurizer is a scikit-learn transformer. ``fit`` builds the network
(nothing is learned from the images); ``transform`` returns
:class:`~sklearn_ais._feature_maps.FeatureMaps`, a ``float32`` array
``(n_images, n_maps, h, w)`` that carries the network's head, so that
:class:`~sklearn_ais.AISFeatureMapSelector` can mask maps and re-run the head.

Two general classes, :class:`~sklearn_ais.TorchvisionFeaturizer` and
:class:`~sklearn_ais.EfficientNetLiteFeaturizer`, and two aliases under the names the
paper and the library use: :class:`~sklearn_ais.VGGFeaturizer` is
``TorchvisionFeaturizer(model="vgg16")`` (or another VGG) and
:class:`~sklearn_ais.EfficientNetLite0Featurizer` is
``EfficientNetLiteFeaturizer(variant="lite0")``. An alias is the same code
path and the same network as its general class.
:class:`~sklearn_ais.ModuleFeaturizer` takes a network of one's own, cut at
any layer, with the network's own head between that layer and the embedding
(split off with ``torch.fx``).

The network is built once and reused: fits with the same architecture,
weights, seed of random weights and device share one network from a small
cache (the two most recent networks), whichever class asks for it, so the
folds of a cross-validation do not rebuild it. Random weights without a
``random_state`` are drawn anew at each fit and never cached.

This module imports torch only when a featurizer is fitted, so the rest of the
library works without it.
"""

from ._efficientnet import EfficientNetLite0Featurizer, EfficientNetLiteFeaturizer
from ._module import ModuleFeaturizer
from ._torchvision import TorchvisionFeaturizer, VGGFeaturizer

__all__ = [
    "EfficientNetLite0Featurizer",
    "EfficientNetLiteFeaturizer",
    "ModuleFeaturizer",
    "TorchvisionFeaturizer",
    "VGGFeaturizer",
]
