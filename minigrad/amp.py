"""Automatic mixed precision, as far as a NumPy engine has it: ``autocast`` and ``GradScaler`` accepted.

PyTorch programs wrap training in ``with torch.autocast(device_type, enabled=use_amp):`` and scale
the loss with ``torch.amp.GradScaler(enabled=use_amp)``. minigrad computes in the dtype you give
it, so with ``enabled=False`` both are exact no-ops, as in PyTorch; asking for ``enabled=True``
raises, naming what to do instead (cast the model with ``model.half()`` to try float16).
"""
import contextlib


class autocast(contextlib.ContextDecorator):
    """``with autocast('cpu', enabled=False):`` runs the block unchanged (a context manager and decorator)."""

    def __init__(self, device_type='cuda', dtype=None, enabled=True, cache_enabled=None):
        if enabled:
            raise RuntimeError(
                "autocast: minigrad has no automatic mixed precision; pass enabled=False, or cast the "
                "model and inputs yourself (model.half(), x.half()) to compute in float16")
        self.device_type, self.dtype, self.enabled = device_type, dtype, False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class GradScaler:
    """Loss scaling for float16 training; with ``enabled=False`` every method passes values through."""

    def __init__(self, device='cuda', init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        if enabled:
            raise RuntimeError("GradScaler: minigrad has no automatic mixed precision; pass enabled=False")
        self.enabled = False

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer):
        pass

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        pass

    def get_scale(self):
        return 1.0

    def is_enabled(self):
        return False

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass
