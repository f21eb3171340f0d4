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
computed value), with a hint when the mistake has a pattern (a constant factor, a flipped sign, all
zeros) or is a known one: each checker passes ``_compare`` what the common mistakes compute (the
scores without 1/√d_k, softmax over the wrong axis, padding on one side only, one window short, the
LSTM gates in the wrong order...) and says which one the student's result is.

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
        """One check: its body raises ``_Wrong`` for a wrong result; every exception is reported
        (NumPy's overflow warnings too are left to the report: an inf or NaN result says it)."""
        try:
            with numpy.errstate(all='ignore'):
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


def _compare(got, expected, what, rtol=1e-5, atol=1e-6, mistakes=()):
    """Raise ``_Wrong`` naming the first difference between ``got`` and ``expected``.

    ``mistakes`` are ``(result, hint)`` pairs: what a common mistake computes, and what to say
    when the student's result is that one (e.g. the scores without the 1/√d_k)."""
    if got is None:
        raise _Wrong(f"{what} is None")
    g, e = _host(got), _host(expected)
    hint = _recognise(g, mistakes, rtol, atol)
    if g.shape != e.shape:
        raise _Wrong(f"{what} has shape {_shape(g.shape)}, expected {_shape(e.shape)}{hint}")
    if g.dtype != e.dtype:
        hint = (": a NumPy float64 scalar or array widened it (use Python floats such as 0.5)"
                if g.dtype == numpy.float64 and e.dtype == numpy.float32 else "")
        raise _Wrong(f"{what} has dtype {g.dtype}, expected {e.dtype}{hint}")
    exact = e.dtype.kind in 'biu'                # masks, labels, counts: equal or wrong
    bad = (g != e) if exact else ~numpy.isclose(g, e, rtol=rtol, atol=atol)
    if bad.any():
        if exact:
            idx = tuple(int(i) for i in numpy.argwhere(bad)[0])
            raise _Wrong(f"{what} is wrong at index {idx}: expected {e[idx]}, got {g[idx]} "
                         f"({int(bad.sum())} of {bad.size} entries differ){hint}")
        idx = tuple(int(i) for i in numpy.argwhere(bad)[0])
        raise _Wrong(f"{what} is wrong at index {idx}: expected {e[idx]:.6g}, got {g[idx]:.6g} "
                     f"({int(bad.sum())} of {bad.size} entries differ){hint or _pattern(g, e)}")


def _recognise(got, mistakes, rtol, atol):
    """'; hint' for the first common mistake whose result ``got`` is, else ''."""
    for result, hint in mistakes:
        m = _host(result)
        if m.shape != got.shape:
            continue
        if (numpy.array_equal(got, m) if got.dtype.kind in 'biu'
                else numpy.allclose(got, m, rtol=rtol, atol=atol, equal_nan=True)):
            return f"; {hint}"
    return ""


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
            flipped = " (a flipped sign?)" if math.isclose(r, -1.0, rel_tol=1e-3) else ""
            return f"; yours is {r:.4g} times the expected value everywhere{flipped}"
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


def _conv_mistakes(x, w, b, stride, padding, expected):
    """What padding on one side only, and one window too few per axis, give."""
    mistakes = [(F.conv2d(F.pad(x, sides), w, b, stride=stride),
                 f"padding on one side only: add {padding} zeros on BOTH sides of each spatial axis")
                for sides in [(padding, 0, padding, 0), (0, padding, 0, padding)] if padding]
    return mistakes + [(expected[:, :, :-1, :-1], "one window short on each axis: H_out = ⌊(H + 2p − k) / s⌋ + 1 "
                                                  "(the last window starts at H + 2p − k, included)")]


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
    cases = [((2, 3, 6, 7), (4, 3, 3, 3), True, 1, 0), ((2, 2, 7, 6), (3, 2, 2, 3), False, 2, 1),
             ((1, 2, 5, 5), (2, 2, 3, 3), True, 1, 1)]
    for x_shape, w_shape, has_bias, stride, padding in cases:
        bias = "with bias" if has_bias else "no bias"
        with report.check(f"conv2d matches F.conv2d: input {_shape(x_shape)}, weight {_shape(w_shape)}, "
                          f"{bias}, stride={stride}, padding={padding}"):
            x, w = data.randn(*x_shape), data.randn(*w_shape, scale=0.5)
            b = data.tensor(data.randn(w_shape[0])) if has_bias else None
            out = _conv_call(report, data.tensor(x), data.tensor(w), b, stride, padding)
            expected = F.conv2d(data.tensor(x), data.tensor(w), b, stride=stride, padding=padding)
            _compare(_tensor_result(out, "the output"), expected, "the output", rtol=1e-4, atol=1e-5,
                     mistakes=_conv_mistakes(data.tensor(x), data.tensor(w), b, stride, padding, expected))
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
def _attention_reference(q, k, v, attn_mask, is_causal, scale=None):
    """minigrad's output and weights; the weights are attention applied to the identity matrix
    as values (row i of softmax(...) · I is row i of softmax(...))."""
    S = k.shape[-2]
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal, scale=scale)
    eye = minigrad.eye(S, dtype=q.dtype, device=q.device)
    weights = F.scaled_dot_product_attention(q, k, eye, attn_mask=attn_mask, is_causal=is_causal, scale=scale)
    return out, weights


def _attention_result(result):
    if not isinstance(result, tuple) or len(result) != 2:
        raise _Wrong(f"attention should return a pair (output, weights), got {type(result).__name__}")
    return (_tensor_result(result[0], "the output"), _tensor_result(result[1], "the attention weight matrix"))


def _attention_mistakes(q, k, attn_mask, is_causal):
    """The weights that two common mistakes give: no 1/√d_k, and softmax over the queries' axis."""
    unscaled = _attention_reference(q, k, k, attn_mask, is_causal, scale=1.0)[1]
    scores = _host(q) @ numpy.swapaxes(_host(k), -1, -2) / math.sqrt(q.shape[-1])
    if attn_mask is not None:
        m = _host(attn_mask)
        scores = numpy.where(m, scores, -numpy.inf) if m.dtype == bool else scores + m
    if is_causal:
        L, S = scores.shape[-2:]
        scores = numpy.where(numpy.tril(numpy.ones((L, S), dtype=bool)), scores, -numpy.inf)
    with numpy.errstate(all='ignore'):
        wrong_axis = _np_softmax(scores, axis=-2).astype('float32')
    return [(unscaled, "the scores are not divided by √d_k: S = Q Kᵀ / √d_k"),
            (wrong_axis, "softmax over the wrong axis: each query's weights over the KEYS (the last axis, "
                         "dim=-1) sum to 1")]


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
            _compare(weights, ref_weights, "the attention weight matrix", rtol=1e-4, atol=1e-6,
                     mistakes=_attention_mistakes(q, k, m, causal))
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
# hints shared by several checkers
# ---------------------------------------------------------------------------------------------
def _np_softmax(x, axis=-1):
    e = numpy.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _result(got, what, kind=minigrad.Tensor):
    """``got`` if it is a ``kind`` (a Tensor, an ndarray...), else a _Wrong naming what it is."""
    if not isinstance(got, kind):
        raise _Wrong(f"{what} should be a {kind.__name__}, got {type(got).__name__}")
    return got


# ---------------------------------------------------------------------------------------------
# 06: the forward pass of a neuron and of a two-layer network
# ---------------------------------------------------------------------------------------------
def check_forward_pass(module, seed=0):
    """``neuron`` and ``forward`` against NumPy and ``nn.Sequential(Linear, Sigmoid, Linear)``."""
    report = _Report(module, "forward propagation: one neuron, then a two-layer network")
    data = _Data(seed)
    sig = lambda z: 1 / (1 + numpy.exp(-z))                      # noqa: E731
    with report.check("neuron: z = w . x + b and a = sigmoid(z) for one example"):
        x, w, b = data.randn(5), data.randn(5), data.randn(1)[0]
        result = report.get('neuron')(data.tensor(x), data.tensor(w), minigrad.tensor(b))
        if not isinstance(result, tuple) or len(result) != 2:
            raise _Wrong(f"neuron should return the pair (z, a), got {type(result).__name__}")
        z = numpy.float32(x @ w + b)
        _compare(_tensor_result(result[0], "z"), numpy.asarray(z), "z",
                 mistakes=[(numpy.asarray(x @ w, dtype='float32'), "the bias b is missing")])
        _compare(_tensor_result(result[1], "a"), numpy.asarray(sig(z)), "a",
                 mistakes=[(numpy.asarray(z), "a is z: apply the sigmoid"),
                           (numpy.asarray(numpy.tanh(z)), "that is tanh(z), not sigmoid(z)")])
    layers = minigrad.nn.Sequential(minigrad.nn.Linear(4, 6), minigrad.nn.Sigmoid(), minigrad.nn.Linear(6, 3))
    params = [data.randn(6, 4), data.randn(6), data.randn(3, 6), data.randn(3)]
    layers.load_state_dict(dict(zip(['0.weight', '0.bias', '2.weight', '2.bias'], params)))
    x = data.randn(7, 4)
    W1, b1, W2, b2 = params
    mistakes = [((x @ W1.T + b1) @ W2.T + b2, "no activation between the layers: apply sigmoid to the hidden layer"),
                (sig(sig(x @ W1.T + b1) @ W2.T + b2), "the output layer has no activation here, only the hidden one"),
                (sig(x @ W1.T) @ W2.T, "the biases b1 and b2 are missing"),
                (sig(x @ W1.T + b1) @ W2.T, "the bias b2 of the output layer is missing")]
    with report.check("forward: a batch of 7 through Linear(4, 6) -> sigmoid -> Linear(6, 3)"):
        out = report.get('forward')(data.tensor(x), *(data.tensor(p) for p in params))
        _compare(_tensor_result(out, "the output"), layers(data.tensor(x)), "the output", rtol=1e-4, atol=1e-5,
                 mistakes=[(m.astype('float32'), hint) for m, hint in mistakes])
    with report.check("forward is built from Tensor operations: gradients reach W1, b1, W2 and b2"):
        mine = [data.tensor(p, requires_grad=True) for p in params]
        upstream = data.tensor(data.randn(7, 3))
        grads = _grads_of(report.get('forward')(data.tensor(x), *mine), upstream, mine,
                          ["W1", "b1", "W2", "b2"], "the output")
        layers.zero_grad()
        layers(data.tensor(x)).backward(upstream)
        for g, (name, ref) in zip(grads, [("W1", layers[0].weight), ("b1", layers[0].bias),
                                          ("W2", layers[2].weight), ("b2", layers[2].bias)]):
            _compare(g, ref.grad, f"the gradient of {name}", rtol=1e-4, atol=1e-5)
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 07: softmax and log-softmax that do not overflow
# ---------------------------------------------------------------------------------------------
def check_softmax(module, seed=0):
    """``softmax`` and ``log_softmax`` against ``F.softmax`` / ``F.log_softmax``: values, axes,
    huge logits, gradients."""
    report = _Report(module, "softmax and log-softmax, along any axis, without overflow")
    data = _Data(seed)
    for name, ref_fn in [('softmax', F.softmax), ('log_softmax', F.log_softmax)]:
        cases = [("a (3, 5) input, dim=-1", data.randn(3, 5, scale=2.0), -1),
                 ("a (4, 3, 5) input, dim=1", data.randn(4, 3, 5, scale=2.0), 1),
                 ("logits near 1000 (float32), dim=-1", data.randn(2, 6) + numpy.float32(1000.0), -1)]
        for title, x, dim in cases:
            with report.check(f"{name} of {title}"):
                got = _tensor_result(report.get(name)(data.tensor(x), dim), "the output")
                other = 0 if dim != 0 else 1
                wrong_axis = _np_softmax(x.astype('float64'), axis=other)
                mistakes = [((wrong_axis if name == 'softmax' else numpy.log(wrong_axis)).astype('float32'),
                             f"softmax over the wrong axis: normalise along dim={dim}")]
                g = _host(got)
                if numpy.isnan(g).any() or numpy.isinf(g).any():
                    raise _Wrong("the output has NaN or infinite entries: exp overflowed. Subtract each "
                                 "slice's maximum before exp (it cancels out) — the log-sum-exp trick")
                _compare(got, ref_fn(data.tensor(x), dim=dim), "the output", rtol=1e-4, atol=1e-5,
                         mistakes=mistakes)
        with report.check(f"{name}: gradient of a (3, 5) input, dim=-1, matches F.{name}'s"):
            x, upstream = data.randn(3, 5), data.tensor(data.randn(3, 5))
            mine = data.tensor(x, requires_grad=True)
            g, = _grads_of(report.get(name)(mine, -1), upstream, [mine], ["x"], "the output")
            ref = data.tensor(x, requires_grad=True)
            ref_fn(ref, dim=-1).backward(upstream)
            _compare(g, ref.grad, "the gradient of x", rtol=1e-4, atol=1e-5)
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 08: tanh backward, and the chain rule through one neuron by hand
# ---------------------------------------------------------------------------------------------
class _TanhFromStudent(minigrad.autograd.Function):
    """The student's ``tanh_forward`` / ``tanh_backward`` as a Function, for gradcheck."""
    student = None

    @staticmethod
    def forward(ctx, x):
        y = numpy.asarray(_TanhFromStudent.student.tanh_forward(x.data.copy()))
        ctx.y = y
        return y

    @staticmethod
    def backward(ctx, grad):
        return minigrad.tensor(numpy.asarray(_TanhFromStudent.student.tanh_backward(ctx.y, grad.data)))


def check_tanh_backward(module, seed=0):
    """``tanh_forward``, ``tanh_backward`` against NumPy and ``gradcheck``; ``neuron_gradients``
    against autograd."""
    report = _Report(module, "tanh forward and backward, and the chain rule through one neuron")
    data = _Data(seed)
    x = data.randn(4, 5, dtype='float64', scale=1.5)
    with report.check("tanh_forward matches numpy.tanh on a (4, 5) array, including x = ±40"):
        x_far = numpy.concatenate([x.ravel(), [40.0, -40.0]])
        y = _result(report.get('tanh_forward')(x_far.copy()), "tanh_forward's result", numpy.ndarray)
        _compare(y, numpy.tanh(x_far), "tanh(x)", rtol=1e-10, atol=1e-12)
    with report.check("tanh_backward: dL/dx from y = tanh(x) and dL/dy"):
        y, grad = numpy.tanh(x), data.randn(4, 5, dtype='float64')
        got = _result(report.get('tanh_backward')(y.copy(), grad.copy()), "tanh_backward's result", numpy.ndarray)
        _compare(got, grad * (1 - y ** 2), "dL/dx", rtol=1e-10, atol=1e-12,
                 mistakes=[(grad * (1 - y), "that is grad · (1 − y): the derivative of tanh is 1 − y², squared"),
                           (grad * (1 - x ** 2), "that uses x: the derivative is 1 − y² with y = tanh(x), "
                                                 "the output"),
                           (1 - y ** 2, "the upstream gradient dL/dy is missing: multiply by it (chain rule)")])
    with report.check("gradcheck: tanh_forward and tanh_backward as one Function (float64)"):
        _TanhFromStudent.student = report.module
        _gradcheck(_TanhFromStudent.apply, (data.tensor(data.randn(3, 4, dtype='float64'), True),), ["x"])
    with report.check("neuron_gradients: dL/dw and dL/db of L = (tanh(w . x + b) - t)^2 by hand"):
        xs, ws, b, t = data.randn(3, dtype='float64'), data.randn(3, dtype='float64'), 0.3, 0.5
        result = report.get('neuron_gradients')(xs.copy(), ws.copy(), b, t)
        if not isinstance(result, tuple) or len(result) != 2:
            raise _Wrong(f"neuron_gradients should return the pair (dL/dw, dL/db), got {type(result).__name__}")
        w = minigrad.tensor(ws, requires_grad=True)
        bt = minigrad.tensor(b, dtype=minigrad.float64, requires_grad=True)
        ((((w * minigrad.tensor(xs)).sum() + bt).tanh() - t) ** 2).backward()
        y = numpy.tanh(xs @ ws + b)
        _compare(numpy.asarray(result[0], dtype='float64'), w.grad, "dL/dw", rtol=1e-8, atol=1e-10,
                 mistakes=[(2 * (y - t) * xs, "the tanh factor (1 − y²) of the chain is missing")])
        _compare(numpy.asarray(result[1], dtype='float64'), bt.grad, "dL/db", rtol=1e-8, atol=1e-10)
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 09: cross-entropy and its gradient
# ---------------------------------------------------------------------------------------------
def check_cross_entropy(module, seed=0):
    """``cross_entropy`` and ``cross_entropy_grad`` (NumPy) against ``F.cross_entropy`` and autograd."""
    report = _Report(module, "cross-entropy loss and its gradient with respect to the logits")
    data = _Data(seed)
    N, K = 6, 4
    logits = data.randn(N, K, dtype='float64', scale=2.0)
    target = data.rng.integers(0, K, N)
    onehot = numpy.eye(K)[target]
    ref = minigrad.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(ref, minigrad.tensor(target))
    loss.backward()
    with report.check(f"cross_entropy of ({N}, {K}) logits matches F.cross_entropy (mean over the batch)"):
        got = report.get('cross_entropy')(logits.copy(), target.copy())
        wrong_axis = -numpy.log(_np_softmax(logits, axis=0)[numpy.arange(N), target]).mean()
        _compare(numpy.asarray(got, dtype='float64'), loss, "the loss", rtol=1e-6,
                 mistakes=[(numpy.asarray(wrong_axis), "softmax over the wrong axis: each ROW (one example) "
                                                       "sums to 1, so normalise along axis=1"),
                           (numpy.asarray(loss.item() * N), "that is the sum over the batch: take the mean"),
                           (numpy.asarray(-loss.item()), "a flipped sign: the loss is MINUS the log-probability")])
    with report.check("cross_entropy of logits near 1000 does not overflow"):
        big = logits + 1000.0
        got = numpy.asarray(report.get('cross_entropy')(big.copy(), target.copy()), dtype='float64')
        if not numpy.isfinite(got).all():
            raise _Wrong("the loss is NaN or infinite: exp(1000) overflows. Subtract each row's maximum "
                         "before exp: log p_y = s_y − max − log Σ exp(s_j − max)")
        _compare(got, loss, "the loss", rtol=1e-6)
    with report.check("cross_entropy_grad: dL/dlogits = (softmax − one-hot) / N"):
        got = _result(report.get('cross_entropy_grad')(logits.copy(), target.copy()),
                      "cross_entropy_grad's result", numpy.ndarray)
        p = _np_softmax(logits)
        _compare(got, ref.grad, "dL/dlogits", rtol=1e-6, atol=1e-9,
                 mistakes=[((_np_softmax(logits, axis=0) - onehot) / N, "softmax over the wrong axis: "
                                                                       "normalise each row (axis=1)"),
                           (p - onehot, "not divided by N: the loss is a mean over the batch"),
                           ((onehot - p) / N, "a flipped sign: it is p − t, prediction minus truth")])
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 10: confusion matrix, precision, recall, F1
# ---------------------------------------------------------------------------------------------
def _confusion(y_true, y_pred, k):
    c = numpy.zeros((k, k), dtype=numpy.int64)
    numpy.add.at(c, (y_true, y_pred), 1)
    return c


def _prf(c):
    tp = numpy.diag(c).astype('float64')
    with numpy.errstate(all='ignore'):
        p = numpy.where(c.sum(0) > 0, tp / c.sum(0), 0.0)
        r = numpy.where(c.sum(1) > 0, tp / c.sum(1), 0.0)
        f = numpy.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    return p, r, f


def check_metrics(module, seed=0):
    """``confusion_matrix`` and ``precision_recall_f1`` against hand-computed references."""
    report = _Report(module, "confusion matrix, precision, recall and F1 per class")
    data = _Data(seed)
    K = 4
    y_true = data.rng.integers(0, K, 40)
    y_pred = numpy.where(data.rng.random(40) < 0.6, y_true, data.rng.integers(0, K, 40))
    c = _confusion(y_true, y_pred, K)
    with report.check(f"confusion_matrix of 40 labels, {K} classes (rows: true class, columns: predicted)"):
        got = _result(report.get('confusion_matrix')(y_true.copy(), y_pred.copy(), K), "the result", numpy.ndarray)
        _compare(got.astype(numpy.int64), c, "the confusion matrix",
                 mistakes=[(c.T, "transposed: rows are the TRUE class, columns the PREDICTED class")])
    for title, matrix in [("a 4-class confusion matrix", c),
                          ("a matrix where class 2 is never predicted (precision 0/0 -> 0)",
                           numpy.array([[5, 1, 0], [2, 4, 0], [1, 3, 0]]))]:
        with report.check(f"precision_recall_f1 of {title}"):
            result = report.get('precision_recall_f1')(matrix.copy())
            if not isinstance(result, tuple) or len(result) != 3:
                raise _Wrong(f"precision_recall_f1 should return (precision, recall, f1), got {type(result).__name__}")
            p, r, f = _prf(matrix)
            got = [numpy.asarray(v, dtype='float64') for v in result]
            for name, g in zip(["precision", "recall", "F1"], got):
                if numpy.isnan(g).any():
                    raise _Wrong(f"{name} has NaN entries: a class that is never predicted (or never present) "
                                 f"gives 0/0; define that precision (recall) as 0")
            _compare(got[0], p, "precision", mistakes=[(r, "that is the recall: precision divides by the "
                                                           "column sum (everything PREDICTED as the class)")])
            _compare(got[1], r, "recall", mistakes=[(p, "that is the precision: recall divides by the row "
                                                        "sum (everything that TRULY is the class)")])
            _compare(got[2], f, "F1", mistakes=[((p + r) / 2, "that is the arithmetic mean: F1 is the harmonic "
                                                               "mean, 2pr / (p + r)")])
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 11: a training loop, and evaluation
# ---------------------------------------------------------------------------------------------
def _loop_setup(seed):
    """A small classifier, its data loader (no shuffling: every run sees the same batches) and Adam."""
    rng = numpy.random.default_rng(seed)
    x = rng.standard_normal((96, 5)).astype('float32')
    y = (x[:, 0] + x[:, 1] > 0).astype('int64') + (x[:, 2] > 1).astype('int64')
    minigrad.manual_seed(seed)
    model = minigrad.nn.Sequential(minigrad.nn.Linear(5, 16), minigrad.nn.ReLU(), minigrad.nn.Linear(16, 3))
    data = minigrad.utils.data.TensorDataset(minigrad.tensor(x), minigrad.tensor(y))
    loader = minigrad.utils.data.DataLoader(data, batch_size=16, shuffle=False)
    return model, loader, minigrad.optim.Adam(model.parameters(), lr=0.01), x, y


def _reference_train(model, loader, optimizer, epochs, zero_grad=True):
    losses = []
    for _ in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            if zero_grad:
                optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def check_training_loop(module, seed=0):
    """``train`` against the reference loop (same model, data and optimizer), ``evaluate`` against
    the accuracy computed here."""
    report = _Report(module, "a training loop: forward, loss, zero_grad, backward, step")
    with report.check("train: 3 epochs of 6 batches give the reference losses and weights"):
        model, loader, optimizer, _, _ = _loop_setup(seed)
        ref_losses = _reference_train(model, loader, optimizer, 3)
        ref_state = {k: v.clone() for k, v in model.state_dict().items()}
        bad, loader, bad_opt, _, _ = _loop_setup(seed)
        _reference_train(bad, loader, bad_opt, 3, zero_grad=False)
        mine, loader, optimizer, _, _ = _loop_setup(seed)
        losses = report.get('train')(mine, loader, optimizer, 3)
        if not isinstance(losses, (list, tuple)) or len(losses) != len(ref_losses):
            got = len(losses) if isinstance(losses, (list, tuple)) else type(losses).__name__
            raise _Wrong(f"train should return a list of {len(ref_losses)} losses (one per batch, as floats), "
                         f"got {got}")
        if isinstance(losses[0], minigrad.Tensor):
            raise _Wrong("the losses are Tensors: append loss.item() (a float), or every graph stays in memory")
        for name, value in mine.state_dict().items():
            _compare(value, ref_state[name], f"parameter {name} after training", rtol=1e-4, atol=1e-5,
                     mistakes=[(bad.state_dict()[name], "the gradients accumulate from batch to batch: call "
                                                        "optimizer.zero_grad() before loss.backward()")])
        _compare(numpy.asarray(losses, dtype='float64'), numpy.asarray(ref_losses), "the list of losses", rtol=1e-4)
    with report.check("evaluate: the accuracy (a float between 0 and 1) of a model on 96 examples"):
        model, _, _, x, y = _loop_setup(seed)
        with minigrad.no_grad():
            expected = float((model(minigrad.tensor(x)).argmax(dim=1).numpy() == y).mean())
        got = report.get('evaluate')(model, minigrad.tensor(x), minigrad.tensor(y))
        if isinstance(got, minigrad.Tensor):
            got = got.item()
        if math.isclose(got, 100 * expected, rel_tol=1e-5):
            raise _Wrong(f"got {got}: a percentage; return the fraction {expected:.4f}")
        if math.isclose(got, expected * len(y), rel_tol=1e-5):
            raise _Wrong(f"got {got}: the number of right answers; divide by the number of examples")
        _compare(numpy.asarray(got, dtype='float64'), numpy.asarray(expected), "the accuracy")
        if not model.training:
            raise _Wrong("evaluate left the model in eval mode: call model.train() before returning")
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 12: max and average pooling
# ---------------------------------------------------------------------------------------------
def check_pooling(module, seed=0):
    """``max_pool2d`` and ``avg_pool2d`` against ``F.max_pool2d`` / ``F.avg_pool2d``: values and gradients."""
    report = _Report(module, "max and average pooling from strided slices")
    data = _Data(seed)
    for name, ref_fn in [('max_pool2d', F.max_pool2d), ('avg_pool2d', F.avg_pool2d)]:
        other = F.avg_pool2d if name == 'max_pool2d' else F.max_pool2d
        for shape, k, s in [((2, 3, 6, 6), 2, 2), ((1, 2, 7, 9), 3, 2)]:
            with report.check(f"{name} of a {_shape(shape)} input, {k}x{k} windows, stride {s}"):
                x = data.tensor(data.randn(*shape))
                ref = ref_fn(x, k, s)
                short = ref[:, :, :-1, :-1]
                got = _tensor_result(report.get(name)(x, k, s), "the output")
                _compare(got, ref, "the output", rtol=1e-5, atol=1e-6,
                         mistakes=[(short, "one window short on each axis: the output size is "
                                           "⌊(H − k) / s⌋ + 1 (the last window starts at H − k, included)"),
                                   (other(x, k, s), f"that is {other.__name__}: swap max and mean")])
        with report.check(f"{name}: gradient of a (2, 2, 7, 9) input (3x3 windows, stride 2) matches F.{name}'s"):
            x = data.randn(2, 2, 7, 9)
            ref = data.tensor(x, requires_grad=True)
            out = ref_fn(ref, 3, 2)
            upstream = data.tensor(data.randn(*out.shape))
            out.backward(upstream)
            mine = data.tensor(x, requires_grad=True)
            g, = _grads_of(report.get(name)(mine, 3, 2), upstream, [mine], ["x"], "the output")
            _compare(g, ref.grad, "the gradient of x", rtol=1e-5, atol=1e-6)
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 13: one step of an RNN and of an LSTM
# ---------------------------------------------------------------------------------------------
def check_lstm_step(module, seed=0):
    """``rnn_step`` against ``nn.RNNCell``, ``lstm_step`` against ``nn.LSTMCell``: values and gradients."""
    report = _Report(module, "one step of an RNN cell and of an LSTM cell")
    data = _Data(seed)
    B, I, H = 3, 4, 5
    minigrad.manual_seed(seed)
    rnn, lstm = minigrad.nn.RNNCell(I, H), minigrad.nn.LSTMCell(I, H)
    x, h, c = (data.tensor(data.randn(B, n)) for n in (I, H, H))
    with report.check(f"rnn_step matches nn.RNNCell({I}, {H}) on a batch of {B}"):
        params = [rnn.weight_ih, rnn.weight_hh, rnn.bias_ih, rnn.bias_hh]
        got = report.get('rnn_step')(x, h, *params)
        with minigrad.no_grad():
            pre = x @ rnn.weight_ih.T + rnn.bias_ih + h @ rnn.weight_hh.T + rnn.bias_hh
        _compare(_tensor_result(got, "h_new"), rnn(x, h), "h_new", rtol=1e-5, atol=1e-6,
                 mistakes=[(pre, "the tanh is missing: h_new = tanh(W x + b_ih + U h + b_hh)"),
                           (pre.sigmoid(), "that is a sigmoid: the RNN uses tanh")])
    params = [lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh]
    with minigrad.no_grad():
        pre = x @ lstm.weight_ih.T + lstm.bias_ih + h @ lstm.weight_hh.T + lstm.bias_hh
        i, f, g, o = pre.chunk(4, dim=1)
        swapped_c = f.sigmoid() * c + i.sigmoid() * o.tanh()             # gates read as i, f, o, g
        swapped_h = g.sigmoid() * swapped_c.tanh()
    with report.check(f"lstm_step matches nn.LSTMCell({I}, {H}): the new (h, c)"):
        result = report.get('lstm_step')(x, (h, c), *params)
        if not isinstance(result, tuple) or len(result) != 2:
            raise _Wrong(f"lstm_step should return the pair (h_new, c_new), got {type(result).__name__}")
        ref_h, ref_c = lstm(x, (h, c))
        order = "the gates were read in the order i, f, o, g: PyTorch stacks them as i, f, g, o"
        _compare(_tensor_result(result[1], "c_new"), ref_c, "c_new", rtol=1e-5, atol=1e-6,
                 mistakes=[(swapped_c, order)])
        _compare(_tensor_result(result[0], "h_new"), ref_h, "h_new", rtol=1e-5, atol=1e-6,
                 mistakes=[(swapped_h, order), (ref_c.tanh(), "the output gate o is missing: h = o · tanh(c)")])
    with report.check("lstm_step is built from Tensor operations: gradients of x, h and c match nn.LSTMCell's"):
        arrays = [data.randn(B, I), data.randn(B, H), data.randn(B, H)]
        mine = [data.tensor(a, requires_grad=True) for a in arrays]
        ref = [data.tensor(a, requires_grad=True) for a in arrays]
        up_h, up_c = data.tensor(data.randn(B, H)), data.tensor(data.randn(B, H))
        rh, rc = lstm(ref[0], (ref[1], ref[2]))
        (rh * up_h + rc * up_c).sum().backward()
        result = report.get('lstm_step')(mine[0], (mine[1], mine[2]), *params)
        total = (_tensor_result(result[0], "h_new") * up_h + _tensor_result(result[1], "c_new") * up_c).sum()
        grads = _grads_of(total, minigrad.tensor(1.0), mine, ["x", "h", "c"], "h_new and c_new")
        for gm, r, name in zip(grads, ref, ["x", "h", "c"]):
            _compare(gm, r.grad, f"the gradient of {name}", rtol=1e-4, atol=1e-5)
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 14: a padded batch of sequences, and the last real step of each
# ---------------------------------------------------------------------------------------------
def check_padded_sequences(module, seed=0):
    """``pad_batch`` against a hand-made batch, ``last_states`` against indexing by hand."""
    report = _Report(module, "padding sequences of different lengths, and reading each one's last real step")
    data = _Data(seed)
    sequences = [[5, 3, 8], [7], [2, 9, 4, 6, 1], [3, 3]]
    lengths = [len(s) for s in sequences]
    with report.check("pad_batch of 4 sequences of lengths 3, 1, 5, 2 (pad id 0, padding at the end)"):
        result = report.get('pad_batch')([list(s) for s in sequences])
        if not isinstance(result, tuple) or len(result) != 2:
            raise _Wrong(f"pad_batch should return the pair (batch, lengths), got {type(result).__name__}")
        expected = numpy.zeros((4, 5), dtype=numpy.int64)
        left = numpy.zeros((4, 5), dtype=numpy.int64)
        for n, s in enumerate(sequences):
            expected[n, :len(s)] = s
            left[n, 5 - len(s):] = s
        batch = _tensor_result(result[0], "the batch")
        if batch.dtype != minigrad.int64:
            raise _Wrong(f"the batch has dtype {batch.dtype}: word ids are minigrad.int64 (what nn.Embedding reads)")
        _compare(batch, expected, "the batch", mistakes=[(left, "the padding is at the start: put it at the end")])
        _compare(_tensor_result(result[1], "the lengths"), numpy.asarray(lengths, dtype=numpy.int64), "the lengths")
    with report.check("last_states picks output[n, length_n - 1] of a (4, 5, 3) output"):
        output = data.randn(4, 5, 3)
        got = report.get('last_states')(data.tensor(output), minigrad.tensor(lengths))
        idx = numpy.asarray(lengths) - 1
        _compare(_tensor_result(got, "the result"), output[numpy.arange(4), idx], "the result",
                 mistakes=[(output[:, -1], "that is the last PADDED step for every sequence: use each "
                                           "sequence's own length"),
                           (output[numpy.arange(4), numpy.minimum(idx + 1, 4)],
                            "off by one: the last real step of a sequence of length n is n − 1")])
    with report.check("last_states keeps the graph: the gradient reaches only the picked steps"):
        output = data.tensor(data.randn(4, 5, 3), requires_grad=True)
        upstream = data.tensor(data.randn(4, 3))
        g, = _grads_of(report.get('last_states')(output, minigrad.tensor(lengths)), upstream, [output],
                       ["output"], "the result")
        expected = numpy.zeros((4, 5, 3), dtype='float32')
        expected[numpy.arange(4), numpy.asarray(lengths) - 1] = _host(upstream)
        _compare(g, expected, "the gradient of output")
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 15: causal and padding masks
# ---------------------------------------------------------------------------------------------
def check_masks(module, seed=0):
    """``causal_mask`` and ``padding_mask`` against hand-made bool masks; used in attention."""
    report = _Report(module, "attention masks: causal (no peeking ahead) and padding")
    data = _Data(seed)
    L = 5
    causal = numpy.tril(numpy.ones((L, L), dtype=bool))
    with report.check(f"causal_mask({L}): True where query i may attend to key j (j <= i)"):
        got = _tensor_result(report.get('causal_mask')(L), "the mask")
        if got.dtype != minigrad.bool:
            raise _Wrong(f"the mask has dtype {got.dtype}: make it a bool tensor (a comparison gives one)")
        _compare(got, causal, "the mask",
                 mistakes=[(~causal, "inverted: True must mean MAY attend (as in F.scaled_dot_product_attention)"),
                           (numpy.tril(causal, -1), "the diagonal is False: a position may attend to itself"),
                           (causal.T, "transposed: row i (a query) may see the columns j <= i (keys)")])
    lengths = [4, 2, 1]
    expected = (numpy.arange(L)[None, :] < numpy.asarray(lengths)[:, None])[:, None, :]
    with report.check(f"padding_mask(lengths=[4, 2, 1], {L}): shape (3, 1, {L}), True on real keys"):
        got = _tensor_result(report.get('padding_mask')(minigrad.tensor(lengths), L), "the mask")
        if got.dtype != minigrad.bool:
            raise _Wrong(f"the mask has dtype {got.dtype}: make it a bool tensor (a comparison gives one)")
        _compare(got, expected, "the mask",
                 mistakes=[(~expected, "inverted: True must mean a real key (may attend), False padding"),
                           (expected[:, 0], "missing the query axis: unsqueeze(1) so it broadcasts to (N, L, S)"),
                           ((numpy.arange(L)[None, :] <= numpy.asarray(lengths)[:, None])[:, None, :],
                            "off by one: a sequence of length n has real keys 0 .. n − 1")])
    with report.check("both masks together in F.scaled_dot_product_attention give zero weight where forbidden"):
        q, k = data.tensor(data.randn(3, L, 4)), data.tensor(data.randn(3, L, 4))
        mask = report.get('causal_mask')(L) & report.get('padding_mask')(minigrad.tensor(lengths), L)
        eye = minigrad.eye(L)
        weights = F.scaled_dot_product_attention(q, k, eye, attn_mask=mask)
        allowed = causal[None] & expected
        if numpy.abs(_host(weights)[~numpy.broadcast_to(allowed, (3, L, L))]).max() > 0:
            raise _Wrong("some forbidden (future or padding) key got a weight")
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 16: the sinusoidal positional-encoding table
# ---------------------------------------------------------------------------------------------
def _pe(max_len, d, swap=False, exponent_i=False):
    pos = numpy.arange(max_len)[:, None]
    i = numpy.arange(0, d, 2)
    angle = pos / 10000 ** ((i / 2 if exponent_i else i) / d)
    table = numpy.zeros((max_len, d))
    sin, cos = numpy.sin(angle), numpy.cos(angle)
    table[:, 0::2], table[:, 1::2] = (cos, sin) if swap else (sin, cos)
    return table.astype('float32')


def check_positional_encoding(module, seed=0):
    """``positional_encoding`` against ``nn.PositionalEncoding``'s table; ``add_positions`` against its forward."""
    report = _Report(module, "the sinusoidal positional-encoding table")
    data = _Data(seed)
    for max_len, d in [(50, 16), (20, 6)]:
        with report.check(f"positional_encoding({max_len}, {d}) matches nn.PositionalEncoding({d}).pe"):
            got = _tensor_result(report.get('positional_encoding')(max_len, d), "the table")
            _compare(got, minigrad.nn.PositionalEncoding(d, max_len=max_len).pe, "the table", rtol=1e-4, atol=1e-5,
                     mistakes=[(_pe(max_len, d, swap=True), "sin and cos swapped: even columns 2i are sin, odd cos"),
                               (_pe(max_len, d, exponent_i=True), "the exponent is 2i/d_model, where 2i is the even "
                                                                  "column index (0, 2, 4...), not i/d_model")])
    with report.check("add_positions adds the first L rows of the table to a (2, L, d) batch"):
        x = data.randn(2, 7, 16)
        table = _pe(50, 16)
        got = report.get('add_positions')(data.tensor(x), minigrad.tensor(table))
        _compare(_tensor_result(got, "the result"), minigrad.nn.PositionalEncoding(16, max_len=50)(data.tensor(x)),
                 "the result", rtol=1e-5, atol=1e-5)
    return report.finish()


# ---------------------------------------------------------------------------------------------
# 17: multi-head attention by splitting and merging heads
# ---------------------------------------------------------------------------------------------
def check_multi_head(module, seed=0):
    """``split_heads``, ``merge_heads`` against reshapes done here; ``multi_head_attention`` against
    ``nn.MultiheadAttention``."""
    report = _Report(module, "multi-head attention: split the heads, attend, merge them")
    data = _Data(seed)
    N, L, E, h = 2, 5, 12, 3
    x = data.randn(N, L, E)
    heads = x.reshape(N, L, h, E // h).transpose(0, 2, 1, 3)
    with report.check(f"split_heads of a ({N}, {L}, {E}) tensor into {h} heads: ({N}, {h}, {L}, {E // h})"):
        got = _tensor_result(report.get('split_heads')(data.tensor(x), h), "the result")
        _compare(got, heads, "the result",
                 mistakes=[(x.reshape(N, h, L, E // h), "reshaped straight to (N, h, L, E/h): that mixes positions "
                                                        "into heads. Reshape to (N, L, h, E/h), then transpose(1, 2)")])
    with report.check(f"merge_heads of a ({N}, {h}, {L}, {E // h}) tensor back to ({N}, {L}, {E})"):
        got = _tensor_result(report.get('merge_heads')(data.tensor(heads.copy())), "the result")
        _compare(got, x, "the result",
                 mistakes=[(heads.reshape(N, L, E), "reshaped without moving the head axis back: "
                                                    "transpose(1, 2) first, then reshape to (N, L, E)")])
    minigrad.manual_seed(seed)
    mha = minigrad.nn.MultiheadAttention(E, h, batch_first=True)
    with report.check(f"multi_head_attention matches nn.MultiheadAttention({E}, {h}) (self-attention)"):
        xt = data.tensor(x)
        with minigrad.no_grad():
            ref, _ = mha(xt, xt, xt)
            q, k, v = F.linear(xt, mha.in_proj_weight, mha.in_proj_bias).chunk(3, dim=-1)
            unscaled = F.scaled_dot_product_attention(*(t.reshape(N, L, h, E // h).transpose(1, 2) for t in (q, k, v)),
                                                      scale=1.0)
            unscaled = mha.out_proj(unscaled.transpose(1, 2).reshape(N, L, E))
            one_head = mha.out_proj(F.scaled_dot_product_attention(q, k, v))
            got = report.get('multi_head_attention')(xt, mha)
        _compare(_tensor_result(got, "the output"), ref, "the output", rtol=1e-4, atol=1e-5,
                 mistakes=[(unscaled, "the scores are not divided by √d_k (d_k = E / h per head)"),
                           (one_head, "that is ONE head of size E: split q, k, v into h heads first")])
    return report.finish()


# ---------------------------------------------------------------------------------------------
# chapters 9-15
# ---------------------------------------------------------------------------------------------
def check_encoder_layer(module, seed=0):
    """``add_and_norm`` and ``encoder_layer`` (post-norm) against ``nn.TransformerEncoderLayer``."""
    report = _Report(module, "the encoder layer: add & norm, attention, feed-forward")
    data = _Data(seed)
    N, L, E, h = 2, 5, 8, 2
    minigrad.manual_seed(seed)
    layer = minigrad.nn.TransformerEncoderLayer(E, h, dim_feedforward=16, dropout=0.0, batch_first=True).eval()
    x, s = data.tensor(data.randn(N, L, E)), data.tensor(data.randn(N, L, E))
    with report.check(f"add_and_norm(x, sublayer_out, norm) of ({N}, {L}, {E}) tensors"):
        with minigrad.no_grad():
            expected = layer.norm1(x + s)
            mistakes = [(layer.norm1(s), "the residual is missing: add x before normalising"),
                        (x + layer.norm1(s), "normalise the sum x + sublayer_out, not the sub-layer's output alone")]
            got = _tensor_result(report.get('add_and_norm')(x, s, layer.norm1), "the result")
        _compare(got, expected, "the result", rtol=1e-4, atol=1e-5, mistakes=mistakes)
    with report.check(f"encoder_layer matches nn.TransformerEncoderLayer({E}, {h}) (post-norm, dropout off)"):
        with minigrad.no_grad():
            ref = layer(x)
            attn = lambda t: layer.self_attn(t, t, t)[0]
            ffn = lambda t: layer.linear2(layer.linear1(t).relu())
            pre = x + attn(layer.norm1(x))
            pre = pre + ffn(layer.norm2(pre))
            no_res = layer.norm2(ffn(layer.norm1(attn(x))))
            h1 = layer.norm1(x + attn(x))
            linear_ffn = layer.norm2(h1 + layer.linear2(layer.linear1(h1)))
            got = _tensor_result(report.get('encoder_layer')(x, layer), "the output")
        _compare(got, ref, "the output", rtol=1e-4, atol=1e-5,
                 mistakes=[(pre, "that is the pre-norm order x + f(LN(x)); this layer is post-norm: LN(x + f(x))"),
                           (no_res, "the residual connections are missing: LN(x + f(x)), not LN(f(x))"),
                           (linear_ffn, "no ReLU between linear1 and linear2 in the feed-forward network")])
    return report.finish()


def check_sampling(module, seed=0):
    """``perplexity``, ``top_k_filter`` and ``next_token_probs`` against NumPy done here."""
    report = _Report(module, "perplexity, temperature and top-k sampling")
    data = _Data(seed)
    with report.check("perplexity of a mean cross-entropy of 1.5 (natural log)"):
        got = report.get('perplexity')(1.5)
        _compare(numpy.float64(float(got)), numpy.float64(math.exp(1.5)), "the perplexity",
                 mistakes=[(numpy.float64(2 ** 1.5), "the loss is in nats (natural log): perplexity = e^loss, not 2^loss"),
                           (numpy.float64(1.5), "that is the loss itself: perplexity = exp(loss)")])
    B, V, k = 3, 10, 4
    z = data.randn(B, V)
    kth = numpy.sort(z, axis=-1)[:, -k, None]
    expected = numpy.where(z >= kth, z, -numpy.inf).astype(numpy.float32)
    smallest = numpy.where(z <= numpy.sort(z, axis=-1)[:, k - 1, None], z, -numpy.inf).astype(numpy.float32)
    k_plus = numpy.where(z >= numpy.sort(z, axis=-1)[:, -k - 1, None], z, -numpy.inf).astype(numpy.float32)
    with report.check(f"top_k_filter keeps the {k} largest logits of each of {B} rows, -inf elsewhere"):
        got = _tensor_result(report.get('top_k_filter')(data.tensor(z), k), "the result")
        _compare(got, expected, "the filtered logits",
                 mistakes=[(smallest, "you kept the k SMALLEST logits: keep the largest"),
                           (k_plus, f"you kept k + 1 = {k + 1} logits: an off-by-one in the k-th largest value")])
    T = 0.5
    def probs(scores):
        e = numpy.exp(scores - scores.max(-1, keepdims=True))
        return (e / e.sum(-1, keepdims=True)).astype(numpy.float32)
    with report.check(f"next_token_probs(logits, temperature={T}, top_k={k})"):
        got = _tensor_result(report.get('next_token_probs')(data.tensor(z), T, k), "the probabilities")
        _compare(got, probs(expected / T), "the probabilities", rtol=1e-4, atol=1e-6,
                 mistakes=[(probs(expected * T), "the logits were multiplied by the temperature: divide them by it"),
                           (probs(z / T), "the top-k filter is missing: only the k best tokens may be drawn"),
                           (probs(expected), "the temperature is ignored")])
    with report.check("next_token_probs with top_k=None is softmax(logits / T) over all tokens"):
        got = _tensor_result(report.get('next_token_probs')(data.tensor(z), 2.0, None), "the probabilities")
        _compare(got, probs(z / 2.0), "the probabilities", rtol=1e-4, atol=1e-6)
    return report.finish()


def check_semantic_search(module, seed=0):
    """``mean_pool`` and ``top_k_documents`` against NumPy done here."""
    report = _Report(module, "sentence embeddings: mean pooling and semantic search")
    data = _Data(seed)
    B, T, H = 3, 6, 8
    hidden = data.randn(B, T, H)
    mask = numpy.array([[1] * 6, [1] * 4 + [0] * 2, [1] * 2 + [0] * 4], dtype='int64')
    m = mask[..., None].astype('float32')
    expected = (hidden * m).sum(1) / m.sum(1)
    with report.check(f"mean_pool of hidden states ({B}, {T}, {H}) over an attention mask with padding"):
        got = _tensor_result(report.get('mean_pool')(data.tensor(hidden), minigrad.tensor(mask)), "the result")
        _compare(got, expected, "the pooled vectors", rtol=1e-4, atol=1e-5,
                 mistakes=[(hidden.mean(1), "the padding is averaged in: weight by the mask and divide by its sum"),
                           ((hidden * m).sum(1), "a sum, not a mean: divide by the number of real tokens")])
    docs = data.randn(7, H) * numpy.array([[0.2], [3.0], [1.0], [0.5], [2.0], [1.5], [0.1]], dtype='float32')
    query = data.randn(H)
    cos = docs @ query / (numpy.linalg.norm(docs, axis=1) * numpy.linalg.norm(query))
    k = 3
    with report.check(f"top_k_documents: the {k} best of 7 documents by cosine, best first"):
        got = report.get('top_k_documents')(minigrad.tensor(query), minigrad.tensor(docs), k)
        got = numpy.asarray(got.tolist() if isinstance(got, minigrad.Tensor) else got, dtype='int64')
        _compare(got, numpy.argsort(-cos)[:k].astype('int64'), "the indices",
                 mistakes=[(numpy.argsort(-(docs @ query))[:k].astype('int64'),
                            "ranked by the raw dot product: divide by both norms (the documents are not unit vectors)"),
                           (numpy.argsort(cos)[:k].astype('int64'), "those are the k WORST documents: sort descending")])
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
    'forward_pass': check_forward_pass,
    'softmax': check_softmax,
    'tanh_backward': check_tanh_backward,
    'cross_entropy': check_cross_entropy,
    'metrics': check_metrics,
    'training_loop': check_training_loop,
    'pooling': check_pooling,
    'lstm_step': check_lstm_step,
    'padded_sequences': check_padded_sequences,
    'masks': check_masks,
    'positional_encoding': check_positional_encoding,
    'multi_head': check_multi_head,
    'encoder_layer': check_encoder_layer,
    'sampling': check_sampling,
    'semantic_search': check_semantic_search,
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


# ---------------------------------------------------------------------------------------------
# 21: BERT's masked-LM masking (chapter 11)
# ---------------------------------------------------------------------------------------------
def _mlm_reference(ids, choose, kind, random_ids, mask_id, first_special, rate, split=(0.8, 0.9)):
    chosen = (choose < rate) & (ids < first_special)
    labels = numpy.where(chosen, ids, -100).astype('int64')
    inputs = ids.astype('int64').copy()
    inputs[chosen & (kind < split[0])] = mask_id
    swap = chosen & (kind >= split[0]) & (kind < split[1])
    inputs[swap] = random_ids[swap]
    return inputs, labels


def _pair_of_arrays(got, what):
    if not isinstance(got, tuple) or len(got) != 2:
        raise _Wrong(f"{what} should return a pair (inputs, labels), got {type(got).__name__}")
    return got


def check_mlm_masking(module, seed=0):
    """``mask_tokens`` against the 80/10/10 recipe done here; ``masked_accuracy`` against NumPy."""
    report = _Report(module, "BERT's masked-LM masking (80/10/10) and the masked-token accuracy")
    rng = numpy.random.default_rng(seed)
    N, T, V, rate = 6, 40, 30, 0.15
    mask_id, first_special = V, V                       # ids 30, 31, 32 are [MASK], [CLS], [SEP]
    ids = rng.integers(0, V, size=(N, T)).astype('int64')
    ids[:, 0], ids[:, T // 2] = V + 1, V + 2
    choose, kind = rng.random((N, T)), rng.random((N, T))
    choose[:, 0] = choose[:, T // 2] = 0.0               # the special tokens would be chosen: they must not be
    random_ids = rng.integers(0, V, size=(N, T)).astype('int64')
    inputs, labels = _mlm_reference(ids, choose, kind, random_ids, mask_id, first_special, rate)
    all_masked, _ = _mlm_reference(ids, choose, kind, random_ids, mask_id, first_special, rate, split=(1.0, 1.0))
    swapped, _ = _mlm_reference(ids, choose, kind, random_ids, mask_id, first_special, rate, split=(0.1, 0.9))
    with_special, labels_special = _mlm_reference(ids, choose, kind, random_ids, mask_id, V + 3, rate)
    args = (ids.copy(), choose.copy(), kind.copy(), random_ids.copy(), mask_id, first_special, rate)
    with report.check(f"mask_tokens: the labels of a ({N}, {T}) batch (-100 where nothing is predicted)"):
        got = _pair_of_arrays(report.get('mask_tokens')(*args), "mask_tokens")
        _compare(numpy.asarray(got[1]), labels, "the labels",
                 mistakes=[(ids, "every position has a label: positions not chosen must be -100"),
                           (inputs, "the labels are the MASKED inputs: they must be the original ids"),
                           (labels_special, "a special token ([CLS], [SEP]) was chosen: only ids < first_special may be")])
    with report.check("mask_tokens: the inputs (80% [MASK], 10% random, 10% unchanged)"):
        got = _pair_of_arrays(report.get('mask_tokens')(*args), "mask_tokens")
        _compare(numpy.asarray(got[0]), inputs, "the inputs",
                 mistakes=[(all_masked, "every chosen position became [MASK]: 10% must get a random token, 10% stay"),
                           (swapped, "the shares are swapped: kind < 0.8 gives [MASK], 0.8 <= kind < 0.9 a random token"),
                           (with_special, "a special token ([CLS], [SEP]) was chosen: only ids < first_special may be")])
    logits = rng.standard_normal((N, T, V + 3)).astype('float32')
    best = logits.argmax(-1)
    labels2 = labels.copy()
    right = (labels2 != -100) & (rng.random((N, T)) < 0.5)
    labels2[right] = best[right]                                  # about half of the chosen positions are right
    chosen = labels2 != -100
    expected = float((best[chosen] == labels2[chosen]).mean())
    everywhere = float((best == numpy.where(chosen, labels2, ids)).mean())
    with report.check(f"masked_accuracy of scores ({N}, {T}, {V + 3}) on the chosen positions"):
        got = report.get('masked_accuracy')(logits.copy(), labels2.copy())
        _compare(numpy.float64(float(got)), numpy.float64(expected), "the accuracy",
                 mistakes=[(numpy.float64(float((best == labels2).mean())),
                            "the -100 positions are counted (as wrong): score the chosen positions only"),
                           (numpy.float64(everywhere), "every position is scored: only the chosen ones count"),
                           (numpy.float64(100 * expected), "a percentage: return a fraction between 0 and 1")])
    return report.finish()


EXERCISES['mlm_masking'] = check_mlm_masking


# ---------------------------------------------------------------------------------------------
# 22: the int8 quantizer and the pruning mask (chapter 13)
# ---------------------------------------------------------------------------------------------
def check_quantize_and_prune(module, seed=0):
    """``quantize_int8`` and ``prune_mask`` against NumPy done here."""
    report = _Report(module, "the per-channel int8 quantizer and the magnitude-pruning mask")
    rng = numpy.random.default_rng(seed)
    w = (rng.standard_normal((6, 10)) * numpy.array([[0.01], [0.1], [1.0], [5.0], [0.5], [2.0]])).astype('float32')
    w[4] = 0.0
    def quant(w, per_row=True, levels=127.0, rounding=numpy.round):
        s = (numpy.abs(w).max(axis=1, keepdims=True) if per_row else numpy.abs(w).max() * numpy.ones((len(w), 1))) / levels
        s = numpy.where(s == 0, 1.0, s).astype('float32')
        return numpy.clip(rounding(w / s), -127, 127).astype('int8'), s
    q, s = quant(w)
    with report.check("quantize_int8: one scale per output row, shape (6, 1)"):
        got = report.get('quantize_int8')(w.copy())
        if not isinstance(got, tuple) or len(got) != 2:
            raise _Wrong(f"quantize_int8 should return a pair (q, scale), got {type(got).__name__}")
        _compare(numpy.asarray(got[1], dtype='float32').reshape(-1, 1) if numpy.size(got[1]) == 6 else numpy.asarray(got[1]),
                 s, "the scales", mistakes=[(quant(w, per_row=False)[1], "one scale for the whole matrix: take the max per row (axis=1)"),
                                            (quant(w, levels=128.0)[1], "divide by 127, not 128: the int8 range used is [-127, 127]"),
                                            (quant(w, levels=255.0)[1], "divide by 127, not 255: the range is symmetric")])
    with report.check("quantize_int8: the int8 weights"):
        got = report.get('quantize_int8')(w.copy())
        _compare(numpy.asarray(got[0]), q, "the quantized weights",
                 mistakes=[(quant(w, rounding=numpy.trunc)[0], "truncated, not rounded: use np.round before the cast"),
                           (quant(w, per_row=False)[0], "one scale for the whole matrix: take the max per row (axis=1)")])
    for sparsity in (0.3, 0.7):
        expected = numpy.abs(w) > numpy.quantile(numpy.abs(w), sparsity)
        w2 = (rng.standard_normal((8, 12))).astype('float32')
        expected = numpy.abs(w2) > numpy.quantile(numpy.abs(w2), sparsity)
        with report.check(f"prune_mask at sparsity {sparsity} of an (8, 12) weight"):
            got = numpy.asarray(report.get('prune_mask')(w2.copy(), sparsity))
            _compare(got, expected, "the mask",
                     mistakes=[(~expected, "inverted: True must mean KEPT (the largest |w|)"),
                               (w2 > numpy.quantile(w2, sparsity), "compare |w|, not w: a large negative weight matters too"),
                               (numpy.abs(w2) < numpy.quantile(numpy.abs(w2), 1 - sparsity), "you kept the SMALLEST weights")])
    return report.finish()


EXERCISES['quantize_and_prune'] = check_quantize_and_prune


# ---------------------------------------------------------------------------------------------
# exercise 23 (chapter 14): the weighted multi-task loss, a soft prompt prepended
# ---------------------------------------------------------------------------------------------
def check_multitask_and_soft_prompt(module, seed=0):
    """``multitask_loss`` against F.cross_entropy done here (value and gradients); ``prepend_prompt``
    against a concatenation done here, and the gradient it passes to the prompt."""
    report = _Report(module, "the weighted multi-task loss and prepending a soft prompt")
    rng = numpy.random.default_rng(seed)
    a = rng.standard_normal((8, 10)).astype('float32')
    b = rng.standard_normal((8, 2)).astype('float32')
    ya, yb = minigrad.tensor(rng.integers(0, 10, 8)), minigrad.tensor(rng.integers(0, 2, 8))
    w = 0.3
    la, lb = F.cross_entropy(minigrad.tensor(a), ya).item(), F.cross_entropy(minigrad.tensor(b), yb).item()
    value = lambda x: numpy.float32(x)
    mistakes = [(value(w * la + lb), "the weight is on the wrong task: CE(a) + w · CE(b), not w · CE(a) + CE(b)"),
                (value((la + w * lb) / 2), "do not average the two losses: add them"),
                (value((1 - w) * la + w * lb), "task a counts fully: CE(a) + w · CE(b), not (1 − w) · CE(a) + w · CE(b)"),
                (value(la + lb), "the weight w is missing: multiply the second loss by w")]
    with report.check(f"multitask_loss: the value, with w = {w}"):
        got = report.get('multitask_loss')(minigrad.tensor(a), ya, minigrad.tensor(b), yb, w)
        if not isinstance(got, minigrad.Tensor):
            raise _Wrong(f"multitask_loss should return a minigrad Tensor (so backward works), got {type(got).__name__}")
        _compare(_host(got).reshape(()), value(la + w * lb), "the loss", rtol=1e-4, atol=1e-5, mistakes=mistakes)
    with report.check("multitask_loss: the gradients reach both tasks' logits"):
        ta, tb = minigrad.tensor(a, requires_grad=True), minigrad.tensor(b, requires_grad=True)
        report.get('multitask_loss')(ta, ya, tb, yb, w).backward()
        ra, rb = minigrad.tensor(a, requires_grad=True), minigrad.tensor(b, requires_grad=True)
        (F.cross_entropy(ra, ya) + w * F.cross_entropy(rb, yb)).backward()
        if ta.grad is None or tb.grad is None:
            raise _Wrong("no gradient reached the logits: compute the loss with minigrad ops (F.cross_entropy), not NumPy")
        _compare(ta.grad, ra.grad, "the gradient of task a's logits", rtol=1e-4, atol=1e-6,
                 mistakes=[(w * _host(ra.grad), "the weight is on the wrong task: CE(a) + w · CE(b)")])
        _compare(tb.grad, rb.grad, "the gradient of task b's logits", rtol=1e-4, atol=1e-6,
                 mistakes=[(_host(rb.grad) / w, "the weight w is missing on the second loss")])
    N, P, T, D = 3, 2, 4, 5
    prompt = rng.standard_normal((1, P, D)).astype('float32')
    emb = rng.standard_normal((N, T, D)).astype('float32')
    expected = numpy.concatenate([numpy.broadcast_to(prompt, (N, P, D)), emb], axis=1)
    appended = numpy.concatenate([emb, numpy.broadcast_to(prompt, (N, P, D))], axis=1)
    with report.check(f"prepend_prompt: a (1, {P}, {D}) prompt before ({N}, {T}, {D}) embeddings"):
        got = report.get('prepend_prompt')(minigrad.tensor(prompt), minigrad.tensor(emb))
        _compare(got, expected, "the prompted embeddings",
                 mistakes=[(appended, "the prompt goes IN FRONT of the sequence: cat([prompt, embeddings], dim=1)")])
    with report.check("prepend_prompt: the gradient reaches the prompt (summed over the batch)"):
        p = minigrad.tensor(prompt, requires_grad=True)
        g = rng.standard_normal((N, P + T, D)).astype('float32')
        (report.get('prepend_prompt')(p, minigrad.tensor(emb)) * minigrad.tensor(g)).sum().backward()
        if p.grad is None:
            raise _Wrong("no gradient reached the prompt: keep it a Tensor (expand and minigrad.cat, not NumPy)")
        _compare(p.grad, g[:, :P].sum(0, keepdims=True), "the prompt's gradient", rtol=1e-4, atol=1e-5,
                 mistakes=[(g[:, -P:].sum(0, keepdims=True), "the prompt goes IN FRONT of the sequence")])
    return report.finish()


EXERCISES['multitask_and_soft_prompt'] = check_multitask_and_soft_prompt


# ---------------------------------------------------------------------------------------------
# exercise 24 (chapter 15): the memory of the attention scores, composed vs tiled
# ---------------------------------------------------------------------------------------------
def _bytes_check(got, expected, what, mistakes):
    if not isinstance(got, (int, numpy.integer)) or isinstance(got, bool):
        raise _Wrong(f"{what} should be an int (a number of bytes), got {type(got).__name__} {got!r}")
    if int(got) != expected:
        hint = next((h for m, h in mistakes if int(got) == m), None)
        raise _Wrong(f"{what}: expected {expected:,} bytes, got {int(got):,}" + (f": {hint}" if hint else ""))


def check_attention_memory(module, seed=0):
    """``score_matrix_bytes`` and ``tile_bytes`` against the arithmetic done here."""
    report = _Report(module, "the memory of the attention scores: the whole matrix and one tile")
    for (n, h, L, S, b) in [(2, 4, 1024, 1024, 4), (3, 8, 512, 2048, 2)]:
        with report.check(f"score_matrix_bytes(batch={n}, heads={h}, L={L}, S={S}, {b} bytes a number)"):
            got = report.get('score_matrix_bytes')(n, h, L, S, b)
            _bytes_check(got, n * h * L * S * b, "the score matrix",
                         [(n * h * L * S, "multiply by the bytes per number (4 for float32, 2 for float16)"),
                          (h * L * S * b, "every sequence of the batch has its own matrix: multiply by batch"),
                          (n * L * S * b, "every head has its own matrix: multiply by heads"),
                          (n * h * L * L * b, "the matrix is L × S (queries × keys), not L × L"),
                          (n * h * L * S * b * 8, "bytes, not bits: do not multiply by 8")])
    for block, b in [(128, 4), (64, 2)]:
        with report.check(f"tile_bytes(block={block}, {b} bytes a number)"):
            got = report.get('tile_bytes')(block, b)
            _bytes_check(got, block * block * b, "one tile",
                         [(block * b, "a tile is block × block numbers: square the block"),
                          (block * block, "multiply by the bytes per number"),
                          (block * block * b * 8, "bytes, not bits: do not multiply by 8")])
    return report.finish()


EXERCISES['attention_memory'] = check_attention_memory


# ---------------------------------------------------------------------------------------------
# exercise 25 (chapter 10): one decoding step, greedy or with a temperature; perplexity from log-probs
# ---------------------------------------------------------------------------------------------
def _int_ids(got, what):
    """The student's token ids or indices (an array, a list or a Tensor) as an int64 array."""
    if got is None:
        raise _Wrong(f"{what} is None")
    values = _host(got) if isinstance(got, minigrad.Tensor) else numpy.asarray(got)
    if values.dtype.kind not in 'biu':
        raise _Wrong(f"{what} should be integers (token ids or indices), got dtype {values.dtype}")
    return values.astype('int64')


def _inverse_cdf(z, temperature, u):
    s = z.astype('float64') / temperature
    p = numpy.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    idx = (numpy.cumsum(p, -1) < u[:, None]).sum(-1)
    return numpy.minimum(idx, z.shape[-1] - 1).astype('int64')


def check_decoding_step(module, seed=0):
    """``next_token`` (greedy and sampled from given uniforms) and ``perplexity_from_log_probs``
    against NumPy done here."""
    report = _Report(module, "one decoding step (greedy or with a temperature) and perplexity from log-probs")
    rng = numpy.random.default_rng(seed)
    B, V = 12, 10
    z = (rng.standard_normal((B, V)) * 2.0).astype('float32')
    u = rng.random(B)
    with report.check(f"next_token with temperature 0 is greedy: the argmax of each of {B} rows"):
        got = _int_ids(report.get('next_token')(minigrad.tensor(z), 0, minigrad.tensor(u)), "the tokens")
        _compare(got, z.argmax(-1).astype('int64'), "the tokens",
                 mistakes=[(z.argmin(-1).astype('int64'), "that is the LEAST likely token: greedy takes the argmax")])
    for T in (0.5, 2.0):
        expected = _inverse_cdf(z, T, u)
        with report.check(f"next_token with temperature {T}: the inverse-CDF draw for the given u"):
            got = _int_ids(report.get('next_token')(minigrad.tensor(z), T, minigrad.tensor(u)), "the tokens")
            _compare(got, expected, "the tokens",
                     mistakes=[(_inverse_cdf(z, 1.0 / T, u), "the logits were multiplied by the temperature: divide them by it"),
                               (z.argmax(-1).astype('int64'), "that is greedy: with a temperature > 0, draw from softmax(z / T)"),
                               (_inverse_cdf(z, 1.0, u), "the temperature is ignored: softmax(z / T), not softmax(z)"),
                               (numpy.maximum(expected - 1, 0), "one index too early: take the FIRST index whose cumulative sum reaches u")])
    lp = numpy.log(rng.uniform(0.05, 0.9, (3, 6))).astype('float32')
    mask = numpy.array([[1] * 6, [1] * 4 + [0] * 2, [1] * 2 + [0] * 4], dtype='int64')
    lp[mask == 0] = -20.0                                         # padding: values that must not count
    real = lp[mask == 1].astype('float64')
    with report.check("perplexity_from_log_probs of a (3, 6) batch with padding"):
        got = report.get('perplexity_from_log_probs')(minigrad.tensor(lp), minigrad.tensor(mask))
        try:
            got = float(got.item() if isinstance(got, minigrad.Tensor) else got)
        except (TypeError, ValueError):
            raise _Wrong(f"the perplexity should be a number, got {type(got).__name__}") from None
        _compare(numpy.float64(got), numpy.float64(math.exp(-real.mean())), "the perplexity", rtol=1e-4,
                 mistakes=[(numpy.float64(math.exp(real.mean())), "a flipped sign: perplexity = exp(MINUS the mean log-prob)"),
                           (numpy.float64(math.exp(-lp.astype('float64').mean())), "the padding is counted: average over the mask == 1 tokens only"),
                           (numpy.float64(math.exp(-real.sum())), "the sum, not the mean: divide by the number of real tokens"),
                           (numpy.float64(2 ** -real.mean()), "the log-probs are natural logs: exp, not 2^")])
    return report.finish()


EXERCISES['decoding_step'] = check_decoding_step


# ---------------------------------------------------------------------------------------------
# exercise 26 (chapter 11): a next-sentence-prediction pair; the masked-LM loss over the -100 labels
# ---------------------------------------------------------------------------------------------
def _nsp_reference(a, b, cls_id, sep_id, sep_in_b=False):
    ids = numpy.concatenate([[cls_id], a, [sep_id], b]).astype('int64')
    n0 = len(a) + (1 if sep_in_b else 2)
    return ids, numpy.concatenate([numpy.zeros(n0, 'int64'), numpy.ones(len(ids) - n0, 'int64')])


def check_nsp_and_mlm_loss(module, seed=0):
    """``nsp_pair`` against the chapter's recipe done here; ``mlm_loss`` against
    ``F.cross_entropy(..., ignore_index=-100)``: value and gradient."""
    report = _Report(module, "a next-sentence-prediction pair and the masked-LM loss over the -100 labels")
    rng = numpy.random.default_rng(seed)
    cls_id, sep_id = 101, 102
    a, b_next, b_random = (rng.integers(0, 100, n).astype('int64') for n in (5, 4, 4))
    for coin, kind in ((0.3, "IsNext"), (0.7, "NotNext")):
        b, other = (b_next, b_random) if coin < 0.5 else (b_random, b_next)
        ids, segments = _nsp_reference(a, b, cls_id, sep_id)
        with report.check(f"nsp_pair with coin = {coin} ({kind}): ids, segments and label"):
            got = report.get('nsp_pair')(a.copy(), b_next.copy(), b_random.copy(), coin, cls_id, sep_id)
            if not isinstance(got, tuple) or len(got) != 3:
                raise _Wrong(f"nsp_pair should return a triple (ids, segments, label), got {type(got).__name__}")
            _compare(_int_ids(got[0], "the ids"), ids, "the ids",
                     mistakes=[(_nsp_reference(a, other, cls_id, sep_id)[0],
                                "the wrong B: coin < 0.5 means IsNext, B = b_next; otherwise B = b_random"),
                               (numpy.concatenate([[cls_id], a, [sep_id], b, [sep_id]]),
                                "the chapter's pairs end with B: [CLS] A [SEP] B, no second [SEP]")])
            _compare(_int_ids(got[1], "the segments"), segments, "the segment ids",
                     mistakes=[(1 - segments, "inverted: A's part is segment 0, B's part segment 1"),
                               (_nsp_reference(a, b, cls_id, sep_id, sep_in_b=True)[1],
                                "the [SEP] after A belongs to A's segment: 0 for [CLS] A [SEP], 1 for B")])
            label = int(coin < 0.5)
            if isinstance(got[2], bool) or not isinstance(got[2], (int, numpy.integer)):
                raise _Wrong(f"the label should be an int (1 IsNext, 0 NotNext), got {type(got[2]).__name__} {got[2]!r}")
            if int(got[2]) != label:
                raise _Wrong(f"the label is {int(got[2])}, expected {label} ({kind}): IsNext is label 1, NotNext 0, as in the chapter")
    N, T, V = 3, 6, 7
    logits = rng.standard_normal((N, T, V)).astype('float32')
    labels = rng.integers(0, V, (N, T)).astype('int64')
    labels[rng.random((N, T)) < 0.6] = -100
    labels[0, 0] = 3
    keep = labels != -100
    ls = logits - logits.max(-1, keepdims=True)
    ls = ls - numpy.log(numpy.exp(ls).sum(-1, keepdims=True))
    nll = -numpy.take_along_axis(ls, numpy.where(keep, labels, 0)[..., None], -1)[..., 0]
    value = lambda x: numpy.float32(x)
    expected = value(nll[keep].mean())
    with report.check(f"mlm_loss of ({N}, {T}, {V}) logits, {int(keep.sum())} of {N * T} labels not -100: the value"):
        got = report.get('mlm_loss')(minigrad.tensor(logits), minigrad.tensor(labels))
        if not isinstance(got, minigrad.Tensor):
            raise _Wrong(f"mlm_loss should return a minigrad Tensor (so backward works), got {type(got).__name__}")
        _compare(_host(got).astype('float32').reshape(()), expected, "the loss", rtol=1e-4, atol=1e-5,
                 mistakes=[(value(nll[keep].sum() / (N * T)), "divided by every position: average over the labels != -100 only"),
                           (value(nll[keep].sum()), "the sum, not the mean: divide by the number of labels != -100"),
                           (value(nll.mean()), "the -100 positions are scored (as label 0?): skip them")])
    with report.check("mlm_loss: the gradient of the logits matches F.cross_entropy(ignore_index=-100)"):
        x = minigrad.tensor(logits, requires_grad=True)
        report.get('mlm_loss')(x, minigrad.tensor(labels)).backward()
        r = minigrad.tensor(logits, requires_grad=True)
        F.cross_entropy(r.reshape(-1, V), minigrad.tensor(labels).reshape(-1), ignore_index=-100).backward()
        if x.grad is None:
            raise _Wrong("no gradient reached the logits: compute the loss with minigrad ops, not NumPy")
        _compare(x.grad, r.grad, "the gradient of the logits", rtol=1e-4, atol=1e-6,
                 mistakes=[(_host(r.grad) * keep.sum() / (N * T), "divided by every position: average over the labels != -100 only")])
    return report.finish()


EXERCISES['nsp_and_mlm_loss'] = check_nsp_and_mlm_loss


# ---------------------------------------------------------------------------------------------
# exercise 27 (chapter 12): the cosine-similarity matrix of normalised embeddings; top-k retrieval
# ---------------------------------------------------------------------------------------------
def check_similarity_matrix(module, seed=0):
    """``cosine_matrix`` and ``retrieve`` against NumPy done here."""
    report = _Report(module, "the cosine-similarity matrix and top-k retrieval")
    rng = numpy.random.default_rng(seed)
    A, B, H, k = 4, 9, 8, 3
    queries = (rng.standard_normal((A, H)) * rng.uniform(0.1, 5.0, (A, 1))).astype('float32')
    docs = (rng.standard_normal((B, H)) * rng.uniform(0.1, 5.0, (B, 1))).astype('float32')
    unit = lambda x, axis: x / numpy.linalg.norm(x, axis=axis, keepdims=True)
    cos = unit(queries, 1) @ unit(docs, 1).T
    with report.check(f"cosine_matrix of ({A}, {H}) queries and ({B}, {H}) documents"):
        got = _tensor_result(report.get('cosine_matrix')(minigrad.tensor(queries), minigrad.tensor(docs)),
                             "the cosine matrix")
        _compare(got, cos, "the cosine matrix", rtol=1e-4, atol=1e-5,
                 mistakes=[(queries @ docs.T, "the raw dot products: divide each row by its norm first"),
                           (unit(queries, 0) @ unit(docs, 0).T, "normalised along the wrong axis: each ROW (dim=-1) gets unit length"),
                           (queries @ unit(docs, 1).T, "only the documents are normalised: normalise the queries too"),
                           (cos.T, "transposed: rows are the queries, columns the documents")])
    with report.check("cosine_matrix(docs, docs): every document's cosine with itself is 1"):
        got = _host(_tensor_result(report.get('cosine_matrix')(minigrad.tensor(docs), minigrad.tensor(docs)), "the result"))
        if got.shape != (B, B):
            raise _Wrong(f"cosine_matrix(docs, docs) has shape {_shape(got.shape)}, expected {_shape((B, B))}")
        _compare(numpy.diagonal(got).copy(), numpy.ones(B, 'float32'), "the diagonal of cosine_matrix(docs, docs)",
                 rtol=1e-4, atol=1e-5)
    sim = rng.uniform(-1, 1, (A, B)).astype('float32')
    order = numpy.argsort(-sim, axis=-1, kind='stable')
    with report.check(f"retrieve: the {k} best of {B} documents for each of {A} queries, best first"):
        got = _int_ids(report.get('retrieve')(minigrad.tensor(sim), k), "the indices")
        _compare(got, order[:, :k].astype('int64'), "the indices",
                 mistakes=[(numpy.argsort(sim, axis=-1)[:, :k].astype('int64'), "those are the k WORST documents: sort descending"),
                           (order[:, :k][:, ::-1].astype('int64'), "the right documents, worst first: put the best first"),
                           (numpy.argsort(-sim, axis=0)[:k].T.astype('int64'), "ranked down the columns: each ROW (query) is ranked on its own")])
    return report.finish()


EXERCISES['similarity_matrix'] = check_similarity_matrix


# ---------------------------------------------------------------------------------------------
# exercise 28 (chapter 13): the distillation loss with a temperature
# ---------------------------------------------------------------------------------------------
def _log_softmax64(z):
    z = z.astype('float64')
    z = z - z.max(-1, keepdims=True)
    return z - numpy.log(numpy.exp(z).sum(-1, keepdims=True))


def _kd_reference(s, t, T, scale=None, reverse=False, student_T=None, mean_all=False):
    lt, ls = _log_softmax64(t / T), _log_softmax64(s / (T if student_T is None else student_T))
    if reverse:
        lt, ls = ls, lt
    kl = (numpy.exp(lt) * (lt - ls)).sum(-1)
    value = kl.mean() / (s.shape[-1] if mean_all else 1)
    return numpy.float32(value * (T * T if scale is None else scale))


def check_distillation_loss(module, seed=0):
    """``soft_targets`` and ``distillation_loss`` against NumPy done here (value), the gradient of
    the student's logits against autograd on the reference formula."""
    report = _Report(module, "the distillation loss with a temperature: KL(softmax(t/T) ‖ softmax(s/T)) · T²")
    rng = numpy.random.default_rng(seed)
    N, V, T = 5, 6, 3.0
    s = (rng.standard_normal((N, V)) * 2).astype('float32')
    t = (rng.standard_normal((N, V)) * 3).astype('float32')
    with report.check(f"soft_targets of ({N}, {V}) logits at T = {T}"):
        got = _tensor_result(report.get('soft_targets')(minigrad.tensor(t), T), "the soft targets")
        _compare(got, numpy.exp(_log_softmax64(t / T)).astype('float32'), "the soft targets", rtol=1e-4, atol=1e-6,
                 mistakes=[(numpy.exp(_log_softmax64(t * T)).astype('float32'), "the logits were multiplied by T: divide them by it"),
                           (numpy.exp(_log_softmax64(t)).astype('float32'), "the temperature is ignored: softmax(z / T)"),
                           (numpy.exp(_log_softmax64(t.T / T)).T.astype('float32'), "softmax over the wrong axis: normalise along dim=-1")])
    mistakes = [(_kd_reference(s, t, T, scale=1.0), "the T² factor is missing: multiply the KL by T²"),
                (_kd_reference(s, t, T, scale=T), "multiply by T², not T"),
                (_kd_reference(s, t, T, reverse=True), "the KL is reversed: KL(p_teacher ‖ p_student) = Σ p_t (log p_t − log p_s)"),
                (_kd_reference(s, t, T, student_T=1.0), "the student's logits must be divided by T too"),
                (_kd_reference(s, t, T, mean_all=True), "averaged over the classes too: sum over classes, mean over rows only"),
                (numpy.float32(_kd_reference(s, t, T) * N), "summed over the rows: take the mean over the batch")]
    for temperature in (T, 1.0):
        with report.check(f"distillation_loss of ({N}, {V}) student and teacher logits at T = {temperature}: the value"):
            got = report.get('distillation_loss')(minigrad.tensor(s), minigrad.tensor(t), temperature)
            if not isinstance(got, minigrad.Tensor):
                raise _Wrong(f"distillation_loss should return a minigrad Tensor (so backward works), got {type(got).__name__}")
            _compare(_host(got).astype('float32').reshape(()), _kd_reference(s, t, temperature), "the loss",
                     rtol=1e-4, atol=1e-6, mistakes=mistakes if temperature == T else ())
    with report.check(f"distillation_loss: the gradient of the student's logits at T = {T}"):
        x = minigrad.tensor(s, requires_grad=True)
        report.get('distillation_loss')(x, minigrad.tensor(t), T).backward()
        r = minigrad.tensor(s, requires_grad=True)
        lt = minigrad.tensor(_log_softmax64(t / T).astype('float32'))
        ((lt.exp() * (lt - (r / T).log_softmax(dim=-1))).sum(dim=-1).mean() * (T * T)).backward()
        if x.grad is None:
            raise _Wrong("no gradient reached the student's logits: compute the loss with minigrad ops, not NumPy")
        _compare(x.grad, r.grad, "the gradient of the student's logits", rtol=1e-4, atol=1e-6,
                 mistakes=[(_host(r.grad) / (T * T), "the T² factor is missing: multiply the KL by T²")])
    return report.finish()


EXERCISES['distillation_loss'] = check_distillation_loss


# ---------------------------------------------------------------------------------------------
# exercise 29 (chapter 14): prompt tuning's bookkeeping: count the parameters, freeze the backbone
# ---------------------------------------------------------------------------------------------
class _Prompted(minigrad.nn.Module):
    """A small backbone and a (1, P, D) soft prompt beside it."""

    def __init__(self, vocab=50, D=8, P=3):
        super().__init__()
        nn = minigrad.nn
        self.backbone = nn.Sequential(nn.Embedding(vocab, D), nn.Linear(D, D), nn.LayerNorm(D))
        self.prompt = nn.Parameter(minigrad.randn(1, P, D) * 0.02)

    def forward(self, ids):
        x = self.backbone[0](ids)
        x = minigrad.cat([self.prompt.expand(ids.shape[0], -1, -1), x], dim=1)
        return self.backbone[2](self.backbone[1](x))


def _count_check(got, expected, what, mistakes):
    if isinstance(got, minigrad.Tensor):
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, (int, numpy.integer)):
        raise _Wrong(f"{what} should be an int, got {type(got).__name__} {got!r}")
    if int(got) != expected:
        hint = next((h for m, h in mistakes if int(got) == m), None)
        raise _Wrong(f"{what}: expected {expected:,}, got {int(got):,}" + (f": {hint}" if hint else ""))


def check_freeze_and_count(module, seed=0):
    """``count_parameters`` and ``freeze`` against counts done here, and a backward that must reach
    the prompt only."""
    report = _Report(module, "prompt tuning's bookkeeping: count the parameters, freeze the backbone")
    minigrad.manual_seed(seed)
    vocab, D, P = 50, 8, 3
    params = lambda m: list(m.parameters())
    total = vocab * D + D * D + D + 2 * D + P * D
    backbone_count = total - P * D
    with report.check("count_parameters of the whole model (an embedding, a linear, a layer norm, a prompt)"):
        model = _Prompted(vocab, D, P)
        _count_check(report.get('count_parameters')(model), total, "the number of parameters",
                     [(len(params(model)), "that is the number of parameter TENSORS: add up p.numel() of each"),
                      (sum(p.shape[0] for p in params(model)), "count every entry of each tensor (p.numel()), not its first dimension"),
                      (backbone_count, "the prompt is missing: count every parameter of the module")])
    with report.check("count_parameters(trainable_only=True) skips parameters with requires_grad = False"):
        model = _Prompted(vocab, D, P)
        model.backbone[0].weight.requires_grad = False
        _count_check(report.get('count_parameters')(model, trainable_only=True), total - vocab * D,
                     "the number of trainable parameters",
                     [(total, "trainable_only is ignored: skip the parameters whose requires_grad is False"),
                      (vocab * D, "those are the FROZEN ones: count the parameters with requires_grad True")])
    with report.check("freeze(model.backbone) leaves only the prompt's P · D numbers to train"):
        model = _Prompted(vocab, D, P)
        report.get('freeze')(model.backbone)
        if not model.prompt.requires_grad:
            raise _Wrong("the prompt was frozen too: freeze only touches the module it is given")
        trainable = [n for n, p in model.named_parameters() if p.requires_grad]
        if trainable != ['prompt']:
            still = [n for n in trainable if n != 'prompt']
            if all(n.endswith('.bias') for n in still):
                hint = "; only the weights were frozen: the biases too, every p in module.parameters()"
            elif len(still) == len(params(model.backbone)):
                hint = "; nothing was frozen: set p.requires_grad = False on every p in module.parameters()"
            else:
                hint = "; every parameter of the submodules too: loop over module.parameters()"
            raise _Wrong(f"still trainable after freeze: {', '.join(still)}{hint}")
    with report.check("after freeze(model.backbone), backward gives a gradient to the prompt only"):
        model = _Prompted(vocab, D, P)
        report.get('freeze')(model.backbone)
        model(minigrad.tensor(numpy.arange(10).reshape(2, 5))).sum().backward()
        if model.prompt.grad is None:
            raise _Wrong("the prompt got no gradient: it must stay trainable")
        got = [n for n, p in model.backbone.named_parameters() if p.grad is not None]
        if got:
            raise _Wrong(f"frozen parameters got a gradient: {', '.join(got)}; set requires_grad = False, "
                         f"not just their .grad to None")
    return report.finish()


EXERCISES['freeze_and_count'] = check_freeze_and_count


# ---------------------------------------------------------------------------------------------
# exercise 30 (chapter 15): the online softmax, one block of tiled attention
# ---------------------------------------------------------------------------------------------
def _online_reference(m, l, acc, s, v, rescale=True, flipped=False, shift=True):
    m_new = numpy.maximum(m, s.max(-1, keepdims=True))
    alpha = numpy.exp((m_new - m) if flipped else (m - m_new)) if rescale else numpy.ones_like(m)
    p = numpy.exp(s - m_new) if shift else numpy.exp(s)
    return m_new, alpha * l + p.sum(-1, keepdims=True), alpha * acc + p @ v


def _triple(got):
    if not isinstance(got, tuple) or len(got) != 3:
        raise _Wrong(f"online_update should return a triple (m_new, l_new, acc_new), got {type(got).__name__}")
    return tuple(numpy.asarray(_host(x), dtype='float64') for x in got)


def check_online_softmax(module, seed=0):
    """``online_update`` against the update done here (one block from a running state), then
    ``online_update`` + ``finish`` over every block against softmax(S) @ V."""
    report = _Report(module, "the online softmax: one block of tiled attention")
    rng = numpy.random.default_rng(seed)
    L, S, d, block = 4, 12, 3, 4
    scores = rng.standard_normal((L, S)) * 3.0
    scores[:, block:2 * block] += 2.0                    # the second block raises the max of most rows
    v = rng.standard_normal((S, d))
    m0, l0, acc0 = _online_reference(numpy.full((L, 1), -numpy.inf), numpy.zeros((L, 1)), numpy.zeros((L, d)),
                                      scores[:, :block], v[:block])
    s1, v1 = scores[:, block:2 * block], v[block:2 * block]
    m1, l1, acc1 = _online_reference(m0, l0, acc0, s1, v1)
    no_rescale = _online_reference(m0, l0, acc0, s1, v1, rescale=False)
    flipped = _online_reference(m0, l0, acc0, s1, v1, flipped=True)
    unshifted = _online_reference(m0, l0, acc0, s1, v1, shift=False)
    with report.check(f"online_update: a second block of {block} keys on top of a running (m, l, acc) for {L} queries"):
        got = _triple(report.get('online_update')(m0.copy(), l0.copy(), acc0.copy(), s1.copy(), v1.copy()))
        _compare(got[0], m1, "the running max m_new",
                 mistakes=[(s1.max(-1, keepdims=True), "m_new is the max of the OLD m and this block's max")])
        _compare(got[1], l1, "the running sum l_new", rtol=1e-6, atol=1e-9,
                 mistakes=[(no_rescale[1], "the old sum is not rescaled: multiply it by exp(m − m_new)"),
                           (flipped[1], "the rescale factor is exp(m − m_new) (≤ 1), not exp(m_new − m)"),
                           (unshifted[1], "subtract the new max before the exp: p = exp(s − m_new)")])
        _compare(got[2], acc1, "the accumulator acc_new", rtol=1e-6, atol=1e-9,
                 mistakes=[(no_rescale[2], "the old accumulator is not rescaled: multiply it by exp(m − m_new)"),
                           (flipped[2], "the rescale factor is exp(m − m_new) (≤ 1), not exp(m_new − m)"),
                           (unshifted[2], "subtract the new max before the exp: p = exp(s − m_new)")])
    e = numpy.exp(scores - scores.max(-1, keepdims=True))
    expected = (e / e.sum(-1, keepdims=True)) @ v
    with report.check(f"finish: acc / l for a given running state ({L}, {d})"):
        got = report.get('finish')(l1.copy(), acc1.copy())
        _compare(numpy.asarray(_host(got), dtype='float64'), acc1 / l1, "the output", rtol=1e-6, atol=1e-9,
                 mistakes=[(acc1 * l1, "divide the accumulator by l, do not multiply"),
                           (acc1 / l1.sum(), "divide each row by ITS OWN l, not by the sum over the rows")])
    with report.check(f"online_update over {S // block} blocks from (−inf, 0, 0), then finish, is softmax(S) @ V"):
        update, finish = report.get('online_update'), report.get('finish')
        m, l, acc = numpy.full((L, 1), -numpy.inf), numpy.zeros((L, 1)), numpy.zeros((L, d))
        for j in range(0, S, block):
            m, l, acc = _triple(update(m, l, acc, scores[:, j:j + block].copy(), v[j:j + block].copy()))
        _compare(numpy.asarray(_host(finish(l, acc)), dtype='float64'), expected, "the attention output",
                 rtol=1e-6, atol=1e-9)
    return report.finish()


EXERCISES['online_softmax'] = check_online_softmax
