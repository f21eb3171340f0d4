"""Elementwise ops: arithmetic, the classic activations, and dtype/device casts.

Each backward is the local derivative times the incoming gradient (the chain rule, article 002
*反向传播*). Inputs of a binary op may broadcast; the engine sums the gradient back to each
input's shape, so the formulas here are written as if shapes matched.
"""
from ..autograd.function import Function
from ..autograd.grad_mode import creating_graph
from ..backend import get_array_module, to_device


class Add(Function):
    """a + b;  da = g, db = g."""
    @staticmethod
    def forward(ctx, a, b):
        return a.data + b.data

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """a - b;  da = g, db = -g."""
    @staticmethod
    def forward(ctx, a, b):
        return a.data - b.data

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """a * b;  da = g * b, db = g * a."""
    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)   # only what backward reads
        return a.data * b.data

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # Mul.apply, not g * b: the operands were matched when the forward ran
        return (Mul.apply(g, b) if need_a else None), (Mul.apply(g, a) if need_b else None)


class Div(Function):
    """a / b;  da = g / b, db = -g * a / b²."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a.data / b.data

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b
        return (ga if ctx.needs_input_grad[0] else None), (-ga * a / b if ctx.needs_input_grad[1] else None)


class Neg(Function):
    """-x;  dx = -g."""
    @staticmethod
    def forward(ctx, x):
        return -x.data

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """x ** p for a Python number p;  dx = g * p * x^(p-1)."""
    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        return x.data ** p

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return g * 0, None
        return g * p * x ** (p - 1) if p != 1 else g, None


class PowTensor(Function):
    """a ** b for tensors;  da = g * b * a^(b-1),  db = g * a^b * ln a  (taken as 0 where a = 0)."""
    saves_output = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a.data ** b.data

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            gb = g * ctx.saved_output * a.masked_fill(a == 0, 1).log()
        return ga, gb


class Exp(Function):
    """exp(x);  dx = g * exp(x)  (the output itself is reused)."""
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        return get_array_module(x.data).exp(x.data)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_output


class Log(Function):
    """ln x;  dx = g / x."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x.data).log(x.data)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x


class Log1p(Function):
    """ln(1 + x), accurate for small x;  dx = g / (1 + x)."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x.data).log1p(x.data)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x + 1)


class Sqrt(Function):
    """√x;  dx = g / (2√x)."""
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        return get_array_module(x.data).sqrt(x.data)

    @staticmethod
    def backward(ctx, g):
        return g / (ctx.saved_output * 2)


class Abs(Function):
    """|x|;  dx = g * sign(x)  (0 at x = 0, as PyTorch)."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return abs(x.data)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.sign()


class Sign(Function):
    """sign(x) ∈ {-1, 0, 1};  its derivative is 0 everywhere it exists."""
    @staticmethod
    def forward(ctx, x):
        return get_array_module(x.data).sign(x.data)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Sin(Function):
    """sin x;  dx = g cos x."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x.data).sin(x.data)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.cos()


class Cos(Function):
    """cos x;  dx = -g sin x."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return get_array_module(x.data).cos(x.data)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * x.sin()


class Tanh(Function):
    """tanh x;  dx = g (1 - tanh² x)  (one ``TanhBackward`` node, not three)."""
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        return get_array_module(x.data).tanh(x.data)

    @staticmethod
    def backward(ctx, g):
        return TanhBackward.apply(g, ctx.saved_output)


class TanhBackward(Function):
    """g (1 - y²), the backward of tanh as one op;  dg = gg (1 - y²),  dy = -2 gg g y."""
    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return g.data * (1 - y.data * y.data)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        return (TanhBackward.apply(gg, y) if ctx.needs_input_grad[0] else None,
                -2 * gg * g * y if ctx.needs_input_grad[1] else None)


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e^-x)  (article 002's activation);  dx = g σ(x)(1 - σ(x)).

    Computed as (1 + tanh(x/2)) / 2, which never overflows for large |x|.
    """
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        xp = get_array_module(x.data)
        return (xp.tanh(x.data * 0.5) + 1) * 0.5

    @staticmethod
    def backward(ctx, g):
        return SigmoidBackward.apply(g, ctx.saved_output)


class SigmoidBackward(Function):
    """g y (1 - y), the backward of the sigmoid as one op;  dg = gg y (1 - y),  dy = gg g (1 - 2y)."""
    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return g.data * y.data * (1 - y.data)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        return (SigmoidBackward.apply(gg, y) if ctx.needs_input_grad[0] else None,
                gg * g * (1 - 2 * y) if ctx.needs_input_grad[1] else None)


class Relu(Function):
    """max(x, 0);  dx = g where x > 0, else 0."""
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        return get_array_module(x.data).maximum(x.data, 0)

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved_output
        # float times bool keeps the float dtype. Under create_graph the mask is sign(y), 1 where y > 0:
        # a function of y with derivative 0, so the gradient stays in the graph as PyTorch's does
        return Mul.apply(g, Sign.apply(y) if creating_graph() else y > 0)


class Clamp(Function):
    """min(max(x, lo), hi);  dx = g where lo ≤ x ≤ hi, else 0."""
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return get_array_module(x.data).clip(x.data, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        keep = None
        if ctx.lo is not None:
            keep = x >= ctx.lo
        if ctx.hi is not None:
            keep = (x <= ctx.hi) if keep is None else keep & (x <= ctx.hi)
        return (g if keep is None else g * keep), None, None


class Maximum(Function):
    """max(a, b) elementwise; the gradient goes to the larger input, split evenly on ties."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return get_array_module(a.data).maximum(a.data, b.data)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = (a > b) + (a == b) * 0.5
        return g * share, g * (1 - share)


class Minimum(Function):
    """min(a, b) elementwise; the gradient goes to the smaller input, split evenly on ties."""
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return get_array_module(a.data).minimum(a.data, b.data)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        share = (a < b) + (a == b) * 0.5
        return g * share, g * (1 - share)


class Where(Function):
    """cond ? a : b;  da = g where cond, db = g elsewhere (cond gets no gradient)."""
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return get_array_module(a.data).where(cond.data, a.data, b.data)

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        zero = g._scalar(0)
        return (None,
                Where.apply(cond, g, zero) if ctx.needs_input_grad[1] else None,
                Where.apply(cond, zero, g) if ctx.needs_input_grad[2] else None)


class Cast(Function):
    """x converted to another dtype; the gradient is converted back (by the engine)."""
    @staticmethod
    def forward(ctx, x, dtype):
        return x.data.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g, None


class ToDevice(Function):
    """x copied to another device; the gradient is copied back."""
    @staticmethod
    def forward(ctx, x, device):
        ctx.device = x.device
        return to_device(x.data, device)

    @staticmethod
    def backward(ctx, g):
        return ToDevice.apply(g, ctx.device), None


class Clone(Function):
    """A copy of x with its own memory;  dx = g."""
    @staticmethod
    def forward(ctx, x):
        return x.data.copy()

    @staticmethod
    def backward(ctx, g):
        return g
