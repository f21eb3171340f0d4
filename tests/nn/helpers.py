"""Shared helpers of the nn tests: moving values between minigrad, NumPy and PyTorch, and checking a
minigrad layer against its PyTorch twin.

- ``to_numpy(t)``: a minigrad Tensor (any device), a PyTorch tensor or an array, as a NumPy array;
- ``to_torch(t, requires_grad=False)``: the same values as a PyTorch CPU tensor;
- ``copy_state(torch_module, minigrad_module)``: PyTorch's ``state_dict`` loaded into the minigrad
  module array by array (strict: the keys and shapes must match exactly);
- ``assert_close(actual, expected, atol, rtol, msg)``: same shape and values within tolerance;
- ``check_against_torch(layer, ref, inputs, ...)``: copy the weights, run both on the same inputs,
  backpropagate the same random output gradient and compare the outputs, the inputs' gradients and
  every parameter's gradient by name.

PyTorch is imported lazily: tests that need it call ``pytest.importorskip("torch")`` first.
"""
import numpy as np

import minigrad as mg


def to_numpy(t):
    """The values of ``t`` as a NumPy array (copied from the GPU or out of PyTorch if needed)."""
    if isinstance(t, mg.Tensor):
        return t.detach().numpy()
    if hasattr(t, 'detach') and hasattr(t, 'cpu'):      # a PyTorch tensor
        return t.detach().cpu().numpy()
    return np.asarray(t)


def to_torch(t, requires_grad=False):
    """The values of ``t`` as a PyTorch CPU tensor of the same dtype."""
    import torch
    out = torch.tensor(to_numpy(t))
    return out.requires_grad_(True) if requires_grad else out


def copy_state(torch_module, minigrad_module):
    """Load ``torch_module``'s weights and buffers into ``minigrad_module`` (strict); returns the latter."""
    state = {k: v.detach().cpu().numpy() for k, v in torch_module.state_dict().items()}
    minigrad_module.load_state_dict(state)
    return minigrad_module


def assert_close(actual, expected, atol=1e-6, rtol=1e-5, msg=''):
    """``actual`` and ``expected`` (minigrad, PyTorch or NumPy) have one shape and close values."""
    a, e = to_numpy(actual), to_numpy(expected)
    assert a.shape == e.shape, f"{msg}: shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, atol=atol, rtol=rtol, err_msg=msg)


def check_against_torch(layer, ref, inputs, atol=1e-5, grad_atol=1e-4, seed=0, copy=True):
    """Run minigrad ``layer`` and PyTorch ``ref`` on the same float ``inputs`` (NumPy arrays) and
    compare outputs and all gradients. Integer inputs are passed along without gradients.
    Returns the minigrad output."""
    import torch
    if copy:
        copy_state(ref, layer)
    ours = [mg.tensor(x, requires_grad=x.dtype.kind == 'f') for x in inputs]
    theirs = [torch.tensor(x, requires_grad=x.dtype.kind == 'f') for x in inputs]
    y, yt = layer(*ours), ref(*theirs)
    assert_close(y, yt, atol=atol, msg='output')
    g = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(to_numpy(y).dtype)
    (y * mg.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    for k, (x, xt) in enumerate(zip(ours, theirs)):
        if xt.requires_grad:
            assert_close(x.grad, xt.grad, atol=grad_atol, msg=f'input {k} gradient')
    ref_params = dict(ref.named_parameters())
    for name, p in layer.named_parameters():
        assert_close(p.grad, ref_params[name].grad, atol=grad_atol, msg=f'{name} gradient')
    return y
