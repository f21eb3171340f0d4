"""Losses with hand-written backward passes: cross-entropy (fused with log-softmax) and binary
cross-entropy.

Cross-entropy is one graph node rather than log-softmax, a product and a sum: fewer nodes is
faster, and the fused gradient ``softmax - onehot`` is numerically safer. Its backward is
another node (``CrossEntropyBackward``) whose own backward is written with Tensor ops, so double
backward works.

On the GPU, cross-entropy against integer classes runs as a fused CUDA kernel whenever the
arrays allow it: the first lines of its forward and backward ask ``minigrad.cuda.fused`` and
return its answer (the fast path); the lines below them are the composed reference the kernel is
tested against, and what runs on the CPU and under ``create_graph=True``.
"""
from ..autograd.function import Function
from ..backend import get_array_module
from ..cuda import fused
from .activation import LogSoftmax, Softmax


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
        ctx.save_for_backward(x, target if not isinstance(target, ClassTarget) else None)
        ctx.target, ctx.dim, ctx.scale, ctx.fused = target, dim, scale, None
        if isinstance(target, ClassTarget):
            fast = fused.cross_entropy(x.data, target, dim, scale)
            if fast is not None:    # fast path: the fused kernel computed exactly the lines below
                loss, ctx.fused = fast
                return loss
        xp = get_array_module(x.data)
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
        gx = fused.cross_entropy_backward(x.data, ctx.fused, g.data, ctx.scale)
        if gx is not None:          # fast path: the fused kernel computed exactly the lines below
            return x._wrap(gx), None, None, None
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


_LOG_FLOOR = -100.0    # PyTorch clamps log(x) and log(1 - x) at -100, so a saturated input gives 100, not inf


def _floored_log(p):
    """log p, clamped at -100 (so log 0 is -100). The floor is applied after the log: flooring p at
    e^-100 instead would not do, as e^-100 is below float32's smallest normal number and its log
    comes out as -99.98."""
    zero = p <= 0
    return p.masked_fill(zero, 1).log().clamp(min=_LOG_FLOOR).masked_fill(zero, _LOG_FLOOR)


class BinaryCrossEntropy(Function):
    """loss = -(y · log x + (1 - y) · log(1 - x)) elementwise, for probabilities x ∈ [0, 1].

    Both logs are clamped at -100, so x = 0 or 1 (a saturated sigmoid) gives a finite loss (100).
    Backward: dx = g · (x - y) / max(x (1 - x), 1e-12),  dy = g · (log(1 - x) - log x).
    """
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return -(y * _floored_log(x) + (1 - y) * _floored_log(1 - x))

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            # 1e-12 as PyTorch, or the smallest normal number where that is larger (float16, where 1e-12
            # rounds to 0 and the quotient would be inf)
            floor = max(1e-12, float(get_array_module(x.data).finfo(x.dtype).tiny))
            gx = g * (x - y) / (x * (1 - x)).clamp(min=floor)
        if ctx.needs_input_grad[1]:
            gy = g * (_floored_log(1 - x) - _floored_log(x))
        return gx, gy
