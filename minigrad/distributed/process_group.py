"""The default process group and its collectives, with PyTorch's names.

A *process group* is the set of processes (ranks ``0 .. world_size - 1``) that train one model
together. ``mpiexec -n 4 python train.py`` starts four copies of the script; each calls
``init_process_group`` and learns its rank and the world size from MPI. After that, every rank
must call the same collectives in the same order: a collective completes only when all ranks
have joined it.

Each collective changes its tensor in place, like PyTorch's:

- ``all_reduce(t, op)``: every rank ends with the sum (or mean, or maximum) of all ranks' ``t``;
- ``broadcast(t, src)``: every rank ends with rank ``src``'s ``t``;
- ``all_gather(tensor_list, t)``: ``tensor_list[r]`` becomes rank ``r``'s ``t``, on every rank;
- ``barrier()``: returns once every rank has reached it.

With ``async_op=True`` a collective returns a ``Work`` at once and runs while the caller goes on
(DistributedDataParallel averages one bucket of gradients while backward computes the next);
``work.wait()`` finishes it.

**Faults.** A collective waits at most ``timeout`` (given to ``init_process_group``): a rank that
crashed, was killed, or took another path through the program would otherwise leave the others
waiting for ever. Past the timeout the wait raises ``DistBackendError``. An exception that no one
catches, on any rank, aborts *all* ranks (``MPI_Abort``) once its traceback is printed: the
other ranks may be inside a collective that can no longer complete, and MPI cannot cancel one.
"""
import json
import sys
import time
from datetime import timedelta

import numpy

from ..backend import get_array_module

DEFAULT_TIMEOUT = timedelta(minutes=5)


class ReduceOp:
    """How ``all_reduce`` combines the ranks' tensors (``dist.ReduceOp.SUM`` as in PyTorch)."""
    SUM = 'sum'
    AVG = 'avg'        # a sum, then divided by the world size: MPI has no mean
    MAX = 'max'


class DistBackendError(RuntimeError):
    """A collective failed or timed out; the process group can no longer be used."""


class Work:
    """A collective in flight: ``wait()`` blocks until it is done (or the timeout passes),
    ``is_completed()`` asks without blocking.

    ``test`` says whether the backend has finished; ``finish`` then runs once on the caller's side
    (copy a staged buffer back into the tensor, divide a sum for ``AVG``).
    """

    def __init__(self, what, test, finish=None):
        self.what = what
        self._test = test
        self._finish = finish
        self._done = False

    def is_completed(self):
        if not self._done and self._test():
            self._complete()
        return self._done

    def wait(self):
        """Poll until done. Tight polling first (small collectives finish in microseconds), then
        sleeps that double up to 1 ms, so a long wait does not hold a CPU core that another rank on
        the same machine may need."""
        group = _group()
        deadline = time.monotonic() + group.timeout
        pause = 0.0
        polls = 0
        while not self.is_completed():
            if time.monotonic() > deadline:
                raise DistBackendError(
                    f"rank {group.rank}: {self.what} did not complete within {group.timeout:g} s: another rank "
                    f"crashed, was killed, or did not call {self.what} (every rank must call the same "
                    f"collectives in the same order). A collective cannot be cancelled, so this process "
                    f"group is unusable.")
            polls += 1
            if polls > 1000:
                time.sleep(pause)
                pause = min(max(pause * 2, 1e-6), 1e-3)
        return True

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()


class _Group:
    """The default process group: the backend's communicator, rank, world size and timeout."""

    def __init__(self, backend_name, comm, timeout):
        self.backend = backend_name
        self.comm = comm
        self.rank = comm.rank
        self.world_size = comm.world_size
        self.timeout = timeout


_default = None                     # the _Group once init_process_group has run
_previous_excepthook = None


def init_process_group(backend='mpi', timeout=None, world_size=-1, rank=-1):
    """Join the default process group: ``backend`` is ``'mpi'`` (CPU, through mpi4py) or ``'nccl'``
    (GPUs, through CuPy; MPI still tells each process its rank and passes NCCL's id around).

    Rank and world size come from the launcher (``mpiexec -n N``; a plain ``python`` is a world
    of one); ``world_size``/``rank``, if given, are checked against them. ``timeout`` (a
    ``timedelta`` or seconds, default 5 minutes) bounds every wait on a collective.
    """
    global _default, _previous_excepthook
    if _default is not None:
        raise RuntimeError("init_process_group: the default process group is already initialized "
                           "(call destroy_process_group first)")
    if backend == 'mpi':
        from .mpi import MPICommunicator as communicator
    elif backend == 'nccl':
        from .nccl import NCCLCommunicator as communicator
    else:
        raise ValueError(f"init_process_group: backend must be 'mpi' or 'nccl', got {backend!r}")
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    if not seconds > 0:
        raise ValueError(f"init_process_group: timeout must be positive, got {timeout!r}")
    comm = communicator()
    for name, asked, actual in (('world_size', world_size, comm.world_size), ('rank', rank, comm.rank)):
        if asked not in (-1, actual):
            raise ValueError(f"init_process_group: {name}={asked}, but the launcher made this process "
                             f"{name} {actual} (mpiexec -n N decides both)")
    _default = _Group(backend, comm, seconds)
    if comm.world_size > 1:
        _previous_excepthook, sys.excepthook = sys.excepthook, _abort_all_ranks


def _abort_all_ranks(exc_type, exc, tb):
    """``sys.excepthook`` while a group of several ranks is up: print the error, then abort every
    rank, since the others may be waiting in a collective this rank will never join."""
    group = _default
    print(f"minigrad.distributed: rank {group.rank} of {group.world_size} failed with "
          f"{exc_type.__name__}; aborting all ranks", file=sys.stderr)
    _previous_excepthook(exc_type, exc, tb)
    sys.stderr.flush()
    sys.stdout.flush()
    group.comm.abort(1)


def destroy_process_group():
    """Leave the default process group (after the last collective)."""
    global _default
    group = _group()
    if sys.excepthook is _abort_all_ranks:
        sys.excepthook = _previous_excepthook
    group.comm.close()
    _default = None


def is_initialized():
    return _default is not None


def is_available():
    """Whether the MPI backend can be used: mpi4py (and an MPI library) is installed."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def _group():
    if _default is None:
        raise RuntimeError("minigrad.distributed: the default process group is not initialized; "
                           "call init_process_group() first")
    return _default


def get_rank():
    return _group().rank


def get_world_size():
    return _group().world_size


def get_backend():
    return _group().backend


# ----- collectives: each stages the tensor's array for the backend, then starts the operation -----

def _staged(tensor):
    """``(buffer, finish)``: the contiguous array of the backend's kind (host for MPI, GPU for
    NCCL) that the collective works on, and a function that copies it back into ``tensor`` when it
    is not ``tensor.data`` itself."""
    data = tensor.data
    buffer = _group().comm.buffer_for(data)
    if buffer is data:
        return buffer, lambda: None
    xp = get_array_module(data)

    def copy_back():
        data[...] = xp.asarray(buffer)
    return buffer, copy_back


def _run(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor, op=ReduceOp.SUM, async_op=False):
    """Combine ``tensor`` across ranks in place: every rank ends with the same result.

    The MPI library chooses the algorithm; for large messages it is a ring (or its cousins): each
    of N ranks sends and receives 2 (N - 1) / N of the message, whatever N is (see ``ring.py``).
    """
    if op not in (ReduceOp.SUM, ReduceOp.AVG, ReduceOp.MAX):
        raise ValueError(f"all_reduce: op must be ReduceOp.SUM, AVG or MAX, got {op!r}")
    group = _group()
    buffer, copy_back = _staged(tensor)
    test = group.comm.all_reduce(buffer, ReduceOp.MAX if op == ReduceOp.MAX else ReduceOp.SUM)

    def finish():
        if op == ReduceOp.AVG:
            buffer[...] = buffer / group.world_size
        copy_back()
    return _run(Work('all_reduce', test, finish), async_op)


def broadcast(tensor, src, async_op=False):
    """Overwrite ``tensor`` on every rank with rank ``src``'s."""
    group = _group()
    if not 0 <= src < group.world_size:
        raise ValueError(f"broadcast: src must be a rank in [0, {group.world_size}), got {src}")
    buffer, copy_back = _staged(tensor)
    return _run(Work('broadcast', group.comm.broadcast(buffer, src), copy_back), async_op)


def all_gather(tensor_list, tensor, async_op=False):
    """Fill ``tensor_list`` (one tensor per rank, shaped like ``tensor``) with every rank's ``tensor``."""
    group = _group()
    if len(tensor_list) != group.world_size:
        raise ValueError(f"all_gather: tensor_list needs one tensor per rank ({group.world_size}), "
                         f"got {len(tensor_list)}")
    buffer, _ = _staged(tensor)
    xp = get_array_module(buffer)
    gathered = xp.empty((group.world_size,) + buffer.shape, buffer.dtype)

    def scatter_into_list():
        for out, part in zip(tensor_list, gathered):
            out.data[...] = get_array_module(out.data).asarray(part)
    return _run(Work('all_gather', group.comm.all_gather(gathered, buffer), scatter_into_list), async_op)


def all_gather_object(object_list, obj):
    """Fill ``object_list`` (one slot per rank) with every rank's ``obj``.

    ``obj`` must be what JSON can hold (numbers, strings, lists, dicts; tuples come back as lists):
    PyTorch's version can run code a peer sent; this one only ever reads data.
    Encoded objects have no fixed size, so this takes two collectives: the longest encoding's length
    (an all-reduce with MAX), then the encodings, each padded to that length (an all-gather). Both
    go through host memory, over MPI, whatever the backend."""
    group = _group()
    host = group.comm.host
    payload = numpy.frombuffer(json.dumps(obj).encode('utf-8'), numpy.uint8)
    length = numpy.array([payload.size], numpy.int64)
    _run(Work('all_gather_object', host.all_reduce(length, ReduceOp.MAX)), False)
    padded = numpy.zeros(int(length[0]), numpy.uint8)
    padded[:payload.size] = payload
    gathered = numpy.empty((group.world_size, padded.size), numpy.uint8)
    _run(Work('all_gather_object', host.all_gather(gathered, padded)), False)
    object_list[:] = [json.loads(row.tobytes().rstrip(b'\0').decode('utf-8')) for row in gathered]


def barrier(async_op=False):
    """Wait until every rank has called ``barrier``."""
    return _run(Work('barrier', _group().comm.barrier()), async_op)
