"""The checkers of the exercises in ``tutorials/``: is the student's code right, and if not, what is wrong?

    python -m minigrad check tutorials/01_custom_function.py
    python tutorials/01_custom_function.py           # the same: each exercise file ends by calling check()

A checker takes the student's module (the exercise file, loaded), runs its functions on seeded
random inputs, compares them with minigrad's own implementation (values and gradients) and with
finite differences (``gradcheck``), prints one line per check and returns ``True`` when every
check passes. It never shows a traceback: a function that still raises
``NotImplementedError("exercise: ...")`` is reported as *not done yet*, an exception in the
student's code by its message and line, and a wrong result by what is wrong: the shape, the dtype,
or the first wrong entry (which output or which input's gradient, the index, the expected and the
computed value), with a hint when the mistake has a pattern (a constant factor, all zeros).

``EXERCISES`` maps each exercise (its file name without the leading number) to its checker.
"""
import contextlib
import importlib.util
import math
import os
import re

import numpy
from numpy.lib.stride_tricks import sliding_window_view

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.autograd.gradcheck import GradcheckError
from minigrad.backend import to_device


# ---------------------------------------------------------------------------------------------
# the report: one line per check, a summary, friendly messages instead of tracebacks
# ---------------------------------------------------------------------------------------------
class _Wrong(Exception):
    """A check found a wrong result; the message says what is wrong."""


class _Report:
    """The outcome of each check of one exercise, printed as it goes."""

    def __init__(self, module, title):
        self.module = module
        self.path = os.path.realpath(module.__file__)
        self.file = os.path.basename(module.__file__)
        self.passed = self.failed = self.not_done = 0
        self.todo = []                 # the blanks still to fill in, in the order first met
        print(f"Checking {self.file}: {title}")

    def get(self, name):
        """The student's function or class ``name``."""
        if not hasattr(self.module, name):
            raise _Wrong(f"{self.file} defines no `{name}`: keep the names the exercise gives")
        return getattr(self.module, name)

    @contextlib.contextmanager
    def check(self, description):
        """One check: its body raises ``_Wrong`` for a wrong result; every exception is reported."""
        try:
            yield
        except NotImplementedError as e:
            blank = self._student_frame(e)
            if blank is None:                  # raised by minigrad, not by a blank of the exercise
                self._fail(description, f"NotImplementedError: {e}")
                return
            name = _qualname(blank.tb_frame.f_code)
            if name not in self.todo:
                self.todo.append(name)
            self.not_done += 1
            print(f"  TODO  {description}\n        not done yet: fill in {name}")
        except _Wrong as e:
            self._fail(description, str(e))
        except Exception as e:
            message = f"{type(e).__name__}: {e}"
            where = self._student_frame(e)
            if where is not None:
                message += (f" (raised in your {_qualname(where.tb_frame.f_code)}, "
                            f"line {where.tb_lineno} of {self.file})")
            self._fail(description, message)
        else:
            self.passed += 1
            print(f"  ok    {description}")

    def _fail(self, description, message):
        self.failed += 1
        print(f"  FAIL  {description}\n        {message}")

    def _student_frame(self, error):
        """The innermost traceback entry that lies in the student's file, or None."""
        found, tb = None, error.__traceback__
        while tb is not None:
            if os.path.realpath(tb.tb_frame.f_code.co_filename) == self.path:
                found = tb
            tb = tb.tb_next
        return found

    def finish(self):
        """Print the summary; True when every check passed."""
        if not self.failed and not self.not_done:
            print(f"All {self.passed} checks passed. Well done!")
            return True
        total = self.passed + self.failed + self.not_done
        summary = f"{self.passed} of {total} checks passed."
        if self.failed:
            summary += f" {self.failed} failed: see the FAIL lines above."
        if self.todo:
            summary += f" Not done yet: fill in {', '.join(self.todo)}."
        print(summary)
        return False


def _qualname(code):
    return getattr(code, 'co_qualname', code.co_name)   # 'Class.method' from Python 3.11 on


# ---------------------------------------------------------------------------------------------
# comparing results
# ---------------------------------------------------------------------------------------------
def _host(x):
    """A Tensor's or an array's values as a NumPy array on the CPU."""
    if isinstance(x, minigrad.Tensor):
        x = to_device(x.data, 'cpu')
    return numpy.asarray(x)


def _shape(shape):
    return str(tuple(int(s) for s in shape))


def _tensor_result(got, what):
    if not isinstance(got, minigrad.Tensor):
        raise _Wrong(f"{what} should be a minigrad Tensor, got {type(got).__name__}")
    return got


def _compare(got, expected, what, rtol=1e-5, atol=1e-6):
    """Raise ``_Wrong`` naming the first difference between ``got`` and ``expected``."""
    if got is None:
        raise _Wrong(f"{what} is None")
    g, e = _host(got), _host(expected)
    if g.shape != e.shape:
        raise _Wrong(f"{what} has shape {_shape(g.shape)}, expected {_shape(e.shape)}")
    if g.dtype != e.dtype:
        hint = (": a NumPy float64 scalar or array widened it (use Python floats such as 0.5)"
                if g.dtype == numpy.float64 and e.dtype == numpy.float32 else "")
        raise _Wrong(f"{what} has dtype {g.dtype}, expected {e.dtype}{hint}")
    bad = ~numpy.isclose(g, e, rtol=rtol, atol=atol)
    if bad.any():
        idx = tuple(int(i) for i in numpy.argwhere(bad)[0])
        raise _Wrong(f"{what} is wrong at index {idx}: expected {e[idx]:.6g}, got {g[idx]:.6g} "
                     f"({int(bad.sum())} of {bad.size} entries differ){_pattern(g, e)}")


def _pattern(got, expected):
    """A hint when a wrong result has a recognisable pattern."""
    if numpy.isnan(got).any():
        return "; yours has NaN entries"
    if numpy.isinf(got).any() and not numpy.isinf(expected).any():
        return "; yours has infinite entries (an overflow?)"
    if not got.any():
        return "; yours is zero everywhere"
    big = numpy.abs(expected) > 1e-3 * numpy.abs(expected).max()
    if big.sum() > 1:
        ratio = got[big] / expected[big]
        r = float(numpy.median(ratio))
        if numpy.allclose(ratio, r, rtol=1e-3) and abs(r) > 1e-6 and not math.isclose(r, 1.0, rel_tol=1e-3):
            return f"; yours is {r:.4g} times the expected value everywhere"
    return ""


def _grads_of(out, upstream, inputs, names, what):
    """Backpropagate ``upstream`` (shaped like the reference output) from the student's ``out``;
    the gradient of each input."""
    out = _tensor_result(out, what)
    if out.shape != upstream.shape:
        raise _Wrong(f"{what} has shape {_shape(out.shape)}, expected {_shape(upstream.shape)}")
    if not out.requires_grad:
        raise _Wrong(f"{what} is not connected to its inputs in the autograd graph: build it "
                     f"from Tensor operations (not from .data arrays) so autograd can follow")
    out.backward(upstream)
    grads = []
    for t, name in zip(inputs, names):
        if t.grad is None:
            raise _Wrong(f"no gradient reached {name}: autograd follows Tensor operations only, "
                         f"not .data arrays or .detach()")
        grads.append(t.grad)
    return grads


def _check_backward_returns(fn_class, *args):
    """Run ``fn_class`` on ``args`` and call the student's ``backward`` once by hand, to catch a
    wrong kind of return value early (the engine's own message for, say, a NumPy array is obscure)."""
    out = _tensor_result(fn_class.apply(*args), "the output")
    with minigrad.no_grad():
        result = fn_class.backward(out.grad_fn, minigrad.ones_like(out))
    results = result if isinstance(result, tuple) else (result,)
    name = f"{fn_class.__name__}.backward"
    if len(results) != len(args):
        raise _Wrong(f"{name} returned {len(results)} value(s), expected {len(args)}: one per "
                     f"argument of forward (after ctx), None for the non-tensor ones")
    for i, g in enumerate(results):
        if g is not None and not isinstance(g, minigrad.Tensor):
            raise _Wrong(f"{name} returned a {type(g).__name__} as gradient number {i}: return "
                         f"minigrad Tensors, computed with Tensor operations")


def _named(error, names):
    """gradcheck's message, with 'input 1' spelled 'input 1 (weight)'."""
    return re.sub(r"input (\d+)", lambda m: f"input {m[1]} ({names[int(m[1])]})", str(error), count=1)


def _gradcheck(fn, inputs, names):
    try:
        return gradcheck(fn, inputs)
    except GradcheckError as e:
        raise _Wrong(_named(e, names)) from None


def _gradgradcheck(fn, inputs, names):
    try:
        return gradgradcheck(fn, inputs)
    except GradcheckError as e:
        raise _Wrong(f"{_named(e, names)}. Write backward with Tensor operations on the tensors it gets "
                     f"(grad, ctx.saved_tensors), not on .data arrays, so it can be "
                     f"differentiated again") from None


class _Data:
    """Seeded random inputs: NumPy arrays and minigrad tensors built from them.

    Each check draws its inputs before it runs the student's code, so that an exception there
    leaves the inputs of the later checks as they would have been.
    """

    def __init__(self, seed):
        self.rng = numpy.random.default_rng(seed)

    def randn(self, *shape, dtype='float32', scale=1.0):
        return (scale * self.rng.standard_normal(shape)).astype(dtype)

    @staticmethod
    def tensor(array, requires_grad=False):
        return minigrad.tensor(array.copy(), requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# 01: a custom Function (Swish)
# ---------------------------------------------------------------------------------------------
def check_custom_function(module, seed=0):
    """Swish: forward against ``F.silu``, gradient against autograd's, ``gradcheck``, ``gradgradcheck``."""
    report = _Report(module, "Swish (SiLU) as a custom autograd Function")
    data = _Data(seed)
    x32 = data.randn(3, 5, scale=3.0)
    x64 = numpy.linspace(-30.0, 30.0, 13)

    with report.check("forward matches F.silu on a float32 (3, 5) input"):
        y = report.get('Swish').apply(data.tensor(x32))
        _compare(_tensor_result(y, "the output"), F.silu(data.tensor(x32)), "the output")
    with report.check("forward keeps float64 and is right for x from -30 to 30"):
        y = report.get('Swish').apply(data.tensor(x64))
        _compare(_tensor_result(y, "the output"), F.silu(data.tensor(x64)), "the output",
                 rtol=1e-10, atol=1e-12)
    with report.check("gradient of x matches autograd's gradient of F.silu"):
        upstream = data.tensor(data.randn(3, 5))
        x = data.tensor(x32, requires_grad=True)
        Swish = report.get('Swish')
        _check_backward_returns(Swish, x)
        gx, = _grads_of(Swish.apply(x), upstream, [x], ["x"], "the output")
        ref = data.tensor(x32, requires_grad=True)
        F.silu(ref).backward(upstream)
        _compare(gx, ref.grad, "the gradient of x", rtol=1e-5, atol=1e-6)
    with report.check("gradcheck: backward agrees with finite differences (float64)"):
        x = data.tensor(data.randn(2, 3, dtype='float64'), True)
        Swish = report.get('Swish')
        _check_backward_returns(Swish, x)
        _gradcheck(Swish.apply, (x,), ["x"])
    with report.check("gradgradcheck: your backward can itself be differentiated"):
        x = data.tensor(data.randn(2, 3, dtype='float64'), True)
        Swish = report.get('Swish')
        _check_backward_returns(Swish, x)
        _gradgradcheck(Swish.apply, (x,), ["x"])
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 02: gradient descent with and without momentum
# ---------------------------------------------------------------------------------------------
def _small_net(data):
    """A 4-8-1 tanh network's parameters and data: arrays, and a loss of the parameter tensors."""
    params = {'w1': data.randn(8, 4, scale=0.5), 'b1': data.randn(8, scale=0.1),
              'w2': data.randn(1, 8, scale=0.5), 'b2': data.randn(1, scale=0.1)}
    X, Y = data.tensor(data.randn(16, 4)), data.tensor(data.randn(16, 1))

    def loss(p):
        hidden = (X @ p['w1'].transpose(0, 1) + p['b1']).tanh()
        return ((hidden @ p['w2'].transpose(0, 1) + p['b2'] - Y) ** 2).mean()
    return params, loss


def _train_against_sgd(report, data, name, steps, lr, momentum=0.0, weight_decay=0.0):
    """Train the small net with the student's step ``name`` and with ``minigrad.optim.SGD``,
    comparing the parameters after every step."""
    init, loss = _small_net(data)
    ref = {k: data.tensor(v, requires_grad=True) for k, v in init.items()}
    optimizer = minigrad.optim.SGD(list(ref.values()), lr=lr, momentum=momentum, weight_decay=weight_decay)
    mine = {k: v.copy() for k, v in init.items()}
    velocity = dict.fromkeys(init)
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss(ref).backward()
        optimizer.step()
        params = {k: data.tensor(v, requires_grad=True) for k, v in mine.items()}
        loss(params).backward()
        for k in init:
            grad = _host(params[k].grad).copy()
            if name == 'sgd_step':
                new = report.get(name)(mine[k].copy(), grad, lr)
            else:
                v = None if velocity[k] is None else velocity[k].copy()
                result = report.get(name)(mine[k].copy(), grad, v, lr, momentum, weight_decay)
                if not isinstance(result, tuple) or len(result) != 2:
                    raise _Wrong(f"{name} should return (new_param, new_velocity), got {type(result).__name__}")
                new, velocity[k] = result
                if velocity[k] is None:
                    raise _Wrong(f"{name} returned None as the velocity: return the new velocity, "
                                 f"the next step needs it")
                velocity[k] = numpy.asarray(velocity[k])
            if new is None:
                raise _Wrong(f"{name} returned None: return the updated parameter")
            mine[k] = numpy.asarray(new)
            _compare(mine[k], ref[k], f"parameter {k} {_shape(init[k].shape)} after step {step}")


def check_gradient_descent(module, seed=0):
    """``sgd_step`` and ``sgd_momentum_step`` against ``minigrad.optim.SGD``, step by step."""
    report = _Report(module, "gradient descent, plain and with momentum, against minigrad.optim.SGD")
    runs = [('sgd_step', 3, dict(lr=0.1)),
            ('sgd_momentum_step', 5, dict(lr=0.1, momentum=0.9)),
            ('sgd_momentum_step', 5, dict(lr=0.05, momentum=0.5, weight_decay=0.01))]
    for name, steps, options in runs:
        args = ", ".join(f"{k}={v}" for k, v in options.items())
        with report.check(f"{name}: {steps} steps match SGD({args})"):
            _train_against_sgd(report, _Data(seed), name, steps, **options)
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 03: convolution as unfold + matmul
# ---------------------------------------------------------------------------------------------
def _unfold_reference(x, kernel_size, stride):
    """(N, C, H, W) -> (N, OH·OW, C·KH·KW) with NumPy's sliding windows."""
    N, C = x.shape[:2]
    win = sliding_window_view(x, kernel_size, axis=(2, 3))[:, :, ::stride, ::stride]
    oh, ow = win.shape[2:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N, oh * ow, C * kernel_size[0] * kernel_size[1])


def _conv_call(report, x, w, b, stride, padding):
    return report.get('conv2d')(x, w, b, stride=stride, padding=padding)


def check_conv_by_hand(module, seed=0):
    """``unfold`` against NumPy's sliding windows, ``conv2d`` against ``F.conv2d`` and ``gradcheck``."""
    report = _Report(module, "a 2-d convolution as unfold + one matrix product")
    data = _Data(seed)
    for shape, kernel, stride in [((2, 3, 6, 7), (3, 3), 1), ((1, 2, 7, 8), (2, 3), 2)]:
        with report.check(f"unfold of a {_shape(shape)} input, {kernel[0]}x{kernel[1]} windows, stride {stride}"):
            x = data.randn(*shape)
            cols = report.get('unfold')(data.tensor(x), kernel, stride)
            _compare(_tensor_result(cols, "the result of unfold"), _unfold_reference(x, kernel, stride),
                     "the result of unfold")
    cases = [((2, 3, 6, 7), (4, 3, 3, 3), True, 1, 0), ((2, 2, 7, 6), (3, 2, 2, 3), False, 2, 1)]
    for x_shape, w_shape, has_bias, stride, padding in cases:
        bias = "with bias" if has_bias else "no bias"
        with report.check(f"conv2d matches F.conv2d: input {_shape(x_shape)}, weight {_shape(w_shape)}, "
                          f"{bias}, stride={stride}, padding={padding}"):
            x, w = data.randn(*x_shape), data.randn(*w_shape, scale=0.5)
            b = data.tensor(data.randn(w_shape[0])) if has_bias else None
            out = _conv_call(report, data.tensor(x), data.tensor(w), b, stride, padding)
            expected = F.conv2d(data.tensor(x), data.tensor(w), b, stride=stride, padding=padding)
            _compare(_tensor_result(out, "the output"), expected, "the output", rtol=1e-4, atol=1e-5)
    with report.check("conv2d gradients of input, weight and bias match F.conv2d's (stride=2, padding=1)"):
        arrays = [data.randn(2, 3, 7, 6), data.randn(4, 3, 3, 2, scale=0.5), data.randn(4)]
        names = ["input", "weight", "bias"]
        ref = [data.tensor(a, requires_grad=True) for a in arrays]
        ref_out = F.conv2d(*ref, stride=2, padding=1)
        upstream = data.tensor(data.randn(*ref_out.shape))
        ref_out.backward(upstream)
        mine = [data.tensor(a, requires_grad=True) for a in arrays]
        grads = _grads_of(_conv_call(report, *mine, 2, 1), upstream, mine, names, "the output")
        for g, r, name in zip(grads, ref, names):
            _compare(g, r.grad, f"the gradient of {name}", rtol=1e-4, atol=1e-5)
    with report.check("gradcheck of conv2d in float64 (stride=2, padding=1)"):
        inputs = [data.tensor(data.randn(*s, dtype='float64'), True) for s in [(1, 2, 5, 4), (2, 2, 3, 2), (2,)]]
        conv = report.get('conv2d')
        _gradcheck(lambda x, w, b: conv(x, w, b, stride=2, padding=1), inputs, ["input", "weight", "bias"])
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 04: scaled dot-product attention
# ---------------------------------------------------------------------------------------------
def _attention_reference(q, k, v, attn_mask, is_causal):
    """minigrad's output and weights; the weights are attention applied to the identity matrix
    as values (row i of softmax(...) · I is row i of softmax(...))."""
    S = k.shape[-2]
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
    eye = minigrad.eye(S, dtype=q.dtype, device=q.device)
    weights = F.scaled_dot_product_attention(q, k, eye, attn_mask=attn_mask, is_causal=is_causal)
    return out, weights


def _attention_result(result):
    if not isinstance(result, tuple) or len(result) != 2:
        raise _Wrong(f"attention should return a pair (output, weights), got {type(result).__name__}")
    return (_tensor_result(result[0], "the output"), _tensor_result(result[1], "the attention weight matrix"))


def _bool_mask(data, L, S):
    """A random (L, S) mask with at least one allowed key in every row (else softmax is 0/0)."""
    mask = data.rng.random((L, S)) < 0.5
    mask[numpy.arange(L), data.rng.integers(0, S, L)] = True
    return mask


def check_attention_by_hand(module, seed=0):
    """``attention`` against ``F.scaled_dot_product_attention``: outputs, weights, gradients, gradcheck."""
    report = _Report(module, "scaled dot-product attention with masks")
    data = _Data(seed)
    float_mask = data.randn(4, 6)
    float_mask[data.rng.random((4, 6)) < 0.4] = -math.inf
    float_mask[:, 0] = 0.0                  # every query may see key 0
    cases = [
        ("self-attention, no mask", (2, 5, 8), (2, 5, 8), (2, 5, 8), None, False),
        ("cross-attention with heads", (2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5), None, False),
        ("bool mask (True = may attend)", (2, 4, 8), (2, 6, 8), (2, 6, 8), _bool_mask(data, 4, 6), False),
        ("float mask added to the scores (-inf forbids)", (2, 4, 8), (2, 6, 8), (2, 6, 3), float_mask, False),
        ("is_causal=True", (2, 5, 4), (2, 5, 4), (2, 5, 4), None, True),
    ]
    for title, qs, ks, vs, mask, causal in cases:
        with report.check(f"{title}: query {_shape(qs)}, key {_shape(ks)}, value {_shape(vs)}"):
            q, k, v = (data.tensor(data.randn(*s)) for s in (qs, ks, vs))
            m = None if mask is None else data.tensor(mask)
            out, weights = _attention_result(report.get('attention')(q, k, v, attn_mask=m, is_causal=causal))
            ref_out, ref_weights = _attention_reference(q, k, v, m, causal)
            _compare(weights, ref_weights, "the attention weight matrix", rtol=1e-4, atol=1e-6)
            _compare(out, ref_out, "the output", rtol=1e-4, atol=1e-5)
    with report.check("gradients of query, key and value match F.scaled_dot_product_attention's (bool mask)"):
        arrays = [data.randn(2, 4, 8), data.randn(2, 6, 8), data.randn(2, 6, 8)]
        mask = data.tensor(_bool_mask(data, 4, 6))
        names = ["query", "key", "value"]
        ref = [data.tensor(a, requires_grad=True) for a in arrays]
        ref_out = F.scaled_dot_product_attention(*ref, attn_mask=mask)
        upstream = data.tensor(data.randn(*ref_out.shape))
        ref_out.backward(upstream)
        mine = [data.tensor(a, requires_grad=True) for a in arrays]
        out, _ = _attention_result(report.get('attention')(*mine, attn_mask=mask))
        grads = _grads_of(out, upstream, mine, names, "the output")
        for g, r, name in zip(grads, ref, names):
            _compare(g, r.grad, f"the gradient of {name}", rtol=1e-4, atol=1e-5)
    with report.check("gradcheck of the output in float64 (is_causal=True)"):
        inputs = [data.tensor(data.randn(1, 3, 4, dtype='float64'), True) for _ in range(3)]
        attention = report.get('attention')
        _gradcheck(lambda q, k, v: _attention_result(attention(q, k, v, is_causal=True))[0], inputs,
                   ["query", "key", "value"])
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 05: layer norm as a Function
# ---------------------------------------------------------------------------------------------
def check_layer_norm(module, seed=0):
    """``LayerNormFunction`` against ``nn.LayerNorm``: values, gradients of x, weight and bias, gradcheck."""
    report = _Report(module, "layer norm, forward and backward, as a custom Function")
    data = _Data(seed)
    D = 10
    weight, bias = data.randn(D), data.randn(D)
    layer = minigrad.nn.LayerNorm(D)
    layer.load_state_dict({'weight': weight, 'bias': bias})

    def mine(x, w, b):
        return report.get('LayerNormFunction').apply(x, w, b, 1e-5)

    # near 1000 a float32 is only good to ~6e-5, hence the looser tolerance of the second case
    for title, x, atol in [
            (f"forward matches nn.LayerNorm({D}) on a (4, 6, {D}) input", data.randn(4, 6, D), 1e-4),
            ("forward stays accurate for inputs with a large mean (x + 1000, float32)",
             data.randn(3, D) + numpy.float32(1000.0), 2e-3)]:
        with report.check(title):
            out = mine(data.tensor(x), data.tensor(weight), data.tensor(bias))
            _compare(_tensor_result(out, "the output"), layer(data.tensor(x)), "the output", rtol=1e-4, atol=atol)
    with report.check("gradients of x, weight and bias match nn.LayerNorm's"):
        x = data.randn(4, 6, D)
        names = ["x", "weight", "bias"]
        inputs = [data.tensor(a, requires_grad=True) for a in (x, weight, bias)]
        upstream = data.tensor(data.randn(*x.shape))
        _check_backward_returns(report.get('LayerNormFunction'), *inputs, 1e-5)
        grads = _grads_of(mine(*inputs), upstream, inputs, names, "the output")
        layer.zero_grad()
        ref_x = data.tensor(x, requires_grad=True)
        layer(ref_x).backward(upstream)
        for g, r, name in zip(grads, (ref_x.grad, layer.weight.grad, layer.bias.grad), names):
            _compare(g, r, f"the gradient of {name}", rtol=1e-4, atol=1e-5)
    with report.check("gradcheck of x, weight and bias in float64"):
        inputs = [data.tensor(data.randn(*s, dtype='float64'), True) for s in [(2, 3, 5), (5,), (5,)]]
        _check_backward_returns(report.get('LayerNormFunction'), *inputs, 1e-5)
        _gradcheck(mine, inputs, ["x", "weight", "bias"])
    return report.finish()


# ---------------------------------------------------------------------------------------------
# finding and running the checker of an exercise file
# ---------------------------------------------------------------------------------------------
EXERCISES = {
    'custom_function': check_custom_function,
    'gradient_descent': check_gradient_descent,
    'conv_by_hand': check_conv_by_hand,
    'attention_by_hand': check_attention_by_hand,
    'layer_norm': check_layer_norm,
}


def exercise_name(path):
    """'tutorials/01_custom_function.py' -> 'custom_function'."""
    return re.sub(r'^\d+_', '', os.path.splitext(os.path.basename(path))[0])


def load_exercise(path):
    """Load an exercise file as a module (its ``if __name__ == "__main__"`` part does not run)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(f"minigrad_exercise_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(exercise):
    """Check an exercise: ``exercise`` is its module or the path of its file. Prints a report and
    returns True when every check passes."""
    if isinstance(exercise, (str, os.PathLike)):
        path = os.fspath(exercise)
        checker = _checker_for(path)
        if checker is None:
            return False
        if not os.path.isfile(path):
            print(f"no such file: {path}")
            return False
        try:
            module = load_exercise(path)
        except SyntaxError as e:
            print(f"could not load {path}: SyntaxError on line {e.lineno}: {e.msg}")
            return False
        except Exception as e:
            print(f"could not load {path}: {type(e).__name__}: {e}")
            return False
    else:
        module = exercise
        checker = _checker_for(module.__file__)
        if checker is None:
            return False
    return checker(module)


def _checker_for(path):
    checker = EXERCISES.get(exercise_name(path))
    if checker is None:
        names = ", ".join(f"{i:02d}_{n}.py" for i, n in enumerate(EXERCISES, 1))
        print(f"no checker for {os.path.basename(path)}: the exercises are {names} "
              f"(keep the exercise's file name)")
    return checker
