"""Small torch helpers: device resolution, seeded construction, eval mode."""

import contextlib
import warnings

import torch

from .exceptions import DeviceFallbackWarning


def resolve_device(device):
    """Resolve a ``device`` parameter to a ``torch.device``.

    ``"auto"`` picks CUDA when it is available, else the CPU. An accelerator
    that was asked for but is not available falls back to the CPU with a
    :class:`~sklearn_ais.exceptions.DeviceFallbackWarning`, so that code
    written on a GPU machine still runs elsewhere.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    available = {
        "cpu": lambda: True,
        "cuda": torch.cuda.is_available,
        "mps": lambda: torch.backends.mps.is_available(),
    }.get(device.type, lambda: False)()
    if device.type == "cuda" and available and device.index is not None:
        available = device.index < torch.cuda.device_count()
    if not available:
        warnings.warn(
            f"Device {str(device)!r} is not available; falling back to the CPU.",
            DeviceFallbackWarning,
            stacklevel=3,
        )
        return torch.device("cpu")
    return device


@contextlib.contextmanager
def eval_mode(module):
    """Put ``module`` in eval mode, and restore every submodule's mode on exit."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, training in modes:
            m.training = training


@contextlib.contextmanager
def seeded(seed):
    """Seed torch's CPU generator inside the block, restoring its state after.

    Networks are initialised on the CPU, so ``seed`` fixes their random
    weights without touching the caller's global random state. ``None``
    leaves the generator alone.
    """
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
