"""What PyTorch programs ask about the machine, answered as PyTorch answers on a CPU-only machine.

Real programs call these unconditionally (``if torch.backends.mps.is_available(): ...``,
``torch.backends.cudnn.benchmark = True``). minigrad has no MPS, no cuDNN and no TF32 switch,
so the answers are fixed, and the settings are kept so that reading them back gives what was set.
"""
import types

from . import backend

mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cudnn = types.SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                              is_available=lambda: False, version=lambda: None)
cuda = types.SimpleNamespace(matmul=types.SimpleNamespace(allow_tf32=False,
                                                          allow_fp16_reduced_precision_reduction=True),
                             is_built=lambda: backend.is_available())
openmp = types.SimpleNamespace(is_available=lambda: False)
mkldnn = types.SimpleNamespace(enabled=False, is_available=lambda: False)
accelerator = types.SimpleNamespace(is_available=lambda: backend.is_available(),
                                    current_accelerator=lambda: backend.CUDA if backend.is_available() else None,
                                    device_count=lambda: 1 if backend.is_available() else 0)

_matmul_precision = 'highest'


def set_float32_matmul_precision(precision):
    """Accepted for PyTorch programs ('highest', 'high', 'medium'); NumPy always computes float32 in full."""
    global _matmul_precision
    if precision not in ('highest', 'high', 'medium'):
        raise ValueError(f"set_float32_matmul_precision: expected 'highest', 'high' or 'medium', got {precision!r}")
    _matmul_precision = precision


def get_float32_matmul_precision():
    return _matmul_precision
