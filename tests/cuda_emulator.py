"""Run minigrad's CUDA kernel source on the CPU, so the kernels are tested where there is no GPU.

``minigrad.cuda.kernels.SOURCE`` is compiled with g++ under a small shim that gives it what CUDA
gives a kernel: ``threadIdx``/``blockIdx``/``blockDim``/``gridDim`` and ``__shfl_xor_sync``.
A warp's 32 lanes are coroutines (``ucontext``) taking turns on one thread: a shuffle is a
write to a shared slot, a turn round the warp (so every lane has written), a read of the partner
lane's slot and a second turn, which is what the hardware instruction does. Warps run one after
another: the kernels never synchronise across warps (no ``__syncthreads``), so that order cannot
change a result. Lanes that disagree on how many shuffles they make would break the round, as
they would misbehave on a GPU.

``Emulator`` plays CuPy's part for ``kernels.set_runtime``: its ``launch`` receives the same
arguments a CuPy ``RawKernel`` call would, checks each one against the kernel's declared
parameter types (an array of the right dtype for a pointer, a NumPy scalar of exactly the right
width for ``int``/``long long``/``T``) - the contract CuPy relies on and cannot check itself -
and calls the compiled kernel with CUDA's calling convention (an array of pointers to arguments).
"""
import ctypes
import os
import re
import shutil
import subprocess

import numpy as np

from minigrad.cuda import kernels

SHIM = r'''
#include <math.h>
#include <ucontext.h>
#include <functional>

struct Dim3 { unsigned x = 1, y = 1, z = 1; };
static Dim3 threadIdx, blockIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __forceinline__ inline

// The 32 lanes of a warp are coroutines on one OS thread: a lane runs until it reaches a shuffle,
// then hands over to the next lane, round the warp. threadIdx is switched with the lane.
static ucontext_t main_context, lane_context[32];
static char lane_stack[32][256 * 1024];
static unsigned lane_now, warp_first;
static double slot[32];
static const std::function<void()>* the_kernel;

static void pass_to_next_lane() {                // every lane does this at the same points
    unsigned me = lane_now;
    lane_now = (me + 1) % 32;
    threadIdx.x = warp_first + lane_now;
    swapcontext(&lane_context[me], &lane_context[lane_now]);
    threadIdx.x = warp_first + me;
}

template<typename T> T __shfl_xor_sync(unsigned, T v, int lane_mask) {
    const unsigned lane = threadIdx.x % 32;
    slot[lane] = (double)v;                      // float and double both round-trip exactly
    pass_to_next_lane();                         // back here once all 32 lanes have written
    T other = (T)slot[lane ^ lane_mask];
    pass_to_next_lane();                         // nobody overwrites a slot before all have read
    return other;
}

static void run_lane() {
    (*the_kernel)();
    unsigned me = lane_now;
    if (me == 31) { setcontext(&main_context); }
    lane_now = me + 1;
    threadIdx.x = warp_first + lane_now;
    setcontext(&lane_context[lane_now]);
}

static void launch(unsigned grid, unsigned block, const std::function<void()>& kernel) {
    the_kernel = &kernel;
    blockDim.x = block; gridDim.x = grid;
    for (unsigned b = 0; b < grid; ++b)
        for (unsigned first = 0; first < block; first += 32) {
            blockIdx.x = b; warp_first = first;
            for (unsigned l = 0; l < 32; ++l) {
                getcontext(&lane_context[l]);
                lane_context[l].uc_stack.ss_sp = lane_stack[l];
                lane_context[l].uc_stack.ss_size = sizeof lane_stack[l];
                lane_context[l].uc_link = nullptr;
                makecontext(&lane_context[l], run_lane, 0);
            }
            lane_now = 0; threadIdx.x = first;
            swapcontext(&main_context, &lane_context[0]);
        }
}
'''

_DTYPES = {'float': np.float32, 'double': np.float64}
_KERNEL = re.compile(r'template<typename T> __global__ void (\w+)\(([^)]*)\)')


def kernel_signatures(source=kernels.SOURCE):
    """{kernel name: [parameter type, ...]} of the templated ``__global__`` functions in ``source``."""
    out = {}
    for name, params in _KERNEL.findall(source):
        out[name] = [p.strip().rsplit(' ', 1)[0].replace(' *', '*') for p in params.split(',')]
    return out


def _instantiate(types, ctype):
    return [t.replace('T', ctype) if t in ('T', 'T*', 'const T*') else t for t in types]


def wrappers(signatures):
    """One ``extern "C"`` entry point per kernel and dtype, taking CUDA's ``void** args``."""
    lines = []
    for name, types in signatures.items():
        for ctype in _DTYPES:
            args = ', '.join(f'*({t}*)args[{k}]' for k, t in enumerate(_instantiate(types, ctype)))
            lines.append(f'extern "C" void {name}_{ctype}(unsigned grid, unsigned block, void** args) '
                         f'{{ launch(grid, block, [&] {{ {name}<{ctype}>({args}); }}); }}')
    return '\n'.join(lines)


def compiler():
    return shutil.which('g++')


class Emulator:
    """A kernel runtime for ``kernels.set_runtime`` that runs SOURCE on NumPy arrays (CPU)."""
    xp = np

    def __init__(self, workdir):
        self.signatures = kernel_signatures()
        missing = set(kernels.KERNEL_NAMES) - set(self.signatures)
        if missing:
            raise RuntimeError(f"kernels named in KERNEL_NAMES but not found in SOURCE: {sorted(missing)}")
        self.workdir = workdir
        self._lib = None
        self.launches = []          # (name, dtype, grid, block) of every launch, for the tests

    @property
    def lib(self):
        """The compiled kernels, built at the first launch as CuPy builds them (so the first op to
        launch a kernel pays for the compiler, here as on a GPU)."""
        if self._lib is None:
            src = os.path.join(self.workdir, 'kernels_emulated.cpp')
            lib = os.path.join(self.workdir, 'kernels_emulated.so')
            with open(src, 'w') as f:
                f.write(SHIM + kernels.SOURCE + wrappers(self.signatures))
            subprocess.run([compiler(), '-std=c++20', '-O1', '-shared', '-fPIC', src, '-o', lib],
                           check=True, capture_output=True, text=True)
            self._lib = ctypes.CDLL(lib)
        return self._lib

    def launch(self, name, dtype, grid, block, args):
        types = self.signatures[name]
        ctype = {np.dtype(v): k for k, v in _DTYPES.items()}[np.dtype(dtype)]
        if len(args) != len(types):
            raise TypeError(f"{name}: {len(types)} parameters, {len(args)} arguments")
        keep, pointers = [], (ctypes.c_void_p * len(args))()
        for k, (t, a) in enumerate(zip(types, args)):
            keep.append(self._argument(name, k, t, ctype, a))
            pointers[k] = ctypes.cast(ctypes.pointer(keep[-1]), ctypes.c_void_p)
        if block % 32:
            raise ValueError(f"{name}: block of {block} threads is not whole warps")
        self.launches.append((name, np.dtype(dtype), grid, block))
        getattr(self.lib, f'{name}_{ctype}')(ctypes.c_uint(grid), ctypes.c_uint(block), pointers)

    @staticmethod
    def _argument(name, k, declared, ctype, a):
        scalar_types = {'int': np.int32, 'long long': np.int64, 'T': _DTYPES[ctype]}
        array_types = {'T*': _DTYPES[ctype], 'const T*': _DTYPES[ctype], 'const long long*': np.int64,
                       'double*': np.float64, 'const double*': np.float64}
        if declared in array_types:
            if not (isinstance(a, np.ndarray) and a.dtype == array_types[declared] and a.flags.c_contiguous):
                raise TypeError(f"{name}: argument {k} must be a C-contiguous {np.dtype(array_types[declared])} "
                                f"array for {declared}, got {type(a).__name__} "
                                f"{getattr(a, 'dtype', '')} {getattr(a, 'flags', {}) and a.flags.c_contiguous}")
            return ctypes.c_void_p(a.ctypes.data)
        want = scalar_types[declared]
        if type(a) is not want:        # CuPy sends a NumPy scalar with its own width: it must match
            raise TypeError(f"{name}: argument {k} must be a {want.__name__} for {declared}, got {type(a).__name__}")
        return np.ctypeslib.as_ctypes_type(want)(a)
