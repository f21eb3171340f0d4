"""Run minigrad's CUDA kernel source on the CPU, so the kernels are tested where there is no GPU.

``minigrad.cuda.kernels.SOURCE`` is compiled with g++ under a small shim that gives it what CUDA
gives a kernel: ``threadIdx``/``blockIdx``/``blockDim``/``gridDim``, ``__shfl_xor_sync``,
``__syncthreads``, ``__shared__`` memory and ``atomicAdd``.

The threads of one block are coroutines (``ucontext``) taking turns on one OS thread, in a ring:
a thread runs until it reaches a synchronisation point, then hands over to the next thread of the
ring, so when its turn comes back every other thread has reached the same point. That turn round
the block *is* ``__syncthreads()``. A shuffle is a write to a per-thread slot, a turn round the
block (so every lane has written), a read of the partner lane's slot and a second turn (so nobody
overwrites a slot before all have read), which is what the hardware instruction does. A thread
that returns leaves the ring, as an exited thread stops counting at a GPU's barrier. Blocks run
one after another: ``__shared__`` variables become ``static`` ones, shared by the coroutines of the
block that runs, and ``atomicAdd`` is a plain add, as only one thread runs at a time. Threads that
disagree on how many synchronisation points they pass would break the round, as they would
misbehave on a GPU (a ``__syncthreads`` in divergent code).

``Emulator`` plays CuPy's part for ``kernels.set_runtime``: its ``launch`` receives the same
arguments a CuPy ``RawKernel`` call would, checks each one against the kernel's declared
parameter types (an array of the right dtype for a pointer, a NumPy scalar of exactly the right
width for ``int``/``long long``/``T``) - the contract CuPy relies on and cannot check itself -
and calls the compiled kernel with CUDA's calling convention (an array of pointers to arguments).
It also reports the size of each kernel's ``__shared__`` tiles (``shared_bytes``), for the check
that they fit a GPU's 48 KB.
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
#include <algorithm>
#include <vector>

using std::min;                  // CUDA's integer min and max
using std::max;

struct Dim3 { unsigned x = 1, y = 1, z = 1; };
static Dim3 threadIdx, blockIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static                  // one block runs at a time: its shared memory is a static

// The threads of the running block: one coroutine each, with its own stack. threadIdx is switched
// with the thread.
static ucontext_t main_context;
static std::vector<ucontext_t> thread_context;
static std::vector<std::vector<char>> thread_stack;
static std::vector<char> finished;
static std::vector<double> slot;
static unsigned now, live;
static const std::function<void()>* the_kernel;

static unsigned next_live(unsigned t) {
    do t = (t + 1) % blockDim.x; while (finished[t]);
    return t;
}

static void pass_to_next_thread() {              // every thread does this at the same points
    unsigned me = now;
    now = next_live(me);
    threadIdx.x = now;
    if (now != me) swapcontext(&thread_context[me], &thread_context[now]);
    now = me;
    threadIdx.x = me;
}

static void __syncthreads() { pass_to_next_thread(); }

template<typename T> T __shfl_xor_sync(unsigned, T v, int lane_mask) {
    const unsigned me = threadIdx.x;
    slot[me] = (double)v;                        // float and double both round-trip exactly
    pass_to_next_thread();                       // back here once every thread has written
    T other = (T)slot[me ^ lane_mask];           // the partner lane, in the same warp
    pass_to_next_thread();                       // nobody overwrites a slot before all have read
    return other;
}

template<typename T> T atomicAdd(T* address, T v) { T old = *address; *address += v; return old; }

static void run_thread() {
    (*the_kernel)();
    finished[now] = 1;
    if (--live == 0) setcontext(&main_context);
    now = next_live(now);
    threadIdx.x = now;
    setcontext(&thread_context[now]);
}

static void launch(unsigned grid, unsigned block, const std::function<void()>& kernel) {
    the_kernel = &kernel;
    blockDim.x = block; gridDim.x = grid;
    thread_context.resize(block); thread_stack.resize(block); finished.assign(block, 0); slot.resize(block);
    for (auto& stack : thread_stack) stack.resize(128 * 1024);
    for (unsigned b = 0; b < grid; ++b) {
        blockIdx.x = b;
        for (unsigned t = 0; t < block; ++t) {
            getcontext(&thread_context[t]);
            thread_context[t].uc_stack.ss_sp = thread_stack[t].data();
            thread_context[t].uc_stack.ss_size = thread_stack[t].size();
            thread_context[t].uc_link = nullptr;
            makecontext(&thread_context[t], run_thread, 0);
            finished[t] = 0;
        }
        live = block; now = 0; threadIdx.x = 0;
        swapcontext(&main_context, &thread_context[0]);
    }
}
'''

_DTYPES = {'float': np.float32, 'double': np.float64}
_KERNEL = re.compile(r'template<typename T> __global__ void (\w+)\(([^)]*)\)')
_MACRO = re.compile(r'#define (\w+) ((?:.*\\\n)*.*)')
_SHARED = re.compile(r'template<typename T> struct (\w+Shared)\b')


def kernel_parameters(source=kernels.SOURCE):
    """{kernel name: [(parameter type, parameter name), ...]} of the templated ``__global__`` functions
    in ``source`` (a macro in a parameter list, such as a run of strides, is expanded first)."""
    macros = {name: body.replace('\\\n', ' ') for name, body in _MACRO.findall(source)}
    out = {}
    for name, params in _KERNEL.findall(source):
        params = re.sub(r'\b\w+\b', lambda w: macros.get(w.group(), w.group()), params)
        out[name] = [tuple(p.strip().replace(' *', '*').rsplit(' ', 1)) for p in params.split(',')]
    return out


def kernel_signatures(source=kernels.SOURCE):
    """{kernel name: [parameter type, ...]} of the templated ``__global__`` functions in ``source``."""
    return {name: [t for t, _ in params] for name, params in kernel_parameters(source).items()}


def shared_structs(source=kernels.SOURCE):
    """The names of the structs that hold a kernel's ``__shared__`` memory (``...Shared<T>``)."""
    return _SHARED.findall(source)


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
    for struct in shared_structs():
        for ctype in _DTYPES:
            lines.append(f'extern "C" unsigned long long shared_bytes_{struct}_{ctype}() '
                         f'{{ return sizeof({struct}<{ctype}>); }}')
    return '\n'.join(lines)


def compiler():
    return shutil.which('g++')


class Emulator:
    """A kernel runtime for ``kernels.set_runtime`` that runs SOURCE on NumPy arrays (CPU)."""
    xp = np

    def __init__(self, workdir):
        self.signatures = kernel_signatures()
        # kernels that take their arrays' layout as strides (stride_... parameters) accept any view
        self.strided = {name for name, params in kernel_parameters().items()
                        if any(p.startswith('stride_') for _, p in params)}
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

    def shared_bytes(self, struct, dtype):
        """sizeof(struct<T>) as g++ lays it out, for a ``...Shared`` struct of the source."""
        ctype = {np.dtype(v): k for k, v in _DTYPES.items()}[np.dtype(dtype)]
        fn = getattr(self.lib, f'shared_bytes_{struct}_{ctype}')
        fn.restype = ctypes.c_ulonglong
        return fn()

    def launch(self, name, dtype, grid, block, args):
        types = self.signatures[name]
        ctype = {np.dtype(v): k for k, v in _DTYPES.items()}[np.dtype(dtype)]
        if len(args) != len(types):
            raise TypeError(f"{name}: {len(types)} parameters, {len(args)} arguments")
        keep, pointers = [], (ctypes.c_void_p * len(args))()
        for k, (t, a) in enumerate(zip(types, args)):
            keep.append(self._argument(name, k, t, ctype, a, name in self.strided))
            pointers[k] = ctypes.cast(ctypes.pointer(keep[-1]), ctypes.c_void_p)
        if block % 32:
            raise ValueError(f"{name}: block of {block} threads is not whole warps")
        self.launches.append((name, np.dtype(dtype), grid, block))
        getattr(self.lib, f'{name}_{ctype}')(ctypes.c_uint(grid), ctypes.c_uint(block), pointers)

    @staticmethod
    def _argument(name, k, declared, ctype, a, strided):
        scalar_types = {'int': np.int32, 'long long': np.int64, 'T': _DTYPES[ctype]}
        array_types = {'T*': _DTYPES[ctype], 'const T*': _DTYPES[ctype], 'const long long*': np.int64,
                       'double*': np.float64, 'const double*': np.float64}
        if declared in array_types:
            if not (isinstance(a, np.ndarray) and a.dtype == array_types[declared] and
                    (strided or a.flags.c_contiguous)):
                raise TypeError(f"{name}: argument {k} must be a C-contiguous {np.dtype(array_types[declared])} "
                                f"array for {declared}, got {type(a).__name__} "
                                f"{getattr(a, 'dtype', '')} {getattr(a, 'flags', {}) and a.flags.c_contiguous}")
            return ctypes.c_void_p(a.ctypes.data)
        want = scalar_types[declared]
        if type(a) is not want:        # CuPy sends a NumPy scalar with its own width: it must match
            raise TypeError(f"{name}: argument {k} must be a {want.__name__} for {declared}, got {type(a).__name__}")
        return np.ctypeslib.as_ctypes_type(want)(a)
