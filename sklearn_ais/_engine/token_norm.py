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
    float64 tokens ``(n, C, T)`` on the device (``PooledNormHead``: pooled
    first, ``T = 1``).
    """

    def __init__(self, maps, head, similarity, device, chunk_mb=DEFAULT_CHUNK_MB):
        from .._heads import PooledNormHead

        super().__init__(maps, head, similarity, device, chunk_mb)
        with torch.inference_mode():
            tokens = self.maps.double()
            if isinstance(head, PooledNormHead):
                tokens = tokens.mean(dim=(2, 3), keepdim=True)
            self.tokens = tokens.flatten(2)
            # The float32 maps are no longer needed: tokens replace them.
            del self.maps
            self.n_tokens = self.tokens.shape[-1]
            self.s1 = self.tokens.sum(dim=1)
            self.s2 = self.tokens.square().sum(dim=1)
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

    def _embeddings(self, s1, s2, keep=None, masked=None):
        """Embeddings ``(k, n, C)`` from the kept channels' sums ``(k, n, T)``.

        ``keep`` ``(k, C)`` zeroes the masked channels' ``a``; ``masked``
        (``k`` channel indices) is the leave-one-out shortcut; neither: all kept.
        """
        mean = s1 / self.n_maps
        var = (s2 / self.n_maps - mean.square()).clamp_min_(0)
        rstd = torch.rsqrt(var + self.eps)
        a = torch.matmul(self.tokens, rstd.permute(1, 2, 0)).permute(2, 0, 1)
        a = a / self.n_tokens
        if keep is not None:
            keep = torch.as_tensor(keep, dtype=torch.float64, device=self.device)
            a = a * keep[:, None, :]
        elif masked is not None:
            a[torch.arange(len(masked), device=self.device), :, masked] = 0
        b = (mean * rstd).mean(dim=-1, keepdim=True)
        return self.gamma * (a - b) + self.beta

    def _bytes_per_config(self):
        # Sums, mean, variance and rstd per token; a, its scaled and shifted
        # copies and the base's float64 statistics per channel; the Gram.
        n = self.n_images
        return 8 * (6 * n * self.n_tokens + 4 * n * self.n_maps + n * n)

    def _embed_all(self):
        return self._embeddings(self.s1[None], self.s2[None])[0]

    def embed(self, keep):
        """Embeddings (float32 numpy) with only the maps in ``keep`` left."""
        keep = np.asarray(keep, dtype=bool)
        with torch.inference_mode():
            kept = self.tokens[:, torch.as_tensor(keep, device=self.device)]
            s1, s2 = kept.sum(dim=1), kept.square().sum(dim=1)
            embeddings = self._embeddings(s1[None], s2[None], keep=keep[None])
            return embeddings[0].float().cpu().numpy()

    def _leave_one_out_embeddings(self, start, stop):
        x_k = self.tokens[:, start:stop].transpose(0, 1)
        masked = torch.arange(start, stop, device=self.device)
        return self._embeddings(
            self.s1[None] - x_k, self.s2[None] - x_k.square(), masked=masked
        )

    def _prefix_carries(self, order, bounds):
        """Sums ``(S1, S2)`` of the maps before each chunk, made as needed."""
        order = torch.as_tensor(np.asarray(order), device=self.device)
        zeros = torch.zeros_like(self.s1)
        carry = (zeros, zeros)
        for start, stop in bounds:
            yield carry
            with torch.inference_mode():
                x = self.tokens[:, order[start:stop]]
                carry = (carry[0] + x.sum(dim=1), carry[1] + x.square().sum(dim=1))

    def _prefix_embeddings(self, order, carry, start, stop):
        maps = torch.as_tensor(np.asarray(order[start:stop]), device=self.device)
        x = self.tokens[:, maps].transpose(0, 1)
        s1 = carry[0][None] + torch.cumsum(x, dim=0)
        s2 = carry[1][None] + torch.cumsum(x.square(), dim=0)
        keep = prefix_masks(np.asarray(order), start, stop)
        return self._embeddings(s1, s2, keep=keep)
