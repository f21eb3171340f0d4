"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their single-step cells.

A recurrent network reads a sequence one step at a time and carries a hidden state from step
to step (article 004, §3.2: h_t = f(h_{t-1}, x_t)). With W_ih applied to the input and W_hh to
the previous state, the three cells are (⊙ is the elementwise product, σ the sigmoid):

    RNN:   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)          (or relu)

    LSTM:  i, f, g, o = split(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)   four gates, in this order
           c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)                      forget some memory, write some
           h_t = σ(o) ⊙ tanh(c_t)                                      show some of it

    GRU:   r, z, n-parts of W_ih x_t + b_ih  and of  W_hh h_{t-1} + b_hh (three gates, in this order)
           r = σ(x_r + h_r),  z = σ(x_z + h_z)
           n = tanh(x_n + r ⊙ h_n)                                     r gates W_hn h + b_hn, as PyTorch
           h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}

The LSTM's cell state c is the memory: it changes only by ⊙ σ(f) and + σ(i) ⊙ tanh(g), so its
gradient can flow back many steps without being squashed at each one.

How the work is arranged: W_ih x_t does not depend on the previous step, so the input
projection of *all* time steps is one matrix product per layer and direction. Only W_hh h_{t-1}
must wait for the previous step: one matrix product per step. The time loop is the only Python
loop. All gates come from one pre-activation tensor, sliced in the order above, so weights
copied from PyTorch (``weight_ih_l0`` of shape (4·hidden, input) for LSTM) line up.

Every step is made of Tensor ops, so autograd gives backpropagation through time (and its
double backward). The LSTM step is written out as the lines above in ``minigrad.ops.recurrent``
(``lstm_step``, the reference); the layers run the same arithmetic as one fused node,
``LSTMGates``, whose backward is checked against it.
"""
import math
import warnings

from ..backend import get_array_module
from ..creation import as_tensor, empty
from ..ops.recurrent import LSTMGates
from ..tensor import Tensor, cat, float32, stack
from . import functional as F
from .functional import positive_ints
from . import init
from .module import Module, Parameter

_GATES = {'RNN_TANH': 1, 'RNN_RELU': 1, 'LSTM': 4, 'GRU': 3}


def _zeros(shape, like):
    xp = get_array_module(like.data)
    return as_tensor(xp.zeros(shape, dtype=like.data.dtype))


def _new_parameter(shape, device, dtype):
    return Parameter(empty(*shape, dtype=dtype or float32, device=device))


# ---- one time step of each kind; shared by the cells and the multi-layer modules ----
# ``x_part`` is W_ih x_t + b_ih (+ b_hh for RNN and LSTM, which add both biases before any gate,
# so they are folded in once for all steps); ``w_hh_t`` is W_hhᵀ, so W_hh h = h @ w_hh_t.

def _gates(pre, n):
    """The n gate blocks of a pre-activation (..., n·hidden), in order (PyTorch's layout)."""
    return pre.reshape(pre.shape[:-1] + (n, pre.shape[-1] // n)).unbind(pre.ndim - 1)


def _rnn_step(x_part, h, w_hh_t, mode):
    pre = x_part + h @ w_hh_t
    return pre.tanh() if mode == 'RNN_TANH' else pre.relu()


def _lstm_step(x_part, state, w_hh_t):
    """i, f, o = σ(·), g = tanh(·) of the gate blocks; c = f c₋ + i g; h = o tanh(c) (one node, see
    ``minigrad.ops.recurrent``)."""
    h, c = state
    return LSTMGates.apply(x_part + h @ w_hh_t, c)


def _gru_step(x_part, h, w_hh_t, b_hh):
    h_part = h @ w_hh_t
    if b_hh is not None:        # b_hn must stay inside the reset gate's product: not folded into x_part
        h_part = h_part + b_hh
    x_r, x_z, x_n = _gates(x_part, 3)
    h_r, h_z, h_n = _gates(h_part, 3)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return n + z * (h - n)      # (1 − z) ⊙ n + z ⊙ h with one product fewer


def _step(mode, x_part, state, w_hh_t, b_hh):
    """One step of any kind; ``b_hh`` is only read by the GRU (the others have it in x_part)."""
    if mode == 'LSTM':
        return _lstm_step(x_part, state, w_hh_t)
    if mode == 'GRU':
        return _gru_step(x_part, state, w_hh_t, b_hh)
    return _rnn_step(x_part, state, w_hh_t, mode)


def _input_part(mode, x, w_ih, b_ih, b_hh):
    """W_ih x + b_ih (+ b_hh except for the GRU) for a 2-d x: every row at once, one matmul."""
    part = x @ w_ih.T
    if b_ih is not None:
        part = part + b_ih
        if mode != 'GRU':
            part = part + b_hh
    return part


def _check_hidden(op, name, h, expected, dtype):
    if not isinstance(h, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(h).__name__}")
    if tuple(h.shape) != tuple(expected):
        raise ValueError(f"{op}: expected {name} of shape {tuple(expected)}, got {tuple(h.shape)}")
    if h.dtype != dtype:
        raise TypeError(f"{op}: expected {name} of dtype {dtype} like the input, got {h.dtype}")


def _check_dtype(op, input, weight):
    """A float32 layer must not silently compute in float64 (or the reverse)."""
    if input.dtype != weight.dtype:
        raise TypeError(f"{op}: input is {input.dtype} but the layer's parameters are {weight.dtype}; "
                        f"convert one of them (module.to(dtype) or input.to(dtype))")


# ----------------------------------------------------------------------------------------
# cells: one time step
# ----------------------------------------------------------------------------------------

class _CellBase(Module):
    """What the three cells share: parameters, initialisation, input checks."""

    def __init__(self, mode, input_size, hidden_size, bias, device, dtype):
        super().__init__()
        positive_ints(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.mode = mode
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = _GATES[self.mode] * hidden_size
        self.weight_ih = _new_parameter((gates, input_size), device, dtype)
        self.weight_hh = _new_parameter((gates, hidden_size), device, dtype)
        self.bias_ih = _new_parameter((gates,), device, dtype) if bias else None
        self.bias_hh = _new_parameter((gates,), device, dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: every weight and bias from U(−1/√hidden, 1/√hidden)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def forward(self, input, hx=None):
        op = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{op}: expected input of shape (batch, {self.input_size}) or ({self.input_size},) "
                             f"(input_size={self.input_size}), got {tuple(input.shape)}")
        _check_dtype(op, input, self.weight_ih)
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        shape = (x.shape[0], self.hidden_size)
        names = ('hx', 'cx') if self.mode == 'LSTM' else ('hx',)
        if hx is None:
            state = tuple(_zeros(shape, x) for _ in names)
        else:
            if self.mode == 'LSTM' and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise ValueError(f"{op}: expected hx to be a pair (h, c), got {type(hx).__name__}")
            state = tuple(hx) if self.mode == 'LSTM' else (hx,)
            for name, h in zip(names, state):
                _check_hidden(op, name, h, shape if batched else shape[1:], x.dtype)
            if not batched:
                state = tuple(h.unsqueeze(0) for h in state)
        x_part = _input_part(self.mode, x, self.weight_ih, self.bias_ih, self.bias_hh)
        out = _step(self.mode, x_part, state if self.mode == 'LSTM' else state[0], self.weight_hh.T, self.bias_hh)
        if batched:
            return out
        return tuple(t.squeeze(0) for t in out) if self.mode == 'LSTM' else out.squeeze(0)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.mode == 'RNN_RELU':
            s += ", nonlinearity='relu'"
        return s


class RNNCell(_CellBase):
    """One step of an Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh); returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity='tanh', device=None, dtype=None):
        if nonlinearity not in ('tanh', 'relu'):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__('RNN_TANH' if nonlinearity == 'tanh' else 'RNN_RELU', input_size, hidden_size, bias,
                         device, dtype)
        self.nonlinearity = nonlinearity


class LSTMCell(_CellBase):
    """One LSTM step (gates i, f, g, o); ``forward(input, (h, c))`` returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__('LSTM', input_size, hidden_size, bias, device, dtype)


class GRUCell(_CellBase):
    """One GRU step (gates r, z, n); returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__('GRU', input_size, hidden_size, bias, device, dtype)


# ----------------------------------------------------------------------------------------
# whole sequences: layers stacked, optionally in both directions
# ----------------------------------------------------------------------------------------

class _RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrent module (``RNN``, ``LSTM``, ``GRU``).

    Input ``(seq, batch, input_size)`` (``(batch, seq, input_size)`` with ``batch_first``) or an
    unbatched ``(seq, input_size)``. Returns ``output`` (every step's top-layer state, both
    directions concatenated) and the final state of every layer and direction, ``h_n`` of shape
    ``(num_layers · num_directions, batch, hidden_size)`` (for LSTM the pair ``(h_n, c_n)``).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                 device, dtype):
        super().__init__()
        self.mode = mode
        op = type(self).__name__
        positive_ints(op, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{op}: dropout must be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{op}: dropout={dropout} does nothing with num_layers=1 (it acts between layers)")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        directions = 2 if bidirectional else 1
        gates = _GATES[self.mode] * hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ('_reverse' if direction else '')
                setattr(self, 'weight_ih' + suffix, _new_parameter((gates, layer_input), device, dtype))
                setattr(self, 'weight_hh' + suffix, _new_parameter((gates, hidden_size), device, dtype))
                if bias:
                    setattr(self, 'bias_ih' + suffix, _new_parameter((gates,), device, dtype))
                    setattr(self, 'bias_hh' + suffix, _new_parameter((gates,), device, dtype))
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: every weight and bias from U(−1/√hidden, 1/√hidden)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _layer_parameters(self, layer, direction):
        suffix = f"_l{layer}" + ('_reverse' if direction else '')
        names = ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh') if self.bias else ('weight_ih', 'weight_hh')
        params = [getattr(self, name + suffix) for name in names]
        return params + [None] * (4 - len(params))

    def _initial_state(self, op, hx, x, batched):
        """``hx`` checked and shaped ``(layers·directions, batch, hidden)``; zeros when None."""
        names = ('h_0', 'c_0') if self.mode == 'LSTM' else ('h_0',)
        shape = (self.num_layers * (2 if self.bidirectional else 1), x.shape[1], self.hidden_size)
        if hx is None:
            return tuple(_zeros(shape, x) for _ in names)
        if self.mode == 'LSTM' and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise ValueError(f"{op}: expected hx to be a pair (h_0, c_0), got {type(hx).__name__}")
        states = tuple(hx) if self.mode == 'LSTM' else (hx,)
        for name, h in zip(names, states):
            _check_hidden(op, name, h, shape if batched else (shape[0], shape[2]), x.dtype)
        return states if batched else tuple(h.unsqueeze(1) for h in states)

    def _run_direction(self, x, state, layer, direction):
        """One layer in one direction over the whole sequence x (seq, batch, features)."""
        w_ih, w_hh, b_ih, b_hh = self._layer_parameters(layer, direction)
        seq_len, batch, features = x.shape
        # every time step's input projection at once: one (seq·batch, features) @ (features, gates) matmul
        proj = _input_part(self.mode, x.reshape(seq_len * batch, features), w_ih, b_ih, b_hh)
        proj = proj.reshape(seq_len, batch, proj.shape[-1]).unbind(0)      # (an empty batch has no -1 to infer)
        w_hh_t = w_hh.T
        outputs = [None] * seq_len
        for t in (reversed(range(seq_len)) if direction else range(seq_len)):
            state = _step(self.mode, proj[t], state, w_hh_t, b_hh)
            outputs[t] = state[0] if self.mode == 'LSTM' else state
        return stack(outputs, 0), state

    def forward(self, input, hx=None):
        op = type(self).__name__
        if not isinstance(input, Tensor) or input.ndim not in (2, 3):
            shape = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"{op}: expected a 3-d input (seq, batch, features), (batch, seq, features) with "
                             f"batch_first, or a 2-d unbatched (seq, features), got {shape}")
        batched = input.ndim == 3
        if input.shape[1 if batched and self.batch_first else 0] == 0:
            raise ValueError(f"{op}: expected a sequence of at least one step, got input of shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{op}: layer 0 expects input_size={self.input_size} features in the last dimension, "
                             f"got input of shape {tuple(input.shape)}")
        _check_dtype(op, input, self.weight_ih_l0)
        if batched:
            x = input.transpose(0, 1) if self.batch_first else input
        else:
            x = input.unsqueeze(1)
        states = self._initial_state(op, hx, x, batched)
        directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = F.dropout(x, self.dropout, training=True)
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                state = tuple(s[k] for s in states) if self.mode == 'LSTM' else states[0][k]
                out, state = self._run_direction(x, state, layer, direction)
                outs.append(out)
                finals.append(state if self.mode == 'LSTM' else (state,))
            x = outs[0] if directions == 1 else cat(outs, -1)
        output = x
        h_n = tuple(stack([f[i] for f in finals], 0) for i in range(len(finals[0])))
        if batched:
            if self.batch_first:
                output = output.transpose(0, 1)
        else:
            output = output.squeeze(1)
            h_n = tuple(h.squeeze(1) for h in h_n)
        return output, (h_n if self.mode == 'LSTM' else h_n[0])

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == 'RNN_RELU':
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    """Elman RNN over a sequence (h_t = tanh or relu of W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ('tanh', 'relu'):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__('RNN_TANH' if nonlinearity == 'tanh' else 'RNN_RELU', input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(_RNNBase):
    """Long short-term memory over a sequence; ``forward(input, (h_0, c_0))`` returns
    ``(output, (h_n, c_n))``. Gate order i, f, g, o as PyTorch."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__('LSTM', input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype)


class GRU(_RNNBase):
    """Gated recurrent unit over a sequence; gate order r, z, n as PyTorch."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__('GRU', input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype)
