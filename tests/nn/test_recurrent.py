"""RNN, LSTM, GRU and their cells.

- against PyTorch with the state_dict copied: outputs, final states and every gradient, over
  multi-layer, bidirectional, batch_first, bias=False, a given initial state and unbatched input;
- float64 gradcheck (input, initial state, parameters) and gradgradcheck of the cells;
- PyTorch's parameter names, shapes and default initialisation; dropout between layers only;
- the structure: one input-projection matmul per layer and direction plus one per step, and no
  Python work that grows with the batch or the hidden size; bad-input errors.
"""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.autograd import gradcheck, gradgradcheck
from helpers import assert_close, copy_state, to_numpy
from vectorised import python_calls

SEQ, BATCH, INPUT, HIDDEN = 5, 3, 4, 6

CONFIGS = [
    ("RNN", {}),
    ("RNN", dict(nonlinearity='relu', num_layers=2)),
    ("LSTM", {}),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(batch_first=True, bias=False)),
    ("GRU", {}),
    ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU", dict(bias=False, bidirectional=True)),
]


def _run_both(name, kwargs, with_state, unbatched=False):
    """Run our layer and PyTorch's (same weights) on the same data; backprop a random projection
    of every output; return both sides' (outputs, gradients) as lists."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = getattr(torch.nn, name)(INPUT, HIDDEN, **kwargs)
    ours = getattr(nn, name)(INPUT, HIDDEN, **kwargs)
    copy_state(ref, ours)
    rng = np.random.default_rng(1)
    states = (2 if ref.bidirectional else 1) * ref.num_layers
    shape = (BATCH, SEQ, INPUT) if kwargs.get('batch_first') else (SEQ, BATCH, INPUT)
    state_shape = (states, BATCH, HIDDEN)
    if unbatched:
        shape, state_shape = (SEQ, INPUT), (states, HIDDEN)
    arrays = [rng.standard_normal(shape).astype(np.float32)]
    if with_state:
        arrays += [rng.standard_normal(state_shape).astype(np.float32) for _ in range(2 if name == 'LSTM' else 1)]

    def run(lib, module, make):
        inputs = [make(a) for a in arrays]
        hx = None if not with_state else (tuple(inputs[1:]) if name == 'LSTM' else inputs[1])
        out, h = module(inputs[0], hx)
        outs = [out] + (list(h) if name == 'LSTM' else [h])
        loss = sum((o * lib.tensor(np.random.default_rng(k).standard_normal(tuple(o.shape)).astype(np.float32))).sum()
                   for k, o in enumerate(outs))
        loss.backward()
        return outs, [t.grad for t in inputs] + [p.grad for _, p in module.named_parameters()]

    ours_run = run(mg, ours, lambda a: mg.tensor(a, requires_grad=True))
    ref_run = run(torch, ref, lambda a: torch.tensor(a, requires_grad=True))
    return ours_run, ref_run


@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CONFIGS])
def test_matches_torch(name, kwargs, with_state):
    (outs, grads), (outs_t, grads_t) = _run_both(name, kwargs, with_state)
    for k, (o, ot) in enumerate(zip(outs, outs_t)):
        assert_close(o, ot, atol=2e-5, msg=f"output {k}")
    for k, (g, gt) in enumerate(zip(grads, grads_t)):
        assert_close(g, gt, atol=1e-4, msg=f"gradient {k}")


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_matches_torch(name):
    (outs, grads), (outs_t, grads_t) = _run_both(name, dict(num_layers=2, bidirectional=True), True, unbatched=True)
    assert tuple(outs[0].shape) == (SEQ, 2 * HIDDEN)
    for o, ot in zip(outs, outs_t):
        assert_close(o, ot, atol=2e-5)
    for g, gt in zip(grads, grads_t):
        assert_close(g, gt, atol=1e-4)


CELLS = [("RNNCell", {}), ("RNNCell", dict(nonlinearity='relu')), ("LSTMCell", {}), ("GRUCell", {}),
         ("GRUCell", dict(bias=False))]


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("name,kwargs", CELLS, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CELLS])
def test_cell_matches_torch(name, kwargs, with_state, batched):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref, ours = getattr(torch.nn, name)(INPUT, HIDDEN, **kwargs), getattr(nn, name)(INPUT, HIDDEN, **kwargs)
    copy_state(ref, ours)
    rng = np.random.default_rng(2)
    lead = (BATCH,) if batched else ()
    arrays = [rng.standard_normal(lead + (INPUT,)).astype(np.float32)]
    if with_state:
        arrays += [rng.standard_normal(lead + (HIDDEN,)).astype(np.float32) for _ in range(2 if name == 'LSTMCell' else 1)]

    def run(lib, module, make):
        inputs = [make(a) for a in arrays]
        hx = None if not with_state else (tuple(inputs[1:]) if name == 'LSTMCell' else inputs[1])
        out = module(inputs[0], hx)
        outs = list(out) if name == 'LSTMCell' else [out]
        sum((o * o.tanh()).sum() for o in outs).backward()
        return outs, [t.grad for t in inputs] + [p.grad for _, p in module.named_parameters()]

    (outs, grads) = run(mg, ours, lambda a: mg.tensor(a, requires_grad=True))
    (outs_t, grads_t) = run(torch, ref, lambda a: torch.tensor(a, requires_grad=True))
    for o, ot in zip(outs, outs_t):
        assert_close(o, ot, atol=1e-5)
    for g, gt in zip(grads, grads_t):
        assert_close(g, gt, atol=1e-5)


def test_parameter_names_and_shapes_match_torch():
    torch = pytest.importorskip("torch")
    modules = [(name, (INPUT, HIDDEN), kwargs) for name, kwargs in CONFIGS] + \
              [(name, (INPUT, HIDDEN), kwargs) for name, kwargs in CELLS]
    for name, args, kwargs in modules:
        ours = [(k, tuple(v.shape)) for k, v in getattr(nn, name)(*args, **kwargs).state_dict().items()]
        theirs = [(k, tuple(v.shape)) for k, v in getattr(torch.nn, name)(*args, **kwargs).state_dict().items()]
        assert ours == theirs, name


# ---------------------------------------------------------------- gradients in float64

def _double(module):
    return module.to(mg.float64)


@pytest.mark.parametrize("name,kwargs", [
    ("RNN", dict(num_layers=2, nonlinearity='tanh')),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(bidirectional=True, batch_first=True)),
])
def test_gradcheck(name, kwargs):
    mg.manual_seed(0)
    module = _double(getattr(nn, name)(2, 2, **kwargs))
    directions = 2 if module.bidirectional else 1
    x = mg.randn(2, 3, 2, dtype=mg.float64, requires_grad=True)
    h0 = mg.randn(module.num_layers * directions, 2 if kwargs.get('batch_first') else 3, 2,
                  dtype=mg.float64, requires_grad=True)
    states = (h0, mg.randn(*h0.shape, dtype=mg.float64, requires_grad=True)) if name == 'LSTM' else (h0,)

    def f(x, *rest):
        hx = tuple(rest[:2]) if name == 'LSTM' else rest[0]
        out, h = module(x, hx)
        return (out,) + (tuple(h) if name == 'LSTM' else (h,))
    assert gradcheck(f, (x,) + states + tuple(module.parameters()))


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradcheck_and_gradgradcheck(name):
    mg.manual_seed(1)
    cell = _double(getattr(nn, name)(2, 3))
    x = mg.randn(2, 2, dtype=mg.float64, requires_grad=True)
    h = mg.randn(2, 3, dtype=mg.float64, requires_grad=True)
    c = mg.randn(2, 3, dtype=mg.float64, requires_grad=True)
    if name == 'LSTMCell':
        inputs, f = (x, h, c) + tuple(cell.parameters()), lambda x, h, c, *p: cell(x, (h, c))
    else:
        inputs, f = (x, h) + tuple(cell.parameters()), lambda x, h, *p: cell(x, h)
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs[:3])


def test_gradgradcheck_through_time():
    mg.manual_seed(2)
    lstm = _double(nn.LSTM(2, 2))
    x = mg.randn(3, 1, 2, dtype=mg.float64, requires_grad=True)
    assert gradgradcheck(lambda x, w: lstm(x)[0], (x, lstm.weight_hh_l0))


# ---------------------------------------------------------------- initialisation, modes, dropout

def test_default_init_is_uniform_in_one_over_sqrt_hidden():
    mg.manual_seed(0)
    for module in (nn.LSTM(10, 64, num_layers=2), nn.GRUCell(10, 64), nn.RNN(10, 64, bidirectional=True)):
        bound = 1 / math.sqrt(64)
        for name, p in module.named_parameters():
            a = to_numpy(p)
            assert p.dtype == mg.float32, name
            assert np.abs(a).max() <= bound and np.abs(a).max() > 0.9 * bound, name


def test_dropout_acts_between_layers_only_and_only_in_training():
    mg.manual_seed(0)
    lstm = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = mg.randn(6, 4, 3)
    lstm.eval()
    a, b = lstm(x)[0], lstm(x)[0]
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))            # no randomness in eval mode
    lstm.train()
    c = lstm(x)[0]
    assert not np.allclose(to_numpy(c), to_numpy(a))                    # the layer-0 output was dropped
    assert np.all(to_numpy(c) != 0)                                      # the top layer's output was not


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(3, 4, dropout=0.2)


def test_repr():
    assert repr(nn.LSTM(3, 4, num_layers=2, batch_first=True)) == "LSTM(3, 4, num_layers=2, batch_first=True)"
    assert repr(nn.RNNCell(3, 4, nonlinearity='relu')) == "RNNCell(3, 4, nonlinearity='relu')"


# ---------------------------------------------------------------- structure and vectorisation

def _count_nodes(tensors, kind):
    """How many graph nodes of class ``kind`` lead to ``tensors``."""
    seen, stack = set(), [t.grad_fn for t in tensors if t.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        stack.extend(edge[0] for edge in fn.next_edges if edge is not None and edge[0] is not None)
    return sum(type(fn).__name__ == kind for fn in seen)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_one_input_matmul_per_layer_and_direction_plus_one_per_step(name):
    module = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True)
    out, h = module(mg.randn(7, 2, 3))
    finals = list(h) if name == 'LSTM' else [h]
    assert _count_nodes([out] + finals, 'MatMul') == 2 * 2 * (1 + 7)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_python_work_does_not_grow_with_batch_or_hidden_size(name):
    def run(batch, hidden):
        module = getattr(nn, name)(3, hidden, num_layers=2, bidirectional=True)
        x = mg.randn(5, batch, 3, requires_grad=True)
        return python_calls(lambda: module(x)[0].sum().backward())
    assert run(2, 3) == run(9, 17)      # no size 1: it takes other broadcasting paths


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("call,match", [
    (lambda: nn.LSTM(4, 6)(mg.randn(5, 3, 7)), r"LSTM: layer 0 expects input_size=4.*\(5, 3, 7\)"),
    (lambda: nn.GRU(4, 6, batch_first=True)(mg.randn(3, 5)), r"GRU: layer 0 expects input_size=4.*\(3, 5\)"),
    (lambda: nn.RNN(4, 6)(mg.randn(2, 5, 3, 4)), r"RNN: expected a 3-d input.*\(2, 5, 3, 4\)"),
    (lambda: nn.GRU(4, 6, num_layers=2)(mg.randn(5, 3, 4), mg.randn(1, 3, 6)), r"GRU: expected h_0 of shape \(2, 3, 6\), got \(1, 3, 6\)"),
    (lambda: nn.LSTM(4, 6)(mg.randn(5, 4), (mg.randn(1, 3, 6), mg.randn(1, 3, 6))), r"LSTM: expected h_0 of shape \(1, 6\)"),
    (lambda: nn.LSTMCell(4, 6)(mg.randn(3, 5)), r"LSTMCell: expected input of shape \(batch, 4\).*\(3, 5\)"),
    (lambda: nn.GRUCell(4, 6)(mg.randn(3, 4), mg.randn(2, 6)), r"GRUCell: expected hx of shape \(3, 6\), got \(2, 6\)"),
    (lambda: nn.RNN(4, 6, nonlinearity='sigmoid'), r"nonlinearity must be 'tanh' or 'relu'"),
    (lambda: nn.LSTM(4, 6, dropout=1.5), r"dropout must be a number in \[0, 1\]"),
    (lambda: nn.GRU(4, 0), r"hidden_size must be a positive int"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call,match", [
    (lambda: nn.LSTM(4, 6)(mg.randn(5, 3, 4, dtype=mg.float64)), r"LSTM: input is float64 but the layer's parameters are float32"),
    (lambda: nn.GRU(4, 6)(mg.randn(5, 3, 4), mg.randn(1, 3, 6, dtype=mg.float64)), r"GRU: expected h_0 of dtype float32"),
    (lambda: nn.RNNCell(4, 6)(mg.randn(3, 4, dtype=mg.float64)), r"RNNCell: input is float64"),
    (lambda: nn.LSTM(4, 6)(mg.randn(5, 3, 4), mg.randn(1, 3, 6)), r"LSTM: expected hx to be a pair"),
])
def test_wrong_dtype_or_type_raises(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


# ---------------------------------------------------------------------------------------------
# the fused LSTM gate node against the same arithmetic written with Tensor ops
# ---------------------------------------------------------------------------------------------
def _gates_composed(z, c_prev):
    i, f, g, o = z.reshape(z.shape[:-1] + (4, c_prev.shape[-1])).unbind(z.ndim - 1)
    c = f.sigmoid() * c_prev + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def test_fused_lstm_gates_match_the_composed_formula_and_pass_gradchecks():
    from minigrad.ops.recurrent import LSTMGates
    mg.manual_seed(3)
    z = mg.randn(2, 12, dtype=mg.float64, requires_grad=True)
    c = mg.randn(2, 3, dtype=mg.float64, requires_grad=True)
    for fused, composed in zip(LSTMGates.apply(z, c), _gates_composed(z, c)):
        np.testing.assert_allclose(to_numpy(fused), to_numpy(composed), rtol=1e-12, atol=1e-12)
    dh, dc = mg.randn(2, 3, dtype=mg.float64), mg.randn(2, 3, dtype=mg.float64)
    got = mg.autograd.grad(LSTMGates.apply(z, c), (z, c), (dh, dc))
    want = mg.autograd.grad(_gates_composed(z, c), (z, c), (dh, dc))
    for a, b in zip(got, want):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-12, atol=1e-12)
    assert gradcheck(LSTMGates.apply, (z, c))
    assert gradgradcheck(LSTMGates.apply, (z, c))
