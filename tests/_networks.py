"""Small torch networks and reference embeddings for the backbone and featurizer tests.

Import after ``pytest.importorskip("torch")`` where torch may be absent.
"""

import torch
from torch import nn


class TinyNet(nn.Module):
    """A user network: two conv blocks, pooling and a classifier."""

    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
        self.block2 = nn.Sequential(nn.Conv2d(4, 6, 3, stride=2), nn.BatchNorm2d(6))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        return self.fc(self.pool(self.block2(self.block1(x))).flatten(1))


def vgg_embedding(model, x):
    """A torchvision VGG's own fc7 embedding (after its ReLU), from the full model."""
    return model.classifier[:6](torch.flatten(model.avgpool(model.features(x)), 1))
