"""Activations with hand-written backward passes: softmax, log-softmax, erf, GELU, softplus.

Each is one graph node rather than a chain of small ops: fewer nodes is faster, and the
formulas avoid overflow (softmax subtracts the max, softplus never exponentiates a positive
number). Each backward is written with Tensor ops, so it can itself be differentiated (double
backward).

On the GPU, softmax, log-softmax and GELU run as fused CUDA kernels whenever the arrays allow
it: the first lines of a forward or backward ask ``minigrad.cuda.fused`` and return its answer
(the fast path); the lines below them are the composed reference the kernels are tested
against, and what runs on the CPU and under ``create_graph=True`` (double backward).
"""
import math

from ..autograd.function import Function
from ..autograd.grad_mode import creating_graph
from ..backend import get_array_module
from ..cuda import fused


def _minus_max(a, dim):
    """a - max(a) along ``dim``, so that every exponent is ≤ 0; an empty array has no max and is
    returned as it is (a softmax over no elements is empty)."""
    return a - a.max(axis=dim, keepdims=True) if a.size else a


class Softmax(Function):
    """softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x)   (subtracting the max avoids overflow).

    Backward: dx = y * (g - sum(g * y)), the Jacobian-vector product of diag(y) - y yᵀ.
    """
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        y = fused.softmax(x.data, dim)
        if y is not None:       # fast path: the fused kernel computed exactly the lines below
            return y
        e = get_array_module(x.data).exp(_minus_max(x.data, dim))
        e /= e.sum(axis=dim, keepdims=True)
        return e

    @staticmethod
    def backward(ctx, grad):
        y = ctx.saved_output
        dx = fused.softmax_backward(y.data, grad.data, ctx.dim)
        if dx is not None:      # fast path: the fused kernel computed exactly the line below
            return grad._wrap(dx), None
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Function):
    """log_softmax(x)_i = x_i - logsumexp(x);  backward: dx = g - softmax(x) * sum(g)."""
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        y = fused.softmax(x.data, dim, log=True)
        if y is not None:       # fast path: the fused kernel computed exactly the lines below
            return y
        xp = get_array_module(x.data)
        shifted = _minus_max(x.data, dim)
        return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    @staticmethod
    def backward(ctx, grad):
        y = ctx.saved_output
        dx = fused.softmax_backward(y.data, grad.data, ctx.dim, log=True)
        if dx is not None:      # fast path: the fused kernel computed exactly the line below
            return grad._wrap(dx), None
        return grad - y.exp() * grad.sum(ctx.dim, keepdim=True), None


# ---------------------------------------------------------------------------------------------
# erf and GELU
# ---------------------------------------------------------------------------------------------
# NumPy has no erf, so we evaluate it ourselves, to float64 accuracy (|error| < 4e-16 against
# math.erf). Two smooth pieces, each a polynomial in a variable s that runs over [-1, 1]:
#   |x| < 2.5:  erf(x) = x · P(s),              s = x² / 3.125 - 1
#   |x| ≥ 2.5:  erf(x) = 1 - e^(-x²) / x · Q(s), s mapped from v = 1/x² ∈ [1/36, 1/6.25]
# P and Q are Chebyshev fits (mpmath.chebyfit, 50 digits) of erf(x)/x and x·e^(x²)·erfc(x),
# rewritten in powers of s, highest first. Beyond |x| = 6, erfc(x) < 2e-17 and erf(x) rounds to ±1.
_ERF_SMALL = (
    -3.44732822917601e-11, 2.2518517396985148e-10, -1.228825755821233e-09, 7.160779700042912e-09,
    -3.982683527025826e-08, 2.0735680926321693e-07, -1.0142314261310453e-06, 4.64570226125022e-06,
    -1.9836007693966383e-05, 7.856394302723769e-05, -0.00028706944000989835, 0.0009617886854193204,
    -0.0029345002027633934, 0.008093207921745843, -0.02002232721003968, 0.04413629321275684,
    -0.08646495074651875, 0.1521734883242531, -0.25454123502265913, 0.5586599906120295)
_ERF_LARGE = (
    1.0835074000156798e-10, -3.9336378265876834e-10, 1.136318450477682e-09, -4.627225777260849e-09,
    2.035953475238529e-08, -9.314657646986476e-08, 4.6095933098899257e-07, -2.516647854968122e-06,
    1.555933157184463e-05, -0.00011365586043815785, 0.0010571227663475102, -0.01470547764971812,
    0.5407644938165878)
_ERF_CUT, _ERF_FAR = 2.5, 6.0
# 2^16 elements: 256 KiB of float32, which with Horner's temporaries fits a CPU's L2 cache
_ERF_CHUNK = 1 << 16


def _horner(coefficients, s):
    """Σ c_k s^(n-k) evaluated as (((c_0 s + c_1) s + c_2) s + ...), in place."""
    p = s * coefficients[0]
    for c in coefficients[1:-1]:
        p += c
        p *= s
    p += coefficients[-1]
    return p


def erf_array(x):
    """erf(x) = 2/√π ∫₀ˣ e^(-t²) dt of a float array, elementwise (see the fit described above).

    On the CPU the work goes in chunks of ``_ERF_CHUNK`` elements: Horner's rule passes over its
    array some 40 times, and a chunk small enough to stay in the cache makes those passes several
    times faster than passes over a large array in main memory. The values are the same. (On a GPU
    one pass over everything is one kernel launch, so it is not chunked.)
    """
    xp = get_array_module(x)
    shape, x = x.shape, x.reshape(-1)        # 1-d, so that a 0-d input still gives an array to write into
    step = _ERF_CHUNK if xp.__name__ == 'numpy' else max(x.size, 1)
    out = xp.empty_like(x)
    for i in range(0, x.size, step):
        out[i:i + step] = _erf_1d(xp, x[i:i + step])
    return out.reshape(shape)


def _erf_1d(xp, x):
    """erf of a 1-d array: the polynomial of the near piece, then the tail formula where |x| ≥ 2.5."""
    a = xp.minimum(xp.abs(x), _ERF_CUT)
    s = a * a
    s *= 2 / _ERF_CUT ** 2
    s -= 1
    out = x * _horner(_ERF_SMALL, s)
    far = xp.abs(x) >= _ERF_CUT
    if far.any():            # usually few elements: evaluate the tail formula on those alone
        xf = x[far]
        b = xp.minimum(xp.abs(xf), _ERF_FAR)          # clipped, so nothing overflows for huge |x|
        v_lo, v_hi = 1 / _ERF_FAR ** 2, 1 / _ERF_CUT ** 2
        s = (1 / (b * b) - v_lo) * (2 / (v_hi - v_lo)) - 1
        out[far] = xp.copysign(1 - xp.exp(-(b * b)) / b * _horner(_ERF_LARGE, s), xf)
    return out


class Erf(Function):
    """erf(x);  dx = g · 2/√π · e^(-x²)."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf_array(x.data)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (-(x * x)).exp() * (2 / math.sqrt(math.pi))


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715


# Beyond |x| = 40, Φ(x) is exactly 0 or 1 and Φ'(x) exactly 0, even in float64 (e^(-800) underflows,
# and so does 1 - tanh(u)): Φ and Φ' are computed from x clamped there, so that x³ and x² never
# overflow (to inf, and inf · 0 = NaN in the gradient) for huge or float16 inputs.
_GELU_SATURATED = 40.0


def _gelu_cdf(x, approximate):
    """Φ(x) as a Tensor: (1 + erf(x/√2)) / 2, or (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2
    (``x`` already clamped to ±40)."""
    if approximate == 'tanh':
        return (1 + (_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x)).tanh()) * 0.5
    return (1 + Erf.apply(x * (1 / math.sqrt(2)))) * 0.5


class Gelu(Function):
    """GELU(x) = x · Φ(x), Φ the standard normal CDF = (1 + erf(x/√2)) / 2.

    approximate='tanh' (GPT-2's form): Φ(x) ≈ (1 + tanh(u)) / 2 with u = √(2/π) (x + 0.044715 x³).
    Backward: dx = g · (Φ(x) + x · Φ'(x)), with Φ'(x) = e^(-x²/2)/√(2π) for the exact form and
    (1 - tanh² u) / 2 · √(2/π) (1 + 3 · 0.044715 x²) for the approximation. Φ and Φ' take x
    clamped to ±40 (see ``_GELU_SATURATED``).
    """
    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        y = fused.gelu(x.data, approximate)
        if y is not None:       # fast path: the fused kernel computed exactly the lines below
            ctx.cdf = None
            return y
        ctx.cdf = _gelu_cdf(x.clamp(-_GELU_SATURATED, _GELU_SATURATED), approximate)   # backward needs Φ(x) again
        return x.data * ctx.cdf.data

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        dx = fused.gelu_backward(x.data, g.data, ctx.approximate)
        if dx is not None:      # fast path: the fused kernel computed exactly the lines below
            return g._wrap(dx), None
        xc = x.clamp(-_GELU_SATURATED, _GELU_SATURATED)
        # double backward differentiates this formula, so Φ must then be a function of x in the graph
        cdf = ctx.cdf if ctx.cdf is not None and not creating_graph() else _gelu_cdf(xc, ctx.approximate)
        if ctx.approximate == 'tanh':
            t = 2 * cdf - 1
            pdf = (1 - t * t) * (0.5 * _SQRT_2_OVER_PI) * (1 + 3 * _GELU_CUBIC * xc * xc)
        else:
            pdf = (xc * xc * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
        return g * (cdf + x * pdf), None


class Softplus(Function):
    """softplus(x) = log(1 + e^(βx)) / β, computed as max(z, 0) + log1p(e^(-|z|)) with z = βx so it
    never overflows; where βx > threshold it is x itself (as PyTorch).  dx = g · σ(βx) (1 there)."""
    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        xp = get_array_module(x.data)
        z = x.data * beta
        out = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        return xp.where(z > threshold, x.data, out)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        z = x * ctx.beta
        return g * z.sigmoid().masked_fill(z > ctx.threshold, 1.0), None, None

