"""How fast is a full training step in minigrad, next to hand-written NumPy and PyTorch?

A training step is forward, loss, backward and an SGD update. For each network we time it in
three ways on one CPU thread:

- minigrad, as a student would write it (``nn`` layers, ``loss.backward()``, ``optim.SGD``);
- NumPy written by hand: the same forward pass and its backward pass derived on paper, with no
  graph, no Tensor objects and no bookkeeping: the floor an autograd framework in NumPy can
  approach. Before timing, the script checks that it gives the same gradients as minigrad;
- PyTorch eager on the CPU (when torch is installed), with the same weights.

Two kinds of network are timed. The first rows are written the way students write them, from
public ops only (``composed_models`` defines each once and builds it from minigrad or from
PyTorch, so both libraries run the very same code): a chain of 3000 tiny ops that is all
per-op overhead, a CNN on 28x28 images, an LSTM cell written out gate by gate, a pre-LN
transformer block written out head by head, and an MLP. The last rows use minigrad's fused
layers (``nn.LSTM``, ``nn.TransformerEncoderLayer``) and the small digits CNN.

Each round times every implementation back to back, so the ratios minigrad/numpy and
minigrad/torch compare runs made under the same machine load; the table gives each round's
ratio and their median. On the CPU the clock is the process's CPU time (``time.process_time``):
all three run on one thread, and on a shared machine CPU time is far steadier than wall time,
which counts the time other processes hold the core. The peak memory is what ``tracemalloc`` sees NumPy allocate during
one step (PyTorch's allocator is invisible to it).

    python benchmarks/train_steps.py                  # every workload, 5 rounds
    python benchmarks/train_steps.py --only chain cnn28 --rounds 3
    python benchmarks/train_steps.py --device cuda    # adds minigrad on the GPU and its speed-up
"""
import os

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_var] = '1'           # before NumPy loads its BLAS: one thread for everyone

import argparse                      # noqa: E402
import statistics                    # noqa: E402
import sys                           # noqa: E402
import time                          # noqa: E402
import tracemalloc                   # noqa: E402

import numpy as np                   # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import minigrad                      # noqa: E402
import minigrad.nn as nn             # noqa: E402
from minigrad.demo import DigitsCNN  # noqa: E402

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None

LR = 0.01


# ====================================================================================
# Hand-written NumPy: each piece is a forward that returns what its backward needs.
# Parameters live in a dict named as minigrad's (and PyTorch's) state_dict.
# ====================================================================================

def linear_fwd(x, W, b):
    return x @ W.T + b


def linear_bwd(dy, x, W, grads, name, input_grad=True):
    """y = x W^T + b  =>  dW = dy^T x, db = sum(dy), dx = dy W (over all leading dims).

    ``input_grad=False`` for a first layer: autograd skips dx when x needs no gradient, so must we."""
    dy2, x2 = dy.reshape(-1, dy.shape[-1]), x.reshape(-1, x.shape[-1])
    grads[name + '.weight'] = dy2.T @ x2
    grads[name + '.bias'] = dy2.sum(0)
    return dy @ W if input_grad else None


def cross_entropy(logits, y):
    """Mean of -log softmax(logits)[y], and its gradient softmax - onehot(y), over N."""
    z = logits - logits.max(1, keepdims=True)
    e = np.exp(z)
    s = e.sum(1, keepdims=True)
    n = len(y)
    loss = float(np.log(s[:, 0]).sum() - z[np.arange(n), y].sum()) / n
    d = e / s
    d[np.arange(n), y] -= 1
    return loss, d / np.float32(n)


def sgd(params, grads):
    for k, g in grads.items():
        params[k] -= LR * g


def chain_step(params, x, y, n=1000):
    """x = relu(x * b + c), n times, loss = sum(x): b and c collect a gradient from every step."""
    b, c = params['b'], params['c']
    xs = [x]
    for _ in range(n):
        xs.append(np.maximum(xs[-1] * b + c, 0))
    db, dc = np.zeros_like(b), np.zeros_like(c)
    d = np.ones_like(x)
    for k in reversed(range(n)):
        d = d * (xs[k + 1] > 0)            # through relu
        db += d * xs[k]
        dc += d
        d = d * b
    return float(xs[-1].sum()), {'b': db, 'c': dc}


def mlp_forward(params, names, x):
    """Linear layers with ReLU between them: every layer's input, then the logits."""
    acts = [x]
    for i, name in enumerate(names):
        h = linear_fwd(acts[-1], params[name + '.weight'], params[name + '.bias'])
        acts.append(h if i == len(names) - 1 else np.maximum(h, 0))
    return acts


def mlp_backward(params, names, acts, d, grads, input_grad):
    for i in reversed(range(len(names))):
        if i < len(names) - 1:
            d = d * (acts[i + 1] > 0)
        d = linear_bwd(d, acts[i], params[names[i] + '.weight'], grads, names[i], input_grad or i > 0)
    return d


def mlp_step(params, names, x, y):
    acts = mlp_forward(params, names, x)
    loss, d = cross_entropy(acts[-1], y)
    grads = {}
    mlp_backward(params, names, acts, d, grads, input_grad=False)
    return loss, grads


def conv3x3_fwd(x, W, b):
    """3x3 convolution, padding 1: y[n] = W (O, C*9) @ cols[n] (C*9, H*W), batched over n.

    The columns are laid out (N, C, 3, 3, H, W): the copy that makes them moves rows of W
    pixels, and the product comes out as (N, O, H*W), already in NCHW order."""
    n, c, h, w = x.shape
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))),
                                                       (3, 3), axis=(2, 3))       # (N, C, H, W, 3, 3)
    cols = windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * 9, h * w)
    out = W.reshape(len(W), -1) @ cols + b[:, None]                                 # (N, O, H*W)
    return out.reshape(n, -1, h, w), cols


def conv3x3_bwd(dy, cols, W, grads, name, input_grad=True):
    """dW = sum_n dy[n] cols[n]^T; dx = col2im of W^T dy: each of the 9 kernel offsets adds a
    shifted copy of its plane back onto the (padded) input."""
    n, o, h, w = dy.shape
    dy3 = dy.reshape(n, o, h * w)
    grads[name + '.weight'] = (dy3 @ cols.transpose(0, 2, 1)).sum(0).reshape(W.shape)
    grads[name + '.bias'] = dy3.sum((0, 2))
    if not input_grad:
        return None
    dcols = (W.reshape(o, -1).T @ dy3).reshape(n, -1, 3, 3, h, w)                 # (N, C, 3, 3, H, W)
    dx = np.zeros((n, dcols.shape[1], h + 2, w + 2), dy.dtype)
    for u in range(3):
        for v in range(3):
            dx[:, :, u:u + h, v:v + w] += dcols[:, :, u, v]
    return dx[:, :, 1:-1, 1:-1]


def maxpool2_fwd(x):
    """2x2 max pooling as the maximum of the four strided quarter-images; the mask of winners."""
    out = np.maximum(np.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2]),
                     np.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]))
    n, c, h, w = x.shape
    return out, x.reshape(n, c, h // 2, 2, w // 2, 2) == out[:, :, :, None, :, None]


def maxpool2_bwd(dy, mask):
    # ties (equal maxima) would share the gradient; after ReLU the only ties are zeros, whose
    # gradient the ReLU backward drops anyway, so this matches PyTorch's first-maximum rule
    return (mask * dy[:, :, :, None, :, None]).reshape(mask.shape[0], mask.shape[1], mask.shape[2] * 2, -1)


def cnn_step(params, x, y, convs, head):
    """[conv3x3 -> ReLU -> maxpool2] for each name in ``convs``, flatten, then the MLP ``head``."""
    p = params
    saved = []
    for name in convs:
        c, cols = conv3x3_fwd(x, p[name + '.weight'], p[name + '.bias'])
        x, mask = maxpool2_fwd(np.maximum(c, 0))
        saved.append((c, cols, mask))
    acts = mlp_forward(p, head, x.reshape(len(x), -1))
    loss, d = cross_entropy(acts[-1], y)
    g = {}
    d = mlp_backward(p, head, acts, d, g, input_grad=True).reshape(x.shape)
    for k in reversed(range(len(convs))):
        c, cols, mask = saved[k]
        d = maxpool2_bwd(d, mask) * (c > 0)
        d = conv3x3_bwd(d, cols, p[convs[k] + '.weight'], g, convs[k], input_grad=k > 0)
    return loss, g


def sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5


FUSED_LSTM = ('lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.bias_ih_l0', 'lstm.bias_hh_l0')


def lstm_step(params, x, y, names=FUSED_LSTM):
    """One-layer LSTM over x (T, B, I), PyTorch's gate order (i, f, g, o); a linear head on h_T.

    ``names``: the input and hidden weights, then the input and hidden biases."""
    p = params
    W_ih, W_hh = p[names[0]], p[names[1]]
    T, B, _ = x.shape
    H = W_hh.shape[1]
    xw = x @ W_ih.T + (p[names[2]] + p[names[3]])      # all input projections at once
    h, c = np.zeros((B, H), np.float32), np.zeros((B, H), np.float32)
    hs, cs, gates = [h], [c], []
    for t in range(T):
        z = xw[t] + h @ W_hh.T
        i, f, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), sigmoid(z[:, 3 * H:])
        g = np.tanh(z[:, 2 * H:3 * H])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
        gates.append((i, f, g, o))
    logits = linear_fwd(h, p['fc.weight'], p['fc.bias'])
    loss, d = cross_entropy(logits, y)
    grads = {}
    dh = linear_bwd(d, h, p['fc.weight'], grads, 'fc')
    dc = np.zeros_like(dh)
    dz = np.empty((T, B, 4 * H), np.float32)
    for t in reversed(range(T)):
        i, f, g, o = gates[t]
        tc = np.tanh(cs[t + 1])
        dc = dc + dh * o * (1 - tc * tc)
        dz[t, :, :H] = dc * g * i * (1 - i)
        dz[t, :, H:2 * H] = dc * cs[t] * f * (1 - f)
        dz[t, :, 2 * H:3 * H] = dc * i * (1 - g * g)
        dz[t, :, 3 * H:] = dh * tc * o * (1 - o)
        dc = dc * f
        dh = dz[t] @ W_hh
    dz2 = dz.reshape(T * B, -1)
    grads[names[1]] = dz2.T @ np.stack(hs[:-1]).reshape(T * B, H)
    grads[names[0]] = dz2.T @ x.reshape(T * B, -1)
    grads[names[2]] = grads[names[3]] = dz2.sum(0)
    return loss, grads


def layer_norm_fwd(x, gamma, beta, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    rstd = 1 / np.sqrt((xc * xc).mean(-1, keepdims=True) + eps)
    xhat = xc * rstd
    return xhat * gamma + beta, (xhat, rstd)


def layer_norm_bwd(dy, gamma, cache, grads, name):
    xhat, rstd = cache
    grads[name + '.weight'] = (dy * xhat).reshape(-1, xhat.shape[-1]).sum(0)
    grads[name + '.bias'] = dy.reshape(-1, dy.shape[-1]).sum(0)
    dxhat = dy * gamma
    return rstd * (dxhat - dxhat.mean(-1, keepdims=True) - xhat * (dxhat * xhat).mean(-1, keepdims=True))


GELU_S, GELU_C = np.float32(np.sqrt(2 / np.pi)), np.float32(0.044715)


def relu_fwd(x):
    return np.maximum(x, 0), x > 0


def gelu_tanh_fwd(x):
    """GELU, tanh form: y = x (1 + tanh(u)) / 2 with u = s (x + c x³); keeps dy/dx for backward."""
    t = np.tanh(GELU_S * (x + GELU_C * x * x * x))
    return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_S * (1 + 3 * GELU_C * x * x)


# the fused nn.TransformerEncoderLayer's names, and the composed block's
FUSED_BLOCK = dict(norm1='norm1', qkv='self_attn.in_proj', proj='self_attn.out_proj', norm2='norm2',
                   ff1='linear1', ff2='linear2')
COMPOSED_BLOCK = dict(norm1='norm1', qkv='qkv', proj='proj', norm2='norm2', ff1='ff1', ff2='ff2')


def transformer_step(params, x, target, heads, names=FUSED_BLOCK, act=relu_fwd):
    """Pre-LN encoder block: x + SelfAttention(LN1(x)), then + FF(LN2(.)); MSE loss against target.

    ``act`` returns the activation and its derivative (ReLU for the fused layer, GELU for the
    composed block)."""
    # the fused layer names its input projection 'in_proj_weight', not 'in_proj.weight'
    p = {k.replace('in_proj_', 'in_proj.'): v for k, v in params.items()}
    n = names
    B, T, D = x.shape
    dh = D // heads
    scale = np.float32(1 / np.sqrt(dh))

    def split(t):                   # (B, T, D) -> (B, heads, T, dh)
        return t.reshape(B, T, heads, dh).transpose(0, 2, 1, 3)

    def merge(t):                   # (B, heads, T, dh) -> (B, T, D)
        return t.transpose(0, 2, 1, 3).reshape(B, T, D)

    def lin(t, name):
        return linear_fwd(t, p[name + '.weight'], p[name + '.bias'])

    n1, ln1 = layer_norm_fwd(x, p[n['norm1'] + '.weight'], p[n['norm1'] + '.bias'])
    qkv = lin(n1, n['qkv'])
    q, k, v = (split(t) for t in np.split(qkv, 3, axis=-1))
    s = q @ k.transpose(0, 1, 3, 2) * scale
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    o = merge(a @ v)
    x1 = x + lin(o, n['proj'])
    n2, ln2 = layer_norm_fwd(x1, p[n['norm2'] + '.weight'], p[n['norm2'] + '.bias'])
    f1 = lin(n2, n['ff1'])
    r, dr_df = act(f1)
    out = x1 + lin(r, n['ff2'])
    diff = out - target
    loss = float((diff * diff).mean())

    g = {}
    dout = diff * np.float32(2 / diff.size)
    dr = linear_bwd(dout, r, p[n['ff2'] + '.weight'], g, n['ff2']) * dr_df
    dn2 = linear_bwd(dr, n2, p[n['ff1'] + '.weight'], g, n['ff1'])
    dx1 = dout + layer_norm_bwd(dn2, p[n['norm2'] + '.weight'], ln2, g, n['norm2'])
    do = split(linear_bwd(dx1, o, p[n['proj'] + '.weight'], g, n['proj']))
    da = do @ v.transpose(0, 1, 3, 2)
    dv = a.transpose(0, 1, 3, 2) @ do
    ds = a * (da - (da * a).sum(-1, keepdims=True)) * scale        # softmax backward
    dq, dk = ds @ k, ds.transpose(0, 1, 3, 2) @ q
    dqkv = np.concatenate([merge(dq), merge(dk), merge(dv)], axis=-1)
    dn1 = linear_bwd(dqkv, n1, p[n['qkv'] + '.weight'], g, n['qkv'])
    layer_norm_bwd(dn1, p[n['norm1'] + '.weight'], ln1, g, n['norm1'])     # dx itself is not needed
    return loss, {k.replace('in_proj.', 'in_proj_'): v for k, v in g.items()}


# ====================================================================================
# The workloads: a minigrad model, the matching NumPy step, a PyTorch twin, a batch.
# ====================================================================================

def composed_models(lib):
    """Networks written the way a student writes them, from ``lib``'s public ops only; ``lib`` is
    minigrad or torch, so both libraries run exactly this code."""
    nn = lib.nn

    class Chain(nn.Module):
        """x = relu(x * b + c), ``n`` times, with one shared b and c: 3n tiny ops, all overhead."""

        def __init__(self, shape=(4, 4), n=1000):
            super().__init__()
            self.b = nn.Parameter(lib.rand(*shape) * 0.5 + 0.5)
            self.c = nn.Parameter(lib.rand(*shape) * 0.1)
            self.n = n

        def forward(self, x):
            for _ in range(self.n):
                x = (x * self.b + self.c).relu()
            return x

    class LSTMCellNet(nn.Module):
        """An LSTM written as its cell: two Linear layers make the four gates, sliced apart."""

        def __init__(self, input_size, hidden_size, classes):
            super().__init__()
            self.ih = nn.Linear(input_size, 4 * hidden_size)
            self.hh = nn.Linear(hidden_size, 4 * hidden_size)
            self.fc = nn.Linear(hidden_size, classes)

        def forward(self, x):
            H = self.hh.in_features
            h = c = lib.zeros(x.shape[1], H)
            for t in range(x.shape[0]):
                z = self.ih(x[t]) + self.hh(h)
                i, f, g, o = z[:, :H].sigmoid(), z[:, H:2 * H].sigmoid(), z[:, 2 * H:3 * H].tanh(), z[:, 3 * H:].sigmoid()
                c = f * c + i * g
                h = o * c.tanh()
            return self.fc(h)

    class PreLNBlock(nn.Module):
        """x + attention(LN(x)), then + FF(LN(.)), the heads split by reshape and transpose."""

        def __init__(self, d, heads, ff):
            super().__init__()
            self.heads = heads
            self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.ff1, self.ff2 = nn.Linear(d, ff), nn.Linear(ff, d)

        def forward(self, x):
            B, T, D = x.shape
            dh = D // self.heads
            q, k, v = (t.reshape(B, T, self.heads, dh).transpose(1, 2) for t in self.qkv(self.norm1(x)).chunk(3, -1))
            a = (q @ k.transpose(-2, -1) * (1 / dh ** 0.5)).softmax(-1)
            x = x + self.proj((a @ v).transpose(1, 2).reshape(B, T, D))
            return x + self.ff2(nn.functional.gelu(self.ff1(self.norm2(x)), approximate='tanh'))

    def cnn28():
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(16 * 7 * 7, 10))

    def mlp(sizes):
        layers = []
        for i in range(len(sizes) - 1):
            layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.ReLU()]
        return nn.Sequential(*layers[:-1])

    return dict(chain=Chain, cnn28=cnn28, lstm_cell=lambda: LSTMCellNet(64, 128, 10),
                block=lambda: PreLNBlock(128, 4, 512),
                mlp=lambda: mlp((784, 512, 512, 10)), small=lambda: mlp((64, 128, 10)))


class LSTMClassifier(nn.Module):
    def __init__(self, input_size, hidden_size, classes):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size)
        self.fc = nn.Linear(hidden_size, classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[-1])


def make_workloads(rng):
    def images(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    def labels(n, classes=10):
        return rng.integers(0, classes, n)

    def mlp_names(n):               # the Sequential indices of the Linear layers: '0', '2', '4'
        return [str(2 * i) for i in range(n)]

    m = composed_models(minigrad)
    heads = 4
    return {
        'chain': dict(title='chain relu(x*b+c) x1000, 4x4 (3000 ops)', model=m['chain'],
                      batch=(rng.uniform(0, 1, (4, 4)).astype(np.float32), labels(1)), loss='sum',
                      numpy=chain_step),
        'cnn28': dict(title='CNN 1-8-16 28x28, batch 64', model=m['cnn28'],
                      batch=(images(64, 1, 28, 28), labels(64)), loss='ce',
                      numpy=lambda p, x, y: cnn_step(p, x, y, ['0', '3'], ['7'])),
        'lstm_cell': dict(title='LSTM cell 64->128, T=32, B=32', model=m['lstm_cell'],
                          batch=(images(32, 32, 64), labels(32)), loss='ce',
                          numpy=lambda p, x, y: lstm_step(p, x, y, ('ih.weight', 'hh.weight', 'ih.bias', 'hh.bias'))),
        'block': dict(title='pre-LN block (composed), B16 T64 d128', model=m['block'], loss='mse',
                      batch=(images(16, 64, 128), images(16, 64, 128)),
                      numpy=lambda p, x, t: transformer_step(p, x, t, heads, COMPOSED_BLOCK, gelu_tanh_fwd)),
        'mlp': dict(title='MLP 784-512-512-10, batch 128', model=m['mlp'],
                    batch=(images(128, 784), labels(128)), loss='ce',
                    numpy=lambda p, x, y: mlp_step(p, mlp_names(3), x, y)),
        'cnn': dict(title='digits CNN 8x8, batch 64', model=lambda: DigitsCNN(dropout=0.0),
                    batch=(images(64, 1, 8, 8), labels(64)), loss='ce',
                    numpy=lambda p, x, y: cnn_step(p, x, y, ['features.0', 'features.3'],
                                                   ['classifier.2', 'classifier.5'])),
        'lstm': dict(title='nn.LSTM 64->128, T=32, B=32', model=lambda: LSTMClassifier(64, 128, 10),
                     batch=(images(32, 32, 64), labels(32)), loss='ce', numpy=lstm_step),
        'transformer': dict(title='nn.TransformerEncoderLayer B16 T64 d128', loss='mse',
                            model=lambda: nn.TransformerEncoderLayer(128, heads, 512, dropout=0.0,
                                                                     batch_first=True, norm_first=True),
                            batch=(images(16, 64, 128), images(16, 64, 128)),
                            numpy=lambda p, x, t: transformer_step(p, x, t, heads)),
        'small': dict(title='MLP 64-128-10, batch 64', model=m['small'],
                      batch=(images(64, 64), labels(64)), loss='ce',
                      numpy=lambda p, x, y: mlp_step(p, mlp_names(2), x, y)),
    }


def torch_twin(name, state):
    """The same network in PyTorch, loaded with minigrad's weights."""
    tnn = torch.nn
    composed = composed_models(torch)
    if name in composed:
        model = composed[name]()
    elif name == 'cnn':
        model = tnn.Module()
        model.features = tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                                        tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2))
        model.classifier = tnn.Sequential(tnn.Flatten(), tnn.Dropout(0.0), tnn.Linear(256, 128), tnn.ReLU(),
                                          tnn.Dropout(0.0), tnn.Linear(128, 10))
        model.forward = lambda x: model.classifier(model.features(x))
    elif name == 'lstm':
        model = tnn.Module()
        model.lstm, model.fc = tnn.LSTM(64, 128), tnn.Linear(128, 10)
        model.forward = lambda x: model.fc(model.lstm(x)[0][-1])
    else:
        model = tnn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True, norm_first=True)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    return model


def loss_function(lib, kind):
    """The step's loss in ``lib`` (minigrad or torch): cross-entropy, MSE, or the output's sum."""
    if kind == 'sum':
        return lambda out, y: out.sum()
    return lib.nn.functional.cross_entropy if kind == 'ce' else lib.nn.functional.mse_loss


# ----- one training step in each framework, as a closure over model, optimizer and batch -----

def minigrad_step(model, kind, x, y):
    opt = minigrad.optim.SGD(model.parameters(), lr=LR)
    loss_fn = loss_function(minigrad, kind)

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def torch_step(model, kind, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = loss_function(torch, kind)

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def numpy_step(fn, params, x, y):
    def step():
        sgd(params, fn(params, x, y)[1])
    return step


def verify(name, w, model, params):
    """The hand-written backward must give minigrad's gradients (and loss) on the same batch."""
    x, y = w['batch']
    loss = loss_function(minigrad, w['loss'])(model(minigrad.tensor(x)), minigrad.tensor(y))
    model.zero_grad()
    loss.backward()
    np_loss, grads = w['numpy'](params, x, y)
    ours = dict(model.named_parameters())
    if set(grads) != set(ours):
        raise AssertionError(f"{name}: hand-written grads for {sorted(grads)}, minigrad has {sorted(ours)}")
    np.testing.assert_allclose(np_loss, loss.item(), rtol=1e-4, err_msg=f"{name}: loss")
    for k, g in grads.items():
        scale = float(np.abs(ours[k].grad.numpy()).max()) + 1e-12
        np.testing.assert_allclose(g, ours[k].grad.numpy(), rtol=1e-3, atol=1e-4 * scale,
                                   err_msg=f"{name}: gradient of {k}")
    model.zero_grad()


def time_per_step(step, n, sync=None, clock=time.perf_counter):
    start = clock()
    for _ in range(n):
        step()
    if sync:
        sync()
    return (clock() - start) / n


def calibrate(step, min_time, sync=None, clock=time.perf_counter):
    """Warm up, then the number of steps that take about ``min_time`` seconds."""
    step()
    t = time_per_step(step, 2, sync, clock)
    return max(3, int(min_time / t))


def peak_bytes(step):
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def run(names, rounds, min_time, device):
    rng = np.random.default_rng(0)
    workloads = make_workloads(rng)
    rows = []
    for name in names:
        w = workloads[name]
        minigrad.manual_seed(0)
        model = w['model']()
        state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        params = {k: v.detach().numpy().copy() for k, v in model.named_parameters()}
        verify(name, w, model, params)
        x, y = w['batch']
        steps = {'minigrad': minigrad_step(model, w['loss'], minigrad.tensor(x), minigrad.tensor(y)),
                 'numpy': numpy_step(w['numpy'], params, x, y)}
        if torch is not None:
            steps['torch'] = torch_step(torch_twin(name, state), w['loss'], torch.from_numpy(x), torch.from_numpy(y))
        sync = {}                   # GPU work is queued: wait for it before reading the (wall) clock
        if device == 'cuda':
            gpu_model = w['model']().to('cuda')
            gpu_model.load_state_dict(state)
            steps['minigrad-cuda'] = minigrad_step(gpu_model, w['loss'], minigrad.tensor(x, device='cuda'),
                                                   minigrad.tensor(y, device='cuda'))
            sync['minigrad-cuda'] = minigrad.cuda.synchronize
        clock = {k: time.perf_counter if k in sync else time.process_time for k in steps}
        counts = {k: calibrate(s, min_time, sync.get(k), clock[k]) for k, s in steps.items()}
        times = {k: [] for k in steps}
        for _ in range(rounds):
            for k, s in steps.items():
                times[k].append(time_per_step(s, counts[k], sync.get(k), clock[k]))
        row = {'name': name, 'title': w['title'], 'times': times,
               'peak_minigrad': peak_bytes(steps['minigrad']), 'peak_numpy': peak_bytes(steps['numpy'])}
        rows.append(row)
        print(f"  {w['title']}: done", file=sys.stderr, flush=True)
    return rows


def report(rows, rounds):
    def ms(ts):
        return f"{1000 * statistics.median(ts):8.2f}"

    def ratios(a, b):
        r = [x / y for x, y in zip(a, b)]
        return f"{statistics.median(r):5.2f}x  (" + " ".join(f"{v:.2f}" for v in r) + ")"

    print(f"\nCPU ms per training step (median of {rounds} rounds; one BLAS thread); "
          f"ratios are per round, median first\n")
    has_torch = any('torch' in r['times'] for r in rows)
    has_cuda = any('minigrad-cuda' in r['times'] for r in rows)
    header = f"{'workload':40s} {'minigrad':>8s} {'numpy':>8s}" + (f" {'torch':>8s}" if has_torch else "")
    header += f" {'peak MB mg/np':>14s}  {'minigrad/numpy':36s}" + (f" {'minigrad/torch':36s}" if has_torch else "")
    print(header)
    print('-' * len(header))
    for r in rows:
        t = r['times']
        line = f"{r['title']:40s} {ms(t['minigrad'])} {ms(t['numpy'])}"
        if has_torch:
            line += f" {ms(t['torch'])}"
        line += f" {r['peak_minigrad'] / 2**20:6.1f}/{r['peak_numpy'] / 2**20:<6.1f}"
        line += f"  {ratios(t['minigrad'], t['numpy']):36s}"
        if has_torch:
            line += f" {ratios(t['minigrad'], t['torch']):36s}"
        print(line)
    if has_cuda:
        print(f"\n{'workload':40s} {'cpu ms':>8s} {'cuda ms':>8s}  speed-up")
        for r in rows:
            t = r['times']
            print(f"{r['title']:40s} {ms(t['minigrad'])} {ms(t['minigrad-cuda'])}  "
                  f"{ratios(t['minigrad'], t['minigrad-cuda'])}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    names = list(make_workloads(np.random.default_rng(0)))
    parser.add_argument('--only', nargs='+', choices=names, default=names, help='workloads to run')
    parser.add_argument('--rounds', type=int, default=5, help='timing rounds (default: 5)')
    parser.add_argument('--min-time', type=float, default=0.3,
                        help='seconds each implementation runs per round (default: 0.3)')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu',
                        help="'cuda' also times minigrad on the GPU (skipped when none is usable)")
    args = parser.parse_args(argv)
    device = args.device
    if device == 'cuda' and not minigrad.cuda.is_available():
        print("--device cuda: no usable GPU (CuPy and an NVIDIA GPU are needed); timing the CPU only",
              file=sys.stderr)
        device = 'cpu'
    if torch is None:
        print("PyTorch is not installed: the torch column is skipped", file=sys.stderr)
    report(run(args.only, args.rounds, args.min_time, device), args.rounds)


if __name__ == '__main__':
    main()
