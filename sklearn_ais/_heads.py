"""Heads: the part of a network that turns feature maps into an embedding.

The engines in ``_engine`` recognise ``GAPHead``, ``VGGHead``,
``TokenNormMeanHead`` and ``PooledNormHead`` and use exact closed forms for
them; any other ``torch.nn.Module`` taking ``(n, C, h, w)`` maps to ``(n, d)``
embeddings is run by the generic engine.
"""

import torch
from torch import nn


class GAPHead(nn.Module):
    """Global average pooling: ``(n, C, h, w)`` maps to ``(n, C)`` embeddings."""

    def forward(self, maps):
        return maps.mean(dim=(2, 3))


class VGGHead(nn.Module):
    """VGG head: max-pool, adaptive average pool, flatten, fc6, ReLU, fc7, ReLU.

    This is ``features[30:]``, ``avgpool`` and ``classifier[:6]`` of a
    torchvision VGG in eval mode (dropout is the identity there and is left
    out). Each feature map owns a contiguous block of fc6's inputs, which is
    what makes masking a map a rank-one update of fc6's pre-activation.

    Parameters
    ----------
    fc6, fc7 : torch.nn.Linear
        The first two fully connected layers.
    pool : torch.nn.Module, default=MaxPool2d(2, 2)
        The pooling after the last convolution.
    pooled_size : tuple of int, default=(7, 7)
        Output size of the adaptive average pooling before fc6.
    """

    def __init__(self, fc6, fc7, pool=None, pooled_size=(7, 7)):
        super().__init__()
        self.pool = nn.MaxPool2d(2, 2) if pool is None else pool
        self.avgpool = nn.AdaptiveAvgPool2d(pooled_size)
        self.fc6 = fc6
        self.fc7 = fc7

    @classmethod
    def from_vgg(cls, model):
        """Build the head of a torchvision ``VGG`` model (shares its modules).

        The pool is the module right after the last ReLU of ``features``
        (after the batch norm too, in the ``vgg*_bn`` variants).
        """
        relus = [i for i, m in enumerate(model.features) if isinstance(m, nn.ReLU)]
        pool = model.features[relus[-1] + 1]
        return cls(
            fc6=model.classifier[0],
            fc7=model.classifier[3],
            pool=pool,
            pooled_size=model.avgpool.output_size,
        )

    def pooled(self, maps):
        """Per-map inputs of fc6: ``(n, C, h, w)`` maps to ``(n, C, p)``."""
        return self.avgpool(self.pool(maps)).flatten(2)

    def forward(self, maps):
        pre6 = self.fc6(self.pooled(maps).flatten(1))
        return torch.relu(self.fc7(torch.relu(pre6)))


class TokenNormMeanHead(nn.Module):
    """Layer normalisation of every token, then the mean over the tokens.

    The head of a vision transformer cut after its last block (ViT's class
    token dropped, Swin's own head): the maps ``(n, C, h, w)`` are the
    ``h * w`` patch tokens laid out on their grid, each a vector of ``C``
    channels. Each token is normalised over its channels by ``norm`` (the
    network's final ``LayerNorm``, shared, not copied), and the normalised
    tokens are averaged into a ``(n, C)`` embedding. Masking a map zeroes one
    channel of every token, which changes every token's mean and variance:
    :class:`~sklearn_ais._engine.token_norm.TokenNormEngine` computes that in
    closed form.

    Parameters
    ----------
    norm : torch.nn.Module
        Applied to tokens ``(..., C)``, normally a ``torch.nn.LayerNorm(C)``.
    """

    def __init__(self, norm):
        super().__init__()
        self.norm = norm

    def forward(self, maps):
        tokens = maps.flatten(2).transpose(1, 2)
        return self.norm(tokens).mean(dim=1)


class PooledNormHead(nn.Module):
    """Global average pooling, then layer normalisation of the pooled vector.

    MaxViT's classifier up to its ``LayerNorm`` (``AdaptiveAvgPool2d(1)``,
    ``Flatten``, ``LayerNorm``): maps ``(n, C, h, w)`` to ``(n, C)``. This is
    :class:`TokenNormMeanHead` on a single token, the pooled one, and the
    same closed form computes it masked.

    Parameters
    ----------
    norm : torch.nn.Module
        Applied to the pooled ``(n, C)`` vectors, normally a
        ``torch.nn.LayerNorm(C)`` (shared, not copied).
    """

    def __init__(self, norm):
        super().__init__()
        self.norm = norm

    def forward(self, maps):
        return self.norm(maps.mean(dim=(2, 3)))


class BlocksThenHead(nn.Module):
    """Run further blocks of a network on the maps, then a head.

    The head of a transformer cut before its last stage (Swin's
    ``features[i]``, MaxViT's ``blocks[i]``): the remaining stages, then
    the network's own head. No closed form: the generic engine masks the maps
    and runs it, exactly.

    Parameters
    ----------
    blocks : torch.nn.Module
        The remaining stages, e.g. ``nn.Sequential(*features[i + 1:])``.
    head : torch.nn.Module
        Maps ``(n, C', h', w')`` after the blocks to embeddings.
    channels_last : bool, default=False
        The blocks take and return ``(n, h, w, C)`` tensors (Swin); the maps
        are permuted to that layout and back.
    """

    def __init__(self, blocks, head, channels_last=False):
        super().__init__()
        self.blocks = blocks
        self.head = head
        self.channels_last = channels_last

    def forward(self, maps):
        if not self.channels_last:
            return self.head(self.blocks(maps))
        tokens = self.blocks(maps.permute(0, 2, 3, 1))
        return self.head(tokens.permute(0, 3, 1, 2))
