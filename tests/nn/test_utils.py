"""minigrad.nn.utils: clip_grad_norm_ and clip_grad_value_ against PyTorch."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn.utils import clip_grad_norm_, clip_grad_value_
from helpers import assert_close, copy_state


def _twins(scale):
    torch = pytest.importorskip("torch")
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    model = copy_state(ref, nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32) * scale
    (model(mg.tensor(x)) ** 2).sum().backward()
    (ref(torch.tensor(x)) ** 2).sum().backward()
    return model, ref


@pytest.mark.parametrize("max_norm,norm_type", [(0.5, 2.0), (1e6, 2.0), (0.1, float('inf')), (1.0, 1.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    torch = pytest.importorskip("torch")
    model, ref = _twins(3.0)
    total = clip_grad_norm_(model.parameters(), max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm, norm_type)
    assert isinstance(total, mg.Tensor) and total.dtype == mg.float32
    assert_close(total, total_t, rtol=1e-5)
    for p, pt in zip(model.parameters(), ref.parameters()):
        assert_close(p.grad, pt.grad, rtol=1e-5, atol=1e-6)


def test_clip_grad_norm_edge_cases():
    lin = nn.Linear(2, 2)
    assert float(clip_grad_norm_(lin.parameters(), 1.0)) == 0.0       # no gradients yet
    lin.weight.grad = mg.full((2, 2), float('nan'))
    with pytest.raises(RuntimeError, match="non-finite|is nan"):
        clip_grad_norm_(lin.weight, 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    lin = nn.Linear(2, 2)
    lin.weight.grad = mg.tensor([[-3.0, 0.5], [2.0, -0.1]])
    clip_grad_value_(lin.parameters(), 1.0)
    np.testing.assert_array_equal(lin.weight.grad.numpy(), np.float32([[-1.0, 0.5], [1.0, -0.1]]))
