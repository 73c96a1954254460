"""Exact masked networks in chunks: one interface, every family, one runner.

``make_engine`` picks the engine for some maps and a head (``base`` defines
what every engine computes); ``runner`` scores their families against human
judgments. This package knows no estimator and draws nothing; it imports
torch only for torch heads and for pooled maps sent to an accelerator.
"""

import warnings

import numpy as np

from .._feature_maps import head_of
from .base import DEFAULT_CHUNK_MB, MaskedEngine
from .gap import GAPEngine
from .runner import (
    AISScores,
    cross_ais,
    leave_one_out_ais,
    run_family,
    selection_path,
)

__all__ = [
    "DEFAULT_CHUNK_MB",
    "AISScores",
    "GAPEngine",
    "MaskedEngine",
    "cross_ais",
    "embeddings_of",
    "engine_device",
    "is_gap_head",
    "leave_one_out_ais",
    "make_engine",
    "run_family",
    "selection_path",
]


def is_gap_head(head):
    """True for no head or a ``GAPHead`` (checked by name: no torch import)."""
    return head is None or type(head).__name__ == "GAPHead"


def engine_device(head, device):
    """The device masked networks run on, as a string.

    GAP heads with ``"auto"`` or ``"cpu"`` run on the CPU in numba (torch is
    not imported). Otherwise ``device`` is resolved, with a CPU fallback
    warning when it is not available; GAP heads then run in torch there,
    except on MPS (no float64), which falls back to the CPU with a warning.
    """
    gap = is_gap_head(head)
    if gap and isinstance(device, str) and device in ("auto", "cpu"):
        return "cpu"
    from .._torch_utils import resolve_device

    resolved = resolve_device(device)
    if gap and resolved.type == "mps":
        from ..exceptions import DeviceFallbackWarning

        warnings.warn(
            "The GAP engine computes in float64, which MPS does not support; "
            "it runs on the CPU.",
            DeviceFallbackWarning,
            stacklevel=3,
        )
        return "cpu"
    return str(resolved)


def make_engine(maps, head, similarity, *, device="cpu", chunk_mb=DEFAULT_CHUNK_MB):
    """The engine for ``maps`` (2-D pooled features or 4-D maps) and ``head``.

    A 2-D matrix, or 4-D maps with no head or a ``GAPHead``, use the GAP
    engine: on the CPU in numba (torch is not imported), on any other
    ``device`` (as :func:`engine_device` resolves it) in torch. A
    ``VGGHead`` uses the VGG fast path, a ``TokenNormMeanHead`` or
    ``PooledNormHead`` with a ``LayerNorm`` the transformer heads' closed form;
    any other torch module the generic chunked engine.
    """
    if maps.ndim == 2 or is_gap_head(head):
        pooled = maps
        if maps.ndim == 4:
            pooled = maps.mean(axis=(2, 3), dtype=np.float64)
        if str(device) == "cpu":
            return GAPEngine(pooled, similarity, chunk_mb, dtype=maps.dtype)
        from .gap_torch import TorchGAPEngine

        return TorchGAPEngine(pooled, similarity, device, chunk_mb, dtype=maps.dtype)
    from .._heads import VGGHead
    from .heads import GenericEngine, VGGEngine
    from .token_norm import TokenNormEngine, closed_form_head

    if isinstance(head, VGGHead):
        engine = VGGEngine
    elif closed_form_head(head):
        engine = TokenNormEngine
    else:
        engine = GenericEngine
    return engine(maps, head, similarity, device, chunk_mb)


def embeddings_of(output):
    """Embeddings of a transformer's output, shape ``(n, d)``.

    2-D output is taken as the embeddings. 4-D feature maps go through the
    head they carry (``FeatureMaps.head``), or global average pooling.
    """
    head = head_of(output)
    output = np.asarray(output)
    if output.ndim == 2:
        return output
    if output.ndim != 4:
        raise ValueError(
            "Expected embeddings of shape (n_images, n_dims) or feature maps of "
            f"shape (n_images, n_maps, height, width); got shape {output.shape}."
        )
    if is_gap_head(head):
        return output.mean(axis=(2, 3), dtype=np.float64)
    engine = make_engine(output, head, "cosine")
    return engine.embed(np.ones(output.shape[1], dtype=bool))
