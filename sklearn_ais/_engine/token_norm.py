"""Exact closed form for the transformer heads: per-token LayerNorm, then the mean.

The maps of ``n`` images are ``x[i, c, t]``: channel ``c`` (one of ``C``) of
token ``t`` (one of ``T``, the patch grid flattened; ``T = 1`` for the pooled
vector of :class:`~sklearn_ais._heads.PooledNormHead`). The head normalises
each token over its ``C`` channels and averages the normalised tokens:

    e[i, c] = gamma_c * mean_t (x[i, c, t] - m[i, t]) * r[i, t] + beta_c,

with ``m`` the token's mean over channels, ``v`` its (biased) variance and
``r = 1 / sqrt(v + eps)``. Keeping a set ``K`` of channels (the others
zeroed, still counted in the ``C`` of the normalisation) changes only the
kept channels' sums per token, ``s1 = sum_{c in K} x[i, c, t]`` and
``s2 = sum_{c in K} x[i, c, t] ** 2``:

    m' = s1 / C,   v' = s2 / C - m' ** 2,   r' = 1 / sqrt(v' + eps),
    e'[i, c] = gamma_c * (a[i, c] - b[i]) + beta_c,
    a[i, c] = mean_t x[i, c, t] r'[i, t]   (0 for a masked c),
    b[i] = mean_t m'[i, t] r'[i, t].

For map ``k`` masked, ``s1 = S1 - x[:, k]`` and ``s2 = S2 - x[:, k] ** 2``
(``S1``, ``S2``: sums over every channel); for the prefixes of an order,
running sums. All the ``a`` of a chunk of masked networks are one batched
matrix product over tokens, ``(n, C, T) @ (n, T, k)``: ``n C T k``
multiply-adds instead of normalising ``k n T C`` values and averaging them.
Everything is float64, on the engine's device.
"""

import numpy as np
import torch

from .base import DEFAULT_CHUNK_MB, prefix_masks
from .heads import _TorchEngine


def closed_form_head(head):
    """True if ``head`` is a token-norm head whose norm is a ``LayerNorm`` over ``C``.

    Other norms (RMSNorm, a LayerNorm over several axes) are run by the
    generic engine.
    """
    from .._heads import PooledNormHead, TokenNormMeanHead

    norm = getattr(head, "norm", None)
    return (
        isinstance(head, (TokenNormMeanHead, PooledNormHead))
        and isinstance(norm, torch.nn.LayerNorm)
        and len(norm.normalized_shape) == 1
    )


class TokenNormEngine(_TorchEngine):
    """Engine for :class:`~sklearn_ais._heads.TokenNormMeanHead` and ``PooledNormHead``.

    See the module docstring for the closed form. The maps are held once, as
    float64 tokens ``(n, T, C)`` on the device (``PooledNormHead``: pooled
    first, ``T = 1``), with a row of ones appended, ``(n, T + 1, C)``. A
    chunk of ``k`` masked networks is one batched product of the weights
    ``[r' / T, -b]`` ``(n, k, T + 1)`` with those tokens: ``a - b`` for every
    channel at once, laid out ``(n, k, C)``, scaled and shifted in place, and
    returned as a ``(k, n, C)`` view.
    """

    def __init__(self, maps, head, similarity, device, chunk_mb=DEFAULT_CHUNK_MB):
        from .._heads import PooledNormHead

        super().__init__(maps, head, similarity, device, chunk_mb)
        with torch.inference_mode():
            tokens = self.maps.double()
            if isinstance(head, PooledNormHead):
                tokens = tokens.mean(dim=(2, 3), keepdim=True)
            # The float32 maps are no longer needed: the tokens replace them.
            del self.maps
            tokens = tokens.flatten(2).transpose(1, 2)
            self.n_tokens = tokens.shape[1]
            self.tokens = torch.ones(
                self.n_images,
                self.n_tokens + 1,
                self.n_maps,
                dtype=torch.float64,
                device=self.device,
            )
            self.tokens[:, : self.n_tokens] = tokens
            self.s1 = tokens.sum(dim=-1, keepdim=True)
            self.s2 = tokens.square().sum(dim=-1, keepdim=True)
            norm = head.norm
            if norm.normalized_shape[0] != self.n_maps:
                raise ValueError(
                    f"The head's LayerNorm normalises {norm.normalized_shape[0]} "
                    f"channels but the maps have {self.n_maps}."
                )
            ones = torch.ones(self.n_maps, dtype=torch.float64, device=self.device)
            self.gamma = ones if norm.weight is None else self._double(norm.weight)
            self.beta = 0 * ones if norm.bias is None else self._double(norm.bias)
            self.eps = float(norm.eps)

    def _double(self, tensor):
        return tensor.detach().to(self.device, torch.float64)

    @property
    def embedding_dim(self):
        """Dimension of the embeddings: one per map (channel)."""
        return self.n_maps

    def _patch_tokens(self, maps):
        """Channels ``maps`` (a slice or indices) of every token, ``(n, T, k)``."""
        return self.tokens[:, : self.n_tokens, maps]

    def _embeddings(self, s1, s2, keep=None, masked=None):
        """Embeddings ``(k, n, C)`` from the kept channels' sums ``(n, T, k)``.

        ``keep`` (boolean ``(k, C)``) zeroes the masked channels' ``a``;
        ``masked`` (``k`` channel indices) is the leave-one-out shortcut;
        neither: every channel kept.
        """
        n_tokens = self.n_tokens
        mean = s1 / self.n_maps
        var = (s2 / self.n_maps).sub_(mean.square()).clamp_min_(0)
        rstd = var.add_(self.eps).rsqrt_()
        weights = torch.empty(
            (self.n_images, n_tokens + 1, s1.shape[-1]),
            dtype=torch.float64,
            device=self.device,
        )
        torch.div(rstd, n_tokens, out=weights[:, :n_tokens])
        minus_b = weights[:, n_tokens]
        torch.mean(mean.mul_(rstd), dim=1, out=minus_b).neg_()
        # a - b for every channel, (n, k, C): the ones row of the tokens adds -b.
        shifted = torch.bmm(weights.transpose(1, 2), self.tokens)
        if keep is not None:
            keep = torch.as_tensor(keep, device=self.device)
            shifted = torch.where(keep, shifted, minus_b[:, :, None])
        elif masked is not None:
            configs = torch.arange(len(masked), device=self.device)
            shifted[:, configs, masked] = minus_b
        return shifted.mul_(self.gamma).add_(self.beta).transpose(0, 1)

    def _bytes_per_config(self):
        # Sums, mean, variance and weights per token; a - b (the embeddings)
        # per channel, once more where a keep mask copies it; the Gram of the
        # base's statistics.
        n = self.n_images
        return 8 * (5 * n * self.n_tokens + 2 * n * self.n_maps + n * n)

    def _embed_all(self):
        return self._embeddings(self.s1, self.s2)[0]

    def embed(self, keep):
        """Embeddings (float32 numpy) with only the maps in ``keep`` left."""
        keep = np.asarray(keep, dtype=bool)
        with torch.inference_mode():
            kept = self._patch_tokens(torch.as_tensor(keep, device=self.device))
            s1 = kept.sum(dim=-1, keepdim=True)
            s2 = kept.square().sum(dim=-1, keepdim=True)
            embeddings = self._embeddings(s1, s2, keep=keep[None])
            return embeddings[0].float().cpu().numpy()

    def _leave_one_out_embeddings(self, start, stop):
        x_k = self._patch_tokens(slice(start, stop))
        masked = torch.arange(start, stop, device=self.device)
        return self._embeddings(self.s1 - x_k, self.s2 - x_k.square(), masked=masked)

    def _prefix_carries(self, order, bounds):
        """Sums ``(S1, S2)`` of the maps before each chunk, made as needed."""
        order = torch.as_tensor(np.asarray(order), device=self.device)
        zeros = torch.zeros_like(self.s1)
        carry = (zeros, zeros)
        for start, stop in bounds:
            yield carry
            with torch.inference_mode():
                x = self._patch_tokens(order[start:stop])
                carry = (
                    carry[0] + x.sum(dim=-1, keepdim=True),
                    carry[1] + x.square().sum(dim=-1, keepdim=True),
                )

    def _prefix_embeddings(self, order, carry, start, stop):
        maps = torch.as_tensor(np.asarray(order[start:stop]), device=self.device)
        x = self._patch_tokens(maps)
        s1 = carry[0] + torch.cumsum(x, dim=-1)
        s2 = carry[1] + torch.cumsum(x.square(), dim=-1)
        keep = prefix_masks(np.asarray(order), start, stop)
        return self._embeddings(s1, s2, keep=keep)
