"""DistributedDataParallel: the same model on every rank, each rank on its own share of the batch.

Data parallelism in three rules:

1. **Start equal.** At wrap time rank 0's parameters and buffers are broadcast to every rank.
2. **Average the gradients.** Each rank runs forward and backward on its own b samples; then the
   gradients are all-reduced with ``AVG``. The mean over N ranks of per-rank mean losses is the
   mean loss over all N b samples, so every rank now holds the gradient one process would have
   computed on the whole batch of N b.
3. **Step equal.** Every rank applies the same optimizer step to the same parameters with the
   same gradient, so the replicas stay identical, step after step, with no further messages.

**Buckets.** One all-reduce per parameter would pay the latency alpha hundreds of times per
step; one all-reduce of everything would wait until backward has finished. The middle way:
parameters are grouped, in the reverse order of ``parameters()`` (roughly the order backward
produces their gradients), into buckets of about ``bucket_cap_mb``. A hook on each parameter
(``Tensor.register_post_accumulate_grad_hook``) counts the gradients that are ready; when a
bucket is complete its gradients are flattened into one array and its all-reduce is started
*asynchronously*, while backward goes on computing the gradients of earlier layers. The hook of
the last parameter waits for all buckets and copies the averages back into ``.grad``.

``no_sync()`` skips the averaging, for gradient accumulation: gradients of several micro-batches
sum up locally, and the first backward outside ``no_sync`` averages the sum.

This module sits with ``minigrad.distributed`` in the layers (above ``nn``: it needs the
collectives); its home is ``nn/parallel.py`` because that is where PyTorch users look for it.
"""
from contextlib import contextmanager

from .. import distributed as dist
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..tensor import cat
from .module import Module


class _Bucket:
    """Parameters whose gradients travel in one all-reduce; ``ready``: those whose gradient this
    backward has finished."""

    def __init__(self):
        self.params = []
        self.nbytes = 0
        self.ready = set()
        self.flat = None            # the flattened gradients while their all-reduce is in flight
        self.work = None


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the default process group.

    ``broadcast_buffers``: copy rank 0's buffers (BatchNorm's running statistics) to every rank
    before each forward, as PyTorch does. ``bucket_cap_mb``: the size at which a bucket is closed.
    """

    def __init__(self, module, broadcast_buffers=True, bucket_cap_mb=25):
        super().__init__()
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        self._sync_this_backward = True
        _check_same_model_on_every_rank(module)
        with no_grad():
            for t in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(t, src=0)
        self._buckets = _make_buckets([p for p in module.parameters() if p.requires_grad],
                                      bucket_cap_mb * 2 ** 20)
        self._bucket_of = {p: b for b in self._buckets for p in b.params}
        self._issued = []
        for p in self._bucket_of:
            p.register_post_accumulate_grad_hook(self._grad_ready)

    def forward(self, *args, **kwargs):
        self._check_last_backward_finished()
        if self.broadcast_buffers:
            with no_grad():
                for b in self.module.buffers():
                    dist.broadcast(b, src=0)
        # as in PyTorch, no_sync applies to the backward of a forward run inside it
        self._sync_this_backward = self.require_backward_grad_sync and is_grad_enabled()
        return self.module(*args, **kwargs)

    @contextmanager
    def no_sync(self):
        """Backward passes of forwards run in this block keep their gradients local (accumulated)."""
        before, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = before

    # ----- the gradient hooks -----
    def _grad_ready(self, param):
        if not self._sync_this_backward:
            return
        bucket = self._bucket_of[param]
        bucket.ready.add(param)
        if len(bucket.ready) < len(bucket.params):
            for issued in self._issued:     # testing a request is what moves MPI's transfer on
                issued.work.is_completed()
            return
        with no_grad():
            bucket.flat = cat([p.grad.reshape(-1) for p in bucket.params])
        bucket.work = dist.all_reduce(bucket.flat, dist.ReduceOp.AVG, async_op=True)
        self._issued.append(bucket)
        if len(self._issued) == len(self._buckets):
            self._finish_buckets()

    def _finish_buckets(self):
        """Wait for every bucket's all-reduce and copy the averaged gradients back into ``.grad``."""
        with no_grad():
            for bucket in self._issued:
                bucket.work.wait()
                start = 0
                for p in bucket.params:
                    n = p.numel()
                    p.grad.copy_(bucket.flat[start:start + n].view(p.shape))
                    start += n
                bucket.ready, bucket.flat, bucket.work = set(), None, None
        self._issued = []

    def _check_last_backward_finished(self):
        """Buckets left unfinished mean that a parameter got no gradient in the last backward (it
        was not used): its bucket was never all-reduced, and the ranks' gradients went unaveraged."""
        if self._issued or any(b.ready for b in self._buckets):
            missing = [name for name, p in self.module.named_parameters() if p in self._bucket_of
                       and self._bucket_of[p] not in self._issued and p not in self._bucket_of[p].ready]
            raise RuntimeError(
                "DistributedDataParallel: the last backward did not reach every parameter, so some "
                f"gradients were not averaged across ranks. Parameters without a gradient: {missing}. "
                "Every parameter must take part in the loss (or set requires_grad=False on unused ones "
                "before wrapping).")


def _make_buckets(params, cap_bytes):
    """Group ``params`` in reverse order into buckets of up to ``cap_bytes`` (one dtype and device
    per bucket: its gradients are concatenated into one array)."""
    buckets = []
    for p in reversed(params):
        size = p.numel() * p.element_size()
        last = buckets[-1] if buckets else None
        if last is None or last.nbytes + size > cap_bytes or \
                (last.params[0].dtype, last.params[0].device) != (p.dtype, p.device):
            last = _Bucket()
            buckets.append(last)
        last.params.append(p)
        last.nbytes += size
    return buckets


def _check_same_model_on_every_rank(module):
    """Every rank must wrap the same architecture; otherwise the broadcast and the gradient
    averaging would pair up tensors of different shapes. Each rank gathers everyone's list of
    ``(name, shape, dtype)`` and compares it with rank 0's, so all ranks raise the same error."""
    mine = [(name, tuple(t.shape), str(t.dtype))
            for named in (module.named_parameters(), module.named_buffers()) for name, t in named]
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, mine)
    everyone = [[(name, tuple(shape), dtype) for name, shape, dtype in theirs] for theirs in everyone]
    reference = everyone[0]
    for rank, theirs in enumerate(everyone):
        if len(theirs) != len(reference):
            raise RuntimeError(f"DistributedDataParallel: every rank must wrap the same model, but rank 0 has "
                               f"{len(reference)} parameters and buffers and rank {rank} has {len(theirs)}")
        for ours, other in zip(reference, theirs):
            if ours != other:
                raise RuntimeError(
                    f"DistributedDataParallel: every rank must wrap the same model, but rank 0 has "
                    f"{ours[0]!r} of shape {ours[1]} ({ours[2]}) where rank {rank} has {other[0]!r} of "
                    f"shape {other[1]} ({other[2]})")
