"""minigrad.distributed: several processes train one model, with PyTorch's names.

    process_group.py   init_process_group, get_rank, get_world_size, the collectives
                       (all_reduce, broadcast, all_gather, barrier), ReduceOp, timeouts, faults
    mpi.py             the 'mpi' backend: host arrays through mpi4py (pip install mpi4py mpich)
    nccl.py            the 'nccl' backend: GPU arrays through CuPy's NCCL binding
    ring.py            the ring all-reduce simulated in NumPy, and its cost model

A script becomes data-parallel with four lines, and runs as N copies under ``mpiexec``::

    import minigrad.distributed as dist
    from minigrad.nn.parallel import DistributedDataParallel
    from minigrad.utils.data import DistributedSampler

    dist.init_process_group('mpi')                     # rank and world size come from mpiexec
    model = DistributedDataParallel(model)             # same start everywhere; gradients averaged
    loader = DataLoader(data, batch_size=b, sampler=DistributedSampler(data))   # a shard per rank

    $ mpiexec -n 4 python train.py
"""
from .process_group import (DEFAULT_TIMEOUT, DistBackendError, ReduceOp, Work, all_gather, all_gather_object,
                            all_reduce, barrier, broadcast, destroy_process_group, get_backend, get_rank,
                            get_world_size, init_process_group, is_available, is_initialized)

__all__ = ['DEFAULT_TIMEOUT', 'DistBackendError', 'ReduceOp', 'Work', 'all_gather', 'all_gather_object',
           'all_reduce', 'barrier', 'broadcast', 'destroy_process_group', 'get_backend', 'get_rank',
           'get_world_size', 'init_process_group', 'is_available', 'is_initialized']
