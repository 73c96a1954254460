"""Fitted estimators that pickle on one device and load on another."""

import copy


def _off_the_cpu(module, device):
    """Whether ``module`` (a torch module, or an object with ``to``) may hold
    tensors off the CPU: a module's own tensors say; otherwise ``device``."""
    if not hasattr(module, "parameters"):
        return device != "cpu"
    return any(
        tensor.device.type != "cpu"
        for tensor in (*module.parameters(), *module.buffers())
    )


class PortableDeviceMixin:
    """Pickles that load without the accelerator they were fitted on.

    The torch modules named in ``_device_modules`` are pickled on the CPU
    (torch cannot load CUDA tensors where there is no CUDA). On loading,
    ``device_`` is resolved again: the fitted device where it exists, else
    the CPU with a :class:`~sklearn_ais.exceptions.DeviceFallbackWarning`;
    the modules move there. As skorch does with its ``device``.
    """

    _device_modules = ()

    def __getstate__(self):
        state = super().__getstate__()
        for name in self._device_modules:
            module = state.get(name)
            if module is not None and _off_the_cpu(module, state.get("device_")):
                state[name] = copy.deepcopy(module).to("cpu")
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if getattr(self, "device_", "cpu") == "cpu":
            return
        from ._torch_utils import resolve_device

        self.device_ = str(resolve_device(self.device_))
        for name in self._device_modules:
            module = getattr(self, name, None)
            if module is not None:
                module.to(self.device_)
