"""Small torch heads with random weights, shared by the torch tests.

Import after ``pytest.importorskip("torch")``.
"""

import torch
from torch import nn

from sklearn_ais._heads import VGGHead


def small_vgg_head(n_maps, seed=0):
    """A VGG-shaped head with few maps and narrow layers (random weights)."""
    torch.manual_seed(seed)
    return VGGHead(
        fc6=nn.Linear(n_maps * 4, 48), fc7=nn.Linear(48, 24), pooled_size=(2, 2)
    ).eval()


def small_generic_head(n_maps, seed=0):
    """A head the engines do not recognise, with dropout and batch norm."""
    torch.manual_seed(seed)
    head = nn.Sequential(
        nn.Conv2d(n_maps, 6, 1),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(6, 5),
    )
    # Non-trivial running statistics so that eval mode matters.
    head[1].running_mean.uniform_(-1, 1)
    head[1].running_var.uniform_(0.5, 2)
    return head.eval()
