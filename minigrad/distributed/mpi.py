"""The MPI backend: collectives on host (NumPy) arrays through mpi4py.

MPI (the Message Passing Interface) is how supercomputers have run one program on many machines
since the 1990s: ``mpiexec -n N`` starts N processes and gives each a rank; the library moves
the bytes (shared memory between processes of one machine, the network between machines) and
picks an algorithm per collective and message size. ``pip install mpi4py mpich`` brings both
the Python binding and an MPI library with its ``mpiexec``.

Every operation here is *nonblocking* (``Iallreduce``, ``Ibcast``...): it returns at once and the
front end (``process_group.Work``) polls ``Test()`` with a deadline. A blocking ``Allreduce``
would wait for ever for a rank that died; polling is how a collective gets a timeout. Polling
also drives MPI's progress: MPICH moves a nonblocking collective on when it is tested.
"""
import os

import numpy

from ..backend import get_array_module


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError("minigrad.distributed's 'mpi' backend needs mpi4py and an MPI library: "
                          "pip install mpi4py mpich   (or pip install -e \".[distributed]\")") from None
    return MPI


class MPICommunicator:
    """``MPI.COMM_WORLD`` as the process group: every rank ``mpiexec`` started."""

    def __init__(self):
        self.MPI = _import_mpi()
        # a duplicate, so minigrad's messages never match those of other MPI code in the program
        self._comm = self.MPI.COMM_WORLD.Dup()
        self.rank = self._comm.Get_rank()
        self.world_size = self._comm.Get_size()
        self.host = self               # where small host-side exchanges go (see all_gather_object)

    def buffer_for(self, data):
        """MPI reads and writes host memory in place: a C-contiguous NumPy array is used as it is,
        anything else (a strided view, a GPU array) is staged in a contiguous host copy."""
        if isinstance(data, numpy.ndarray) and data.flags.c_contiguous:
            return data
        if isinstance(data, numpy.ndarray):
            return numpy.ascontiguousarray(data)
        return get_array_module(data).asnumpy(data)

    def all_reduce(self, buffer, op):
        mpi_op = self.MPI.MAX if op == 'max' else self.MPI.SUM
        return self._comm.Iallreduce(self.MPI.IN_PLACE, buffer, op=mpi_op).Test

    def broadcast(self, buffer, src):
        return self._comm.Ibcast(buffer, root=src).Test

    def all_gather(self, out, buffer):
        return self._comm.Iallgather(buffer, out).Test

    def barrier(self):
        return self._comm.Ibarrier().Test

    def abort(self, code):
        """End every rank: ``MPI_Abort`` tells ``mpiexec`` to kill them all. MPICH's may return
        before this process is gone, so exit here too."""
        self._comm.Abort(code)
        os._exit(code)

    def close(self):
        self._comm.Free()
