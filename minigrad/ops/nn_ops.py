"""Neural-network primitives with hand-written backward passes: softmax, GELU (and the erf it
needs), cross-entropy, layer/batch normalisation, embedding lookup, binary cross-entropy.

These are single graph nodes rather than chains of small ops: fewer nodes is faster, and a
fused formula (``softmax - onehot`` for cross-entropy) is numerically safer. The LSTM cell's gate
arithmetic is one node too. Each backward is
written with Tensor ops, so it can itself be differentiated (double backward).

On the GPU, softmax, log-softmax, cross-entropy, layer norm and GELU run as fused CUDA kernels
(``minigrad.cuda.kernels``) whenever the arrays allow it; the array code beside each kernel call
is the composed reference it is tested against, and is what runs on the CPU. A backward with
``create_graph=True`` always takes the Tensor-op formulas, so double backward works on both.
"""
import math

from ..autograd.api import grad
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..backend import get_array_module
from ..cuda import kernels
from .index import IndexAdd
from .shape import Cat


def _fused_rows(dim, *arrays):
    """Can a fused row kernel (one row per softmax) run on these arrays along ``dim``?"""
    return dim == arrays[0].ndim - 1 and kernels.usable(*arrays)


def _fused_backward(ctx, *arrays):
    """Can the backward take its fused kernel? Not when building a graph (create_graph=True)."""
    return not is_grad_enabled() and _fused_rows(ctx.dim, *arrays)


class Softmax(Function):
    """softmax(x)_i = exp(x_i - max x) / sum_j exp(x_j - max x)   (subtracting the max avoids overflow).

    Backward: dx = y * (g - sum(g * y)), the Jacobian-vector product of diag(y) - y yᵀ.
    """
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim):
        xp = get_array_module(x.data)
        ctx.dim = dim
        if _fused_rows(dim, x.data):
            return kernels.softmax(x.data)
        e = xp.exp(x.data - x.data.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        return e

    @staticmethod
    def backward(ctx, grad):
        y = ctx.saved_output
        if _fused_backward(ctx, y.data, grad.data):
            return grad._wrap(kernels.softmax_backward(y.data, grad.data)), None
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Function):
    """log_softmax(x)_i = x_i - logsumexp(x);  backward: dx = g - softmax(x) * sum(g)."""
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim):
        xp = get_array_module(x.data)
        ctx.dim = dim
        if _fused_rows(dim, x.data):
            return kernels.softmax(x.data, log=True)
        shifted = x.data - x.data.max(axis=dim, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    @staticmethod
    def backward(ctx, grad):
        y = ctx.saved_output
        if _fused_backward(ctx, y.data, grad.data):
            return grad._wrap(kernels.softmax_backward(y.data, grad.data, log=True)), None
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


class LinearFunction(Function):
    """y = x Wᵀ + b: every output a weighted sum of the inputs plus a bias (article 002, 神经元).

    Backward:  dx = g W,   dW = gᵀ x,   db = Σ g,  the sums running over every leading axis of x
    (batch, sequence), so a layer applied to a sequence still costs one matmul per gradient.
    One node instead of transpose + matmul + add, and the weight gradient comes out as a fresh
    array that the engine can hand to ``.grad`` without copying it.
    """
    @staticmethod
    def forward(ctx, x, weight, bias):
        need_x, need_w, _ = ctx.needs_input_grad
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        # leading axes folded into rows: one BLAS call, not one per batch element
        rows = x.data.reshape(-1, x.shape[-1]) if x.ndim > 2 else x.data
        out = rows @ weight.data.T
        if bias is not None:
            out += bias.data
        return out.reshape(x.shape[:-1] + (weight.shape[0],)) if x.ndim > 2 else out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = None
        if need_x:
            gx = (g.reshape(-1, g.shape[-1]) @ weight).reshape(g.shape[:-1] + (weight.shape[1],)) \
                if g.ndim > 2 else g @ weight
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])     # rows: every leading axis
        gw = g2.mT @ (x if x.ndim == 2 else x.reshape(-1, x.shape[-1])) if need_w else None
        gb = g2.sum(0) if need_b else None
        return gx, gw, gb


def _horner(coefficients, s):
    """Σ c_k s^(n-k) evaluated as (((c_0 s + c_1) s + c_2) s + ...), in place."""
    p = s * coefficients[0]
    for c in coefficients[1:-1]:
        p += c
        p *= s
    p += coefficients[-1]
    return p


def erf_array(x):
    """erf(x) = 2/√π ∫₀ˣ e^(-t²) dt of a float array, elementwise (see the fit described above)."""
    xp = get_array_module(x)
    shape, x = x.shape, x.reshape(-1)        # 1-d, so that a 0-d input still gives an array to write into
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
    return out.reshape(shape)


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


def _gelu_cdf(x, approximate):
    """Φ(x) as a Tensor: (1 + erf(x/√2)) / 2, or (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2."""
    if approximate == 'tanh':
        return (1 + (_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x)).tanh()) * 0.5
    return (1 + Erf.apply(x * (1 / math.sqrt(2)))) * 0.5


class Gelu(Function):
    """GELU(x) = x · Φ(x), Φ the standard normal CDF = (1 + erf(x/√2)) / 2.

    approximate='tanh' (GPT-2's form): Φ(x) ≈ (1 + tanh(u)) / 2 with u = √(2/π) (x + 0.044715 x³).
    Backward: dx = g · (Φ(x) + x · Φ'(x)), with Φ'(x) = e^(-x²/2)/√(2π) for the exact form and
    (1 - tanh² u) / 2 · √(2/π) (1 + 3 · 0.044715 x²) for the approximation.
    """
    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if kernels.usable(x.data):
            ctx.cdf = None
            return kernels.gelu(x.data, approximate)
        ctx.cdf = _gelu_cdf(x, approximate)      # kept: backward needs Φ(x) again
        return x.data * ctx.cdf.data

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        if not is_grad_enabled() and kernels.usable(x.data, g.data):
            return g._wrap(kernels.gelu_backward(x.data, g.data, ctx.approximate)), None
        # double backward differentiates this formula, so Φ must then be a function of x in the graph
        cdf = ctx.cdf if ctx.cdf is not None and not is_grad_enabled() else _gelu_cdf(x, ctx.approximate)
        if ctx.approximate == 'tanh':
            t = 2 * cdf - 1
            pdf = (1 - t * t) * (0.5 * _SQRT_2_OVER_PI) * (1 + 3 * _GELU_CUBIC * x * x)
        else:
            pdf = (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
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


# ---------------------------------------------------------------------------------------------
# cross-entropy
# ---------------------------------------------------------------------------------------------
class ClassTarget:
    """Integer class targets seen as target *distributions*, without building the dense matrix.

    For sample n with class y_n, class weights w and label smoothing ε over C classes, the target
    row is  a_n = valid_n · ((1 - ε) · w[y_n] · onehot(y_n) + ε/C · w),  valid_n = (y_n != ignore_index).
    ``index`` holds y_n (ignored entries replaced by 0 so they can still index), ``coef`` the
    per-sample factor valid_n (1 - ε) w[y_n], ``smooth`` the row ε/C · w (or None when ε = 0).
    """

    def __init__(self, index, valid, coef, smooth, dim):
        self.index, self.valid, self.coef, self.smooth, self.dim = index, valid, coef, smooth, dim

    def dot(self, logp):
        """Σ_c a_nc · logp_nc for every sample n (the class axis ``dim`` summed away)."""
        xp = get_array_module(logp)
        picked = xp.take_along_axis(logp, xp.expand_dims(self.index, self.dim), axis=self.dim)
        out = self.coef * picked.squeeze(self.dim)
        if self.smooth is not None:
            out = out + self.valid * (logp * self.smooth).sum(axis=self.dim)
        return out

    def dense(self, like):
        """The target rows a as an array shaped like the logits ``like``."""
        xp = get_array_module(like)
        classes = xp.arange(like.shape[self.dim]).reshape((-1,) + (1,) * (like.ndim - self.dim - 1))
        onehot = xp.expand_dims(self.index, self.dim) == classes
        a = onehot * xp.expand_dims(self.coef, self.dim)
        if self.smooth is not None:
            a = a + xp.expand_dims(self.valid, self.dim) * self.smooth
        return a.astype(like.dtype, copy=False)


class CrossEntropy(Function):
    """Cross-entropy of logits x against target rows a, fused with log-softmax into one node.

    loss_n = -Σ_c a_nc · log softmax(x_n)_c,   log softmax(x)_c = x_c - max x - log Σ_k e^(x_k - max x),
    reduced by ``scale``: the loss is Σ_n loss_n · scale (mean: scale = 1/denominator), or the
    per-sample losses for reduction='none' (scale = None).
    ``target`` is a ``ClassTarget`` (integer classes) or a Tensor of target rows (probabilities).
    Backward: dx = (softmax(x) · Σ_c a_nc - a) · g; for a one-hot row that is softmax - onehot.
    Subtracting the max keeps every exponent ≤ 0, so logits of ±1e4 give finite losses and gradients.
    """
    @staticmethod
    def forward(ctx, x, target, dim, scale):
        xp = get_array_module(x.data)
        ctx.save_for_backward(x, target if not isinstance(target, ClassTarget) else None)
        ctx.target, ctx.dim, ctx.scale, ctx.lse = target, dim, scale, None
        if isinstance(target, ClassTarget) and target.smooth is None and _fused_rows(dim, x.data):
            rows = x.data.reshape(-1, x.shape[-1])
            index = xp.ascontiguousarray(target.index.reshape(-1), dtype=xp.int64)
            coef = xp.ascontiguousarray(target.coef.reshape(-1), dtype=x.dtype)
            losses, ctx.lse = kernels.cross_entropy(rows, index, coef)
            ctx.fused_target = index, coef
            per_sample = losses.reshape(target.index.shape)
            return per_sample if scale is None else per_sample.sum() * scale
        shifted = x.data - x.data.max(axis=dim, keepdims=True)
        logp = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        per_sample = -(target.dot(logp) if isinstance(target, ClassTarget)
                       else (logp * target.data).sum(axis=dim))
        if scale is None:
            return per_sample
        return per_sample.sum() * scale

    @staticmethod
    def backward(ctx, g):
        x, target = ctx.saved_tensors
        dim = ctx.dim
        if ctx.lse is not None and not is_grad_enabled():
            xp = get_array_module(x.data)
            per_row = g.data if ctx.scale is None else g.data * ctx.scale
            G = xp.ascontiguousarray(xp.broadcast_to(per_row, ctx.lse.shape), dtype=x.dtype)
            rows = x.data.reshape(-1, x.shape[-1])
            gx = kernels.cross_entropy_backward(rows, ctx.lse, *ctx.fused_target, G)
            return x._wrap(gx.reshape(x.shape)), None, None, None
        if target is None:
            target = x._wrap(ctx.target.dense(x.data))
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = CrossEntropyBackward.apply(x, target, g, dim, ctx.scale)
        if ctx.needs_input_grad[1]:
            gt = -LogSoftmax.apply(x, dim) * _per_class(g, dim, ctx.scale)
        return gx, gt, None, None


def _per_class(g, dim, scale):
    """The loss's incoming gradient, shaped to broadcast over the classes (and times the mean's 1/n)."""
    return g.unsqueeze(dim) if scale is None else g * scale


class CrossEntropyBackward(Function):
    """dx = (softmax(x) · Σ_c a_c - a) · G, the cross-entropy's gradient as one node
    (G: the incoming gradient per sample, times the reduction's scale).

    Its own derivatives, for double backward, with p = softmax(x) and w = Σ_c a_c:
        d/dx:  p · (v - Σ_c v p),  v = gg · w · G   (the softmax Jacobian applied to gg · w · G)
        d/da:  (Σ_c gg p - gg) · G
        d/dG:  Σ_c (p w - a) · gg
    """
    @staticmethod
    def forward(ctx, x, a, g, dim, scale):
        xp = get_array_module(x.data)
        ctx.save_for_backward(x, a, g)
        ctx.dim, ctx.scale = dim, scale
        e = xp.exp(x.data - x.data.max(axis=dim, keepdims=True))
        p = e / e.sum(axis=dim, keepdims=True)
        w = a.data.sum(axis=dim, keepdims=True)
        G = xp.expand_dims(g.data, dim) if scale is None else g.data * scale
        return (p * w - a.data) * G

    @staticmethod
    def backward(ctx, gg):
        x, a, g = ctx.saved_tensors
        dim = ctx.dim
        G = _per_class(g, dim, ctx.scale)
        p = Softmax.apply(x, dim)
        w = a.sum(dim, keepdim=True)
        gx = ga = gG = None
        if ctx.needs_input_grad[0]:
            v = gg * w * G
            gx = p * (v - (v * p).sum(dim, keepdim=True))
        if ctx.needs_input_grad[1]:
            ga = ((gg * p).sum(dim, keepdim=True) - gg) * G
        if ctx.needs_input_grad[2]:
            t = (p * w - a) * gg
            gG = t.sum(dim) if ctx.scale is None else t * ctx.scale
        return gx, ga, gG, None, None


# ---------------------------------------------------------------------------------------------
# normalisation
# ---------------------------------------------------------------------------------------------
def _moments(x, dims, eps):
    """Mean and 1/√(var + eps) of x over ``dims`` (biased variance), both keeping the reduced dims."""
    mean = x.mean(dims, keepdim=True)
    centred = x - mean
    return mean, ((centred * centred).mean(dims, keepdim=True) + eps).rsqrt()


class Normalize(Function):
    """y = (x - mean) / √(var + eps) · w + b, statistics over ``dims``: LayerNorm and training-mode
    BatchNorm as one node. ``view`` is the shape w and b take to broadcast against x.

    With x̂ = (x - mean) · rstd and N the number of elements in each normalised group, backward is
        dx̂ = g · w,    dx = rstd · (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)),
        dw = Σ g · x̂,  db = Σ g   (sums over the axes w is broadcast along).
    The two means are what the statistics contribute: shifting all x moves the mean, scaling them
    moves the variance, and neither changes x̂.
    """
    @staticmethod
    def forward(ctx, x, weight, bias, dims, view, eps):
        ctx.save_for_backward(x, weight)
        ctx.dims, ctx.view, ctx.eps = dims, view, eps
        ctx.bias_shape = None if bias is None else bias.shape
        ctx.fused = _fused_layer_norm(x, weight, bias, dims, view)
        if ctx.fused:
            y, mean, rstd = kernels.layer_norm(_as_rows(x, view), *(None if p is None else p.data.reshape(-1)
                                                                    for p in (weight, bias)), eps)
            stat_shape = x.shape[:x.ndim - len(view)] + (1,) * len(view)
            ctx.mean, ctx.rstd = x._wrap(mean.reshape(stat_shape)), x._wrap(rstd.reshape(stat_shape))
            return y.reshape(x.shape)
        mean, rstd = _moments(x, dims, eps)
        ctx.mean, ctx.rstd = mean, rstd
        y = (x - mean) * rstd
        if weight is not None:
            y = y * weight.reshape(view)
        if bias is not None:
            y = y + bias.reshape(view)
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        dims, view = ctx.dims, ctx.view
        if is_grad_enabled():        # double backward: the statistics must be functions of x here
            mean, rstd = _moments(x, dims, ctx.eps)
        else:
            mean, rstd = ctx.mean, ctx.rstd
            if ctx.fused and kernels.usable(g.data):
                return _layer_norm_backward_fused(ctx, x, weight, g)
        xhat = (x - mean) * rstd
        lead = x.ndim - len(view)
        broadcast_axes = tuple(i for i in range(x.ndim) if i < lead or view[i - lead] == 1)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = gw = gb = None
        if need_x:
            gxhat = g * weight.reshape(view) if weight is not None else g
            gx = rstd * (gxhat - gxhat.mean(dims, keepdim=True)
                         - xhat * (gxhat * xhat).mean(dims, keepdim=True))
        if need_w:
            gw = (g * xhat).sum(broadcast_axes).reshape(weight.shape)
        if need_b:
            gb = g.sum(broadcast_axes).reshape(ctx.bias_shape)
        return gx, gw, gb, None, None, None


def _as_rows(x, view):
    """x as a matrix with one row per normalised group (the trailing ``view`` axes flattened)."""
    return x.data.reshape(-1, math.prod(view))


def _fused_layer_norm(x, weight, bias, dims, view):
    """Layer norm (statistics over the trailing axes, weight and bias both given or both absent) on
    arrays a fused kernel takes."""
    trailing = dims == tuple(range(x.ndim - len(view), x.ndim)) and tuple(x.shape[x.ndim - len(view):]) == view
    if not trailing or (weight is None) != (bias is None):
        return False
    return kernels.usable(x.data, *(() if weight is None else (weight.data, bias.data)))


def _layer_norm_backward_fused(ctx, x, weight, g):
    """``Normalize.backward`` for layer norm with the fused kernel for dx; dw and db are column sums."""
    view = ctx.view
    rows, g_rows = _as_rows(x, view), g.data.reshape(-1, math.prod(view))
    mean, rstd = ctx.mean.data.reshape(-1), ctx.rstd.data.reshape(-1)
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    w = None if weight is None else weight.data.reshape(-1)
    gx = x._wrap(kernels.layer_norm_backward(rows, w, mean, rstd, g_rows).reshape(x.shape)) if need_x else None
    gw = gb = None
    if need_w:
        xhat = (rows - mean[:, None]) * rstd[:, None]
        gw = x._wrap((g_rows * xhat).sum(axis=0).reshape(weight.shape))
    if need_b:
        gb = x._wrap(g_rows.sum(axis=0).reshape(ctx.bias_shape))
    return gx, gw, gb, None, None, None


# ---------------------------------------------------------------------------------------------
# embedding and binary cross-entropy
# ---------------------------------------------------------------------------------------------
class Embedding(Function):
    """y = weight[index]: one row of the table per index.

    Backward scatter-adds each output row's gradient into the row it came from (a row used twice
    gets the sum); rows equal to ``padding_idx`` get no gradient, so the padding vector stays fixed.
    """
    @staticmethod
    def forward(ctx, weight, index, padding_idx):
        ctx.shape, ctx.index, ctx.padding_idx = weight.shape, index, padding_idx
        return weight.data[index]

    @staticmethod
    def backward(ctx, g):
        if ctx.padding_idx is not None:
            keep = g._wrap(get_array_module(ctx.index).expand_dims(ctx.index != ctx.padding_idx, -1))
            g = g * keep
        return IndexAdd.apply(g, ctx.shape, (ctx.index,), False), None, None


_LOG_FLOOR = -100.0    # PyTorch clamps log(x) and log(1 - x) at -100, so a saturated input gives 100, not inf


class BinaryCrossEntropy(Function):
    """loss = -(y · log x + (1 - y) · log(1 - x)) elementwise, for probabilities x ∈ [0, 1].

    Both logs are clamped at -100, so x = 0 or 1 (a saturated sigmoid) gives a finite loss.
    Backward: dx = g · (x - y) / max(x (1 - x), 1e-12),  dy = g · (log(1 - x) - log x).
    """
    @staticmethod
    def forward(ctx, x, y):
        xp = get_array_module(x.data)
        ctx.save_for_backward(x, y)
        tiny = math.exp(_LOG_FLOOR)
        log_x = xp.maximum(xp.log(xp.maximum(x.data, tiny)), _LOG_FLOOR)
        log_1mx = xp.maximum(xp.log(xp.maximum(1 - x.data, tiny)), _LOG_FLOOR)
        return -(y.data * log_x + (1 - y.data) * log_1mx)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - y) / (x * (1 - x)).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            tiny = math.exp(_LOG_FLOOR)
            gy = g * ((1 - x).clamp(min=tiny).log().clamp(min=_LOG_FLOOR)
                      - x.clamp(min=tiny).log().clamp(min=_LOG_FLOOR))
        return gx, gy


# ---------------------------------------------------------------------------------------------
# the LSTM cell
# ---------------------------------------------------------------------------------------------
def _lstm_parts(z, c_prev):
    """Gates and new cell state from the pre-activations z = [z_i, z_f, z_g, z_o] (arrays)."""
    xp = get_array_module(z)
    n = c_prev.shape[-1]

    def sigmoid(v):
        return (xp.tanh(v * 0.5) + 1) * 0.5

    i, f = sigmoid(z[..., :n]), sigmoid(z[..., n:2 * n])
    g, o = xp.tanh(z[..., 2 * n:3 * n]), sigmoid(z[..., 3 * n:])
    c = f * c_prev + i * g
    return i, f, g, o, c, xp.tanh(c)


class LSTMGates(Function):
    """The LSTM cell's gate arithmetic as one node (PyTorch's gate order i, f, g, o):

        i, f, o = σ(z_i), σ(z_f), σ(z_o),   g = tanh(z_g)
        c = f ⊙ c₋ + i ⊙ g,                 h = o ⊙ tanh(c)

    z is the step's pre-activation x W_ihᵀ + h₋ W_hhᵀ + b (one matmul for all four gates).
    Ten small ops per time step become one node; its backward is ``LSTMGatesBackward``.
    """
    @staticmethod
    def forward(ctx, z, c_prev):
        ctx.save_for_backward(z, c_prev)
        i, f, g, o, c, tc = _lstm_parts(z.data, c_prev.data)
        return o * tc, c

    @staticmethod
    def backward(ctx, dh, dc):
        z, c_prev = ctx.saved_tensors
        return LSTMGatesBackward.apply(z, c_prev, dh, dc)


class LSTMGatesBackward(Function):
    """The LSTM cell's backward as one node. With tc = tanh(c) and dĉ = dc + dh ⊙ o ⊙ (1 - tc²):

        dz_i = dĉ ⊙ g ⊙ i(1-i),   dz_f = dĉ ⊙ c₋ ⊙ f(1-f),   dz_g = dĉ ⊙ i ⊙ (1-g²),
        dz_o = dh ⊙ tc ⊙ o(1-o),  dc₋ = dĉ ⊙ f

    Its own derivatives (double backward) come from differentiating the same formulas written
    with Tensor ops (``_lstm_backward_reference``), so the fused arithmetic has a reference.
    """
    @staticmethod
    def forward(ctx, z, c_prev, dh, dc):
        xp = get_array_module(z.data)
        ctx.save_for_backward(z, c_prev, dh, dc)
        i, f, g, o, c, tc = _lstm_parts(z.data, c_prev.data)
        dct = dc.data + dh.data * o * (1 - tc * tc)
        dz = xp.concatenate([dct * g * i * (1 - i), dct * c_prev.data * f * (1 - f),
                             dct * i * (1 - g * g), dh.data * tc * o * (1 - o)], axis=-1)
        return dz, dct * f

    @staticmethod
    def backward(ctx, gdz, gdc):
        leaves = [t.detach().requires_grad_() for t in ctx.saved_tensors]
        with enable_grad():
            outs = _lstm_backward_reference(*leaves)
        # second derivatives at this point; they do not carry a third-order graph back to z
        return grad(outs, leaves, (gdz, gdc), create_graph=True, allow_unused=True)


def _lstm_backward_reference(z, c_prev, dh, dc):
    """``LSTMGatesBackward`` composed from Tensor ops (differentiable again)."""
    n = c_prev.shape[-1]
    zi, zf, zg, zo = z.reshape(z.shape[:-1] + (4, n)).unbind(z.ndim - 1)
    i, f, g, o = zi.sigmoid(), zf.sigmoid(), zg.tanh(), zo.sigmoid()
    tc = (f * c_prev + i * g).tanh()
    dct = dc + dh * o * (1 - tc * tc)
    parts = (dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * (1 - g * g), dh * tc * o * (1 - o))
    return Cat.apply(z.ndim - 1, *parts), dct * f
