"""The NCCL backend: collectives between GPUs, one GPU per rank, through CuPy's NCCL binding.

NCCL (NVIDIA's collective communication library) runs each collective as a CUDA kernel on the
GPU's stream: the bytes go GPU to GPU over NVLink or the network, never through host memory.
Launching is asynchronous, so a collective is done when an event recorded after it on the stream
has completed; the front end polls that event with its deadline, as it polls MPI requests.

MPI still does the rendezvous: it tells each process its rank, and rank 0's NCCL id (the address
the others connect to) is broadcast over it, where PyTorch would use a key-value store.

Not run in minigrad's CI (it has no GPU): this path is written to the NCCL API that CuPy exposes
(``NcclCommunicator(ndev, id, rank)``, ``allReduce``, ``bcast``, ``allGather``).
"""
from .mpi import MPICommunicator


class NCCLCommunicator:
    """One NCCL communicator over all ranks; rank ``r`` uses GPU ``r % (GPUs on its machine)``."""

    def __init__(self):
        try:
            import cupy
            from cupy.cuda import nccl
        except ImportError:
            raise ImportError("the 'nccl' backend needs CuPy built with NCCL and an NVIDIA GPU: "
                              "pip install cupy-cuda12x; use backend='mpi' on CPUs") from None
        self.cupy, self.nccl = cupy, nccl
        self.host = MPICommunicator()
        self.rank, self.world_size = self.host.rank, self.host.world_size
        cupy.cuda.Device(self.rank % cupy.cuda.runtime.getDeviceCount()).use()
        uid = self.host.MPI.COMM_WORLD.bcast(nccl.get_unique_id() if self.rank == 0 else None, root=0)
        self._comm = nccl.NcclCommunicator(self.world_size, uid, self.rank)
        self._types = {'float16': nccl.NCCL_FLOAT16, 'float32': nccl.NCCL_FLOAT32,
                       'float64': nccl.NCCL_FLOAT64, 'int32': nccl.NCCL_INT32,
                       'int64': nccl.NCCL_INT64, 'uint8': nccl.NCCL_UINT8}

    def buffer_for(self, data):
        """NCCL works on contiguous GPU memory: a host array or a strided view is staged in a copy."""
        return self.cupy.ascontiguousarray(self.cupy.asarray(data))

    def _launched(self, launch, buffer):
        """Start a collective on the current stream; return the test that says it has finished."""
        stream = self.cupy.cuda.get_current_stream()
        launch(self._types[buffer.dtype.name], stream.ptr)
        done = self.cupy.cuda.Event(disable_timing=True)
        done.record(stream)
        return lambda: done.done

    def all_reduce(self, buffer, op):
        nccl_op = self.nccl.NCCL_MAX if op == 'max' else self.nccl.NCCL_SUM
        return self._launched(lambda dtype, stream: self._comm.allReduce(
            buffer.data.ptr, buffer.data.ptr, buffer.size, dtype, nccl_op, stream), buffer)

    def broadcast(self, buffer, src):
        return self._launched(lambda dtype, stream: self._comm.bcast(
            buffer.data.ptr, buffer.size, dtype, src, stream), buffer)

    def all_gather(self, out, buffer):
        return self._launched(lambda dtype, stream: self._comm.allGather(
            buffer.data.ptr, out.data.ptr, buffer.size, dtype, stream), buffer)

    def barrier(self):
        """NCCL has no barrier: an all-reduce of one number joins every rank just the same."""
        return self.all_reduce(self.cupy.zeros(1, self.cupy.float32), 'sum')

    def abort(self, code):
        self._comm.abort()
        self.host.abort(code)

    def close(self):
        self._comm.destroy()
        self.host.close()
