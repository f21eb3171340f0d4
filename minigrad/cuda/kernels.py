"""Fused CUDA kernels for the hot row-wise ops: softmax, log-softmax, cross-entropy, layer norm, GELU.

Why fuse? Written as array ops, ``softmax(x)`` on the GPU is five kernels (max, subtract, exp,
sum, divide), and each one reads the whole matrix from GPU memory and writes it back. A kernel
that does all five while the row sits in fast on-chip memory reads x once (twice, counting
the cache) and writes y once, so it runs close to the memory bandwidth: about four times
faster for a 4096×4096 float32 softmax on an H100 (article 004, the GPU).

How they work: **one warp (32 threads) per row**. The 32 lanes walk along the row 32 columns
apart (neighbouring lanes read neighbouring addresses, so the reads coalesce), each keeping a
partial result; five ``__shfl_xor_sync`` exchanges then combine the 32 partials so that every
lane holds the row's total. No shared memory and no ``__syncthreads`` are needed. The softmax
keeps a running maximum m and a running sum s of e^(x - m) in a single pass (the *online
softmax*: when a larger value arrives, the sum so far is rescaled by e^(m_old - m_new)).

Attention (``attention_forward``/``attention_backward``) is the one kernel pair that needs more: a
block of threads shares tiles of keys (or queries) in ``__shared__`` memory and waits at
``__syncthreads`` until a tile is loaded, FlashAttention-2's algorithm (``minigrad/ops/attention.py``
describes it and keeps the array version as the reference).

These functions take and return arrays (not Tensors). The ops in ``minigrad.ops`` reach them
through ``minigrad.cuda.fused``, which calls them when ``usable(...)`` says so; otherwise the ops
run their composed code, which is the reference the kernels are tested against. The source is
compiled once per dtype by CuPy (NVRTC). Tests may run the same source on the CPU through an
emulator installed with ``set_runtime`` (see ``tests/cuda_emulator.py``), the way
``backend.set_cuda_module`` installs a stand-in for CuPy.
"""
import functools

from ..backend import get_array_module, is_cupy

SOURCE = r'''
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif

// float and double versions of the maths, picked by overloading
__device__ __forceinline__ float ex(float v) { return expf(v); }
__device__ __forceinline__ double ex(double v) { return exp(v); }
__device__ __forceinline__ float lg(float v) { return logf(v); }
__device__ __forceinline__ double lg(double v) { return log(v); }
__device__ __forceinline__ float er(float v) { return erff(v); }
__device__ __forceinline__ double er(double v) { return erf(v); }
__device__ __forceinline__ float th(float v) { return tanhf(v); }
__device__ __forceinline__ double th(double v) { return tanh(v); }
__device__ __forceinline__ float root(float v) { return sqrtf(v); }
__device__ __forceinline__ double root(double v) { return sqrt(v); }

// the sum of v over the 32 lanes of the warp, in every lane (a butterfly of 5 exchanges)
template<typename T> __device__ __forceinline__ T warp_sum(T v) {
    for (int d = 16; d > 0; d >>= 1) v += __shfl_xor_sync(0xffffffffu, v, d);
    return v;
}

// the larger of a and b, NaN if either is (a plain comparison would drop a NaN: NaN > b is false)
template<typename T> __device__ __forceinline__ T max_nan(T a, T b) { return (a > b || a != a) ? a : b; }

// online softmax, one step: fold value v into the running maximum m and sum s of e^(x - m).
// A NaN becomes the maximum, so that it reaches every output through x - m, as in the composed path.
template<typename T> __device__ __forceinline__ void online_add(T& m, T& s, T v) {
    if (v > m || v != v) { s = s * ex(m - v) + T(1); m = v; }
    else if (v > -INFINITY) s += ex(v - m);
}

// The maximum m and the sum s = Σ_c e^(x_c - m) of one row, in every lane of the warp
// (m = -inf, s = 0 for a row of -inf). They are kept apart, not folded into lse = m + log s:
// in float32, lse is rounded to the spacing of numbers near m (1e-3 at m = 1e4), and exp(x - lse)
// would carry that error; x - m is exact for the entries near the maximum, which are the ones that count.
template<typename T> __device__ __forceinline__ void row_max_sum(const T* x, int cols, int lane, T& m, T& s) {
    m = -INFINITY; s = T(0);
    for (int c = lane; c < cols; c += 32) online_add(m, s, x[c]);
    for (int d = 16; d > 0; d >>= 1) {           // merge two lanes' (m, s): rescale both to the larger m
        T m2 = __shfl_xor_sync(0xffffffffu, m, d), s2 = __shfl_xor_sync(0xffffffffu, s, d);
        T mm = max_nan(m, m2);
        s = (m > -INFINITY ? s * ex(m - mm) : T(0)) + (m2 > -INFINITY ? s2 * ex(m2 - mm) : T(0));
        m = mm;
    }
}

// which row this warp owns; blocks hold blockDim.x / 32 warps
#define ROW_AND_LANE \
    const long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32; \
    const int lane = threadIdx.x % 32; \
    if (row >= rows) return;

// y = softmax(x) or log_softmax(x) along rows of length cols
template<typename T> __global__ void softmax_forward(const T* x, T* y, long long rows, int cols, int log_softmax) {
    ROW_AND_LANE
    x += row * cols; y += row * cols;
    T m, s;
    row_max_sum(x, cols, lane, m, s);
    const T log_s = lg(s);
    for (int c = lane; c < cols; c += 32) y[c] = log_softmax ? (x[c] - m) - log_s : ex(x[c] - m) / s;
}

// softmax:      dx = y (g - Σ g y)
// log_softmax:  dx = g - e^y Σ g
template<typename T> __global__ void softmax_backward(const T* y, const T* g, T* dx, long long rows, int cols,
                                                      int log_softmax) {
    ROW_AND_LANE
    y += row * cols; g += row * cols; dx += row * cols;
    T acc = T(0);
    for (int c = lane; c < cols; c += 32) acc += log_softmax ? g[c] : g[c] * y[c];
    acc = warp_sum(acc);
    for (int c = lane; c < cols; c += 32) dx[c] = log_softmax ? g[c] - ex(y[c]) * acc : y[c] * (g[c] - acc);
}

// loss_n = -coef_n (x_n[t_n] - m_n - log s_n); lse_n = m_n + log s_n kept for the backward in double,
// where it holds the digits of log s_n that float32 would round away next to a large m_n
template<typename T> __global__ void cross_entropy_forward(const T* x, const long long* target, const T* coef,
                                                           T* loss, double* lse, long long rows, int cols) {
    ROW_AND_LANE
    x += row * cols;
    T m, s;
    row_max_sum(x, cols, lane, m, s);
    const T log_s = lg(s);
    if (lane == 0) { lse[row] = (double)m + (double)log_s; loss[row] = -coef[row] * ((x[target[row]] - m) - log_s); }
}

// dx_n = coef_n G_n (softmax(x_n) - onehot(t_n)), G the incoming gradient per row
// (x - lse in double, then the exponential in T: exact for the large logits that dominate the row)
template<typename T> __global__ void cross_entropy_backward(const T* x, const double* lse, const long long* target,
                                                            const T* coef, const T* G, T* dx, long long rows,
                                                            int cols) {
    ROW_AND_LANE
    x += row * cols; dx += row * cols;
    const T k = coef[row] * G[row];
    const double l = lse[row];
    const long long t = target[row];
    for (int c = lane; c < cols; c += 32) dx[c] = k * (ex(T((double)x[c] - l)) - (c == t ? T(1) : T(0)));
}

// y = (x - mean) rstd · w + b over rows; mean and rstd = 1/√(var + eps) kept for the backward
template<typename T> __global__ void layer_norm_forward(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd,
                                                        long long rows, int cols, T eps, int affine) {
    ROW_AND_LANE
    x += row * cols; y += row * cols;
    T s = T(0);
    for (int c = lane; c < cols; c += 32) s += x[c];
    const T mu = warp_sum(s) / cols;
    T v = T(0);                                   // a second pass over the centred values: no cancellation
    for (int c = lane; c < cols; c += 32) { T d = x[c] - mu; v += d * d; }
    const T r = T(1) / root(warp_sum(v) / cols + eps);
    for (int c = lane; c < cols; c += 32) {
        T h = (x[c] - mu) * r;
        y[c] = affine ? h * w[c] + b[c] : h;
    }
    if (lane == 0) { mean[row] = mu; rstd[row] = r; }
}

// with x̂ = (x - mean) rstd and dx̂ = g w:  dx = rstd (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂))
template<typename T> __global__ void layer_norm_backward(const T* x, const T* w, const T* mean, const T* rstd,
                                                         const T* g, T* dx, long long rows, int cols, int affine) {
    ROW_AND_LANE
    x += row * cols; g += row * cols; dx += row * cols;
    const T mu = mean[row], r = rstd[row];
    T a = T(0), bb = T(0);
    for (int c = lane; c < cols; c += 32) {
        T gh = affine ? g[c] * w[c] : g[c];
        a += gh; bb += gh * (x[c] - mu) * r;
    }
    a = warp_sum(a) / cols; bb = warp_sum(bb) / cols;
    for (int c = lane; c < cols; c += 32) {
        T gh = affine ? g[c] * w[c] : g[c];
        dx[c] = r * (gh - a - (x[c] - mu) * r * bb);
    }
}

// Φ(x) and Φ'(x) of GELU: exact (erf) or GPT-2's tanh approximation
template<typename T> __device__ __forceinline__ void gelu_cdf_pdf(T x, int tanh_approx, T& cdf, T& pdf) {
    if (tanh_approx) {
        const T k = T(0.7978845608028654), a = T(0.044715);    // √(2/π)
        T t = th(k * (x + a * x * x * x));
        cdf = T(0.5) * (T(1) + t);
        pdf = T(0.5) * (T(1) - t * t) * k * (T(1) + T(3) * a * x * x);
    } else {
        cdf = T(0.5) * (T(1) + er(x * T(0.7071067811865476)));  // 1/√2
        pdf = ex(T(-0.5) * x * x) * T(0.3989422804014327);       // 1/√(2π)
    }
}

// a grid-stride loop: any number of elements with a bounded grid
#define EACH_ELEMENT \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)

// y = x Φ(x)
template<typename T> __global__ void gelu_forward(const T* x, T* y, long long n, int tanh_approx) {
    EACH_ELEMENT { T cdf, pdf; gelu_cdf_pdf(x[i], tanh_approx, cdf, pdf); y[i] = x[i] * cdf; }
}

// dx = g (Φ(x) + x Φ'(x))
template<typename T> __global__ void gelu_backward(const T* x, const T* g, T* dx, long long n, int tanh_approx) {
    EACH_ELEMENT { T cdf, pdf; gelu_cdf_pdf(x[i], tanh_approx, cdf, pdf); dx[i] = g[i] * (cdf + x[i] * pdf); }
}

// ---------------------------------------------------------------------------------------------
// Attention  O = softmax(Q Kᵀ·scale + bias) V,  FlashAttention-2 style: one kernel per direction
// ---------------------------------------------------------------------------------------------
// The arrays are (batch, head, rows, columns) views given by their strides in elements (the last
// axis contiguous), so heads split out of a (B, T, H·dh) projection need no copy and a mask that
// broadcasts (a key-padding mask: stride 0 over heads and query rows) is read in place.
// Each block works on one (batch, head) and one tile of rows; tiles of the other side pass
// through shared memory. Tile sizes keep shared memory within the 48 KB every GPU gives a block.
// Each kernel's shared memory is one struct, *Shared, whose size the tests check.
template<typename T> struct Attention {
    static constexpr int MAX_HEAD = 512 / sizeof(T);     // head sizes up to 128 (float), 64 (double)
    static constexpr int KEYS = 32;                      // forward: keys per tile; backward: threads per block
    static constexpr int QUERIES = 16;                   // backward: query rows per tile
};
template<typename T> struct AttentionForwardShared {
    T k[Attention<T>::KEYS][Attention<T>::MAX_HEAD], v[Attention<T>::KEYS][Attention<T>::MAX_HEAD];
};
template<typename T> struct AttentionBackwardShared {
    T q[Attention<T>::QUERIES][Attention<T>::MAX_HEAD], g[Attention<T>::QUERIES][Attention<T>::MAX_HEAD];
    T k[Attention<T>::KEYS][Attention<T>::MAX_HEAD], ds[Attention<T>::QUERIES][Attention<T>::KEYS];
    T lse[Attention<T>::QUERIES], D[Attention<T>::QUERIES];
};

// the lowest finite number: the running maximum's start, so that a row of -inf scores gives
// e^(-inf - lowest) = 0, never e^(-inf + inf) = NaN
__device__ __forceinline__ float lowest(float) { return -3.4028234663852886e38f; }
__device__ __forceinline__ double lowest(double) { return -1.7976931348623157e308; }

// the (batch, head) this block works on, and where its tile of `rows` rows starts
#define ATTENTION_BLOCK(rows) \
    const int tiles = (rows + blockDim.x - 1) / blockDim.x; \
    const long long head = blockIdx.x / tiles; \
    const long long b = head / heads, h = head % heads; \
    const int first = (blockIdx.x % tiles) * blockDim.x, tid = threadIdx.x; \
    q += b * stride_qb + h * stride_qh; k += b * stride_kb + h * stride_kh; v += b * stride_vb + h * stride_vh; \
    if (has_bias) bias += b * stride_bb + h * stride_bh;

// the strides, in elements, of the batch, head and row axes of q, k, v; of every axis of the bias
#define ATTENTION_STRIDES long long stride_qb, long long stride_qh, long long stride_qr, \
    long long stride_kb, long long stride_kh, long long stride_kr, long long stride_vb, long long stride_vh, \
    long long stride_vr, long long stride_bb, long long stride_bh, long long stride_br, long long stride_bc

// The score of query i and key j: q_i · k_j · scale + bias_ij, -inf for a key right of the diagonal.
template<typename T> __device__ __forceinline__ T attention_score(const T* qi, const T* kj, int d, T scale,
                                                                   const T* bias, int has_bias, long long stride_br,
                                                                   long long stride_bc, int i, int j, int causal) {
    if (causal && j > i) return -INFINITY;
    T s = T(0);
    for (int e = 0; e < d; ++e) s += qi[e] * kj[e];
    return has_bias ? s * scale + bias[i * stride_br + j * stride_bc] : s * scale;
}

// Forward: one thread per query row i keeps, in registers, q_i, the running maximum m, the sum
// l = Σ e^(s - m) and acc = Σ e^(s - m) v over the key tiles seen so far (the online softmax);
// out_i = acc / l and lse_i = m + log l at the end. Causal: the tiles past the block's last
// row are never loaded. A row that sees no key gets out 0 and lse +inf (so its P is 0 in backward).
template<typename T> __global__ void attention_forward(const T* q, const T* k, const T* v, const T* bias, T* out,
                                                       T* lse, int heads, int L, int S, int d, int dv, T scale,
                                                       int causal, int has_bias, ATTENTION_STRIDES) {
    typedef Attention<T> A;
    __shared__ AttentionForwardShared<T> sh;
    ATTENTION_BLOCK(L)
    const int i = first + tid;
    const bool active = i < L;
    T qi[A::MAX_HEAD], acc[A::MAX_HEAD], m = lowest(T(0)), l = T(0);
    for (int e = 0; e < d; ++e) qi[e] = active ? q[i * stride_qr + e] : T(0);
    for (int e = 0; e < dv; ++e) acc[e] = T(0);
    const int end = causal ? min(S, first + (int)blockDim.x) : S;
    for (int j0 = 0; j0 < end; j0 += A::KEYS) {
        const int n = min(A::KEYS, end - j0);
        __syncthreads();                                 // all are done with the previous tile
        for (int x = tid; x < n * d; x += blockDim.x) sh.k[x / d][x % d] = k[(j0 + x / d) * stride_kr + x % d];
        for (int x = tid; x < n * dv; x += blockDim.x) sh.v[x / dv][x % dv] = v[(j0 + x / dv) * stride_vr + x % dv];
        __syncthreads();                                 // the tile is loaded
        if (!active) continue;
        T s[A::KEYS], m_new = m;
        for (int j = 0; j < n; ++j) {
            s[j] = attention_score(qi, sh.k[j], d, scale, bias, has_bias, stride_br, stride_bc, i, j0 + j, causal);
            m_new = max_nan(m_new, s[j]);
        }
        const T alpha = ex(m - m_new);                   // rescales what was summed under the old maximum
        l *= alpha;
        for (int e = 0; e < dv; ++e) acc[e] *= alpha;
        for (int j = 0; j < n; ++j) {
            const T p = ex(s[j] - m_new);
            l += p;
            for (int e = 0; e < dv; ++e) acc[e] += p * sh.v[j][e];
        }
        m = m_new;
    }
    if (!active) return;
    const bool blind = l == T(0);
    for (int e = 0; e < dv; ++e) out[(head * L + i) * dv + e] = blind ? T(0) : acc[e] / l;
    lse[head * L + i] = blind ? T(INFINITY) : m + lg(l);
}

// Backward (FlashAttention-2's): one thread per key row j keeps k_j, v_j, dk_j and dv_j in registers
// and walks over the query tiles, recomputing each tile's P = exp(S - lse):
//     dv_j += Σ_i P_ij dO_i,   dS_ij = P_ij (dO_i · v_j - D_i),   dk_j += Σ_i dS_ij q_i · scale,
// with D_i = dO_i · O_i. dQ_i = Σ_j dS_ij k_j · scale sums over every key block: each block adds its
// share, dS tile times K tile from shared memory, with one atomicAdd per element of dQ.
// Causal: the query tiles wholly above the block's first key are skipped.
template<typename T> __global__ void attention_backward(const T* q, const T* k, const T* v, const T* bias,
                                                        const T* g, const T* lse, const T* D, T* dq, T* dk, T* dv,
                                                        int heads, int L, int S, int d, int dvs, T scale,
                                                        int causal, int has_bias, ATTENTION_STRIDES) {
    typedef Attention<T> A;
    __shared__ AttentionBackwardShared<T> sh;
    ATTENTION_BLOCK(S)
    const int j = first + tid;
    const bool active = j < S;
    T vj[A::MAX_HEAD], dkj[A::MAX_HEAD], dvj[A::MAX_HEAD];
    for (int e = 0; e < d; ++e) { sh.k[tid][e] = active ? k[j * stride_kr + e] : T(0); dkj[e] = T(0); }
    for (int e = 0; e < dvs; ++e) { vj[e] = active ? v[j * stride_vr + e] : T(0); dvj[e] = T(0); }
    g += head * L * dvs; lse += head * L; D += head * L; dq += head * L * d;
    for (int i0 = causal ? first / A::QUERIES * A::QUERIES : 0; i0 < L; i0 += A::QUERIES) {
        const int n = min(A::QUERIES, L - i0);
        __syncthreads();                                 // all are done with the previous tile
        for (int x = tid; x < n * d; x += blockDim.x) sh.q[x / d][x % d] = q[(i0 + x / d) * stride_qr + x % d];
        for (int x = tid; x < n * dvs; x += blockDim.x) sh.g[x / dvs][x % dvs] = g[(i0 + x / dvs) * dvs + x % dvs];
        for (int r = tid; r < n; r += blockDim.x) { sh.lse[r] = lse[i0 + r]; sh.D[r] = D[i0 + r]; }
        __syncthreads();                                 // the tile is loaded
        for (int r = 0; r < n; ++r) {
            T ds = T(0);
            if (active) {
                const T s = attention_score(sh.q[r], sh.k[tid], d, scale, bias, has_bias, stride_br, stride_bc,
                                            i0 + r, j, causal);
                const T p = ex(s - sh.lse[r]);         // 0 for a hidden key, and on a row that sees none (lse = inf)
                T dp = T(0);
                for (int e = 0; e < dvs; ++e) { dvj[e] += p * sh.g[r][e]; dp += sh.g[r][e] * vj[e]; }
                ds = p * (dp - sh.D[r]);
                for (int e = 0; e < d; ++e) dkj[e] += ds * sh.q[r][e];
            }
            sh.ds[r][tid] = ds;
        }
        __syncthreads();                                 // the dS tile is complete
        for (int x = tid; x < n * d; x += blockDim.x) {
            const int r = x / d, e = x % d;
            T sum = T(0);
            for (int c = 0; c < A::KEYS; ++c) sum += sh.ds[r][c] * sh.k[c][e];
            atomicAdd(&dq[(i0 + r) * d + e], sum * scale);
        }
    }
    if (!active) return;
    for (int e = 0; e < d; ++e) dk[(head * S + j) * d + e] = dkj[e] * scale;
    for (int e = 0; e < dvs; ++e) dv[(head * S + j) * dvs + e] = dvj[e];
}
'''

KERNEL_NAMES = ('softmax_forward', 'softmax_backward', 'cross_entropy_forward', 'cross_entropy_backward',
                'layer_norm_forward', 'layer_norm_backward', 'gelu_forward', 'gelu_backward',
                'attention_forward', 'attention_backward')
_CTYPES = {'float32': 'float', 'float64': 'double'}
_ROWS_PER_BLOCK = 4             # warps per block: 128 threads
_THREADS = 256                  # per block, for the elementwise kernels
_MAX_BLOCKS = 65536             # the grid-stride loop covers the rest
_QUERY_THREADS = 64             # attention forward: one thread per query row (ATTENTION_QUERY_THREADS)
_KEY_THREADS = 32               # attention backward: one thread per key row (Attention<T>::KEYS)

enabled = True                  # switch off to make every op take its composed path (to compare them)


class _CupyRuntime:
    """Compiles SOURCE with CuPy once per dtype and launches its kernels."""

    def __init__(self, cupy):
        self.xp = cupy

    @functools.lru_cache(maxsize=None)
    def function(self, name, dtype_name):
        module = self._module(dtype_name)
        return module.get_function(f'{name}<{_CTYPES[dtype_name]}>')

    @functools.lru_cache(maxsize=None)
    def _module(self, dtype_name):
        names = [f'{k}<{_CTYPES[dtype_name]}>' for k in KERNEL_NAMES]
        return self.xp.RawModule(code=SOURCE, options=('-std=c++14',), name_expressions=names)

    def launch(self, name, dtype, grid, block, args):
        self.function(name, dtype.name)((grid,), (block,), args)


_runtime = None                 # a _CupyRuntime, or a test's emulator


def set_runtime(runtime):
    """Launch kernels with ``runtime`` (an object with ``xp`` and ``launch``); ``None`` restores CuPy's."""
    global _runtime
    _runtime = runtime


def _runtime_for(array):
    """What launches kernels on this array: CuPy's runtime for a CuPy array, an installed emulator
    for arrays of its module, otherwise None (NumPy arrays, or a test double of CuPy)."""
    global _runtime
    xp = get_array_module(array)
    if _runtime is None and is_cupy(xp):
        _runtime = _CupyRuntime(xp)
    return _runtime if _runtime is not None and _runtime.xp is xp else None


def usable(*arrays, strided=False):
    """True when these arrays can go through a fused kernel: all on a GPU (CuPy), all float32 or
    all float64, laid out row after row (C-contiguous; ``strided=True``: any layout, for the
    attention kernels, which take strides), and the kernels switched on."""
    if not enabled or _runtime_for(arrays[0]) is None:
        return False
    dtype = arrays[0].dtype
    return dtype.name in _CTYPES and all(a.dtype == dtype and (strided or a.flags.c_contiguous) for a in arrays)


def _rows(x):
    """(rows, cols) of x seen as a matrix whose rows run along the last axis."""
    cols = x.shape[-1] if x.ndim else 1
    return (x.size // cols if cols else 0), cols


def _row_launch(name, x, args):
    rows, _ = _rows(x)
    if rows:
        grid = (rows + _ROWS_PER_BLOCK - 1) // _ROWS_PER_BLOCK
        _runtime_for(x).launch(name, x.dtype, grid, 32 * _ROWS_PER_BLOCK, args)


def _elementwise_launch(name, x, args):
    if x.size:
        grid = min((x.size + _THREADS - 1) // _THREADS, _MAX_BLOCKS)
        _runtime_for(x).launch(name, x.dtype, grid, _THREADS, args)


def _scalars(xp, x):
    rows, cols = _rows(x)
    return xp.int64(rows), xp.int32(cols)


def softmax(x, log=False):
    """softmax (or log_softmax) of x along its last axis."""
    xp = _runtime_for(x).xp
    y = xp.empty_like(x)
    _row_launch('softmax_forward', x, (x, y, *_scalars(xp, x), xp.int32(log)))
    return y


def softmax_backward(y, g, log=False):
    """dx from the output y of ``softmax(x, log)`` and the incoming gradient g."""
    xp = _runtime_for(y).xp
    dx = xp.empty_like(y)
    _row_launch('softmax_backward', y, (y, g, dx, *_scalars(xp, y), xp.int32(log)))
    return dx


def cross_entropy(x, target, coef):
    """Per-row losses -coef · log softmax(x)[target] of logits x (rows, C), and each row's logsumexp
    (float64 whatever x's dtype: the backward subtracts it from large logits)."""
    xp = _runtime_for(x).xp
    loss, lse = xp.empty(x.shape[0], x.dtype), xp.empty(x.shape[0], xp.float64)
    _row_launch('cross_entropy_forward', x, (x, target, coef, loss, lse, *_scalars(xp, x)))
    return loss, lse


def cross_entropy_backward(x, lse, target, coef, G):
    """coef · G · (softmax(x) - onehot(target)), G the incoming gradient per row."""
    xp = _runtime_for(x).xp
    dx = xp.empty_like(x)
    _row_launch('cross_entropy_backward', x, (x, lse, target, coef, G, dx, *_scalars(xp, x)))
    return dx


def layer_norm(x, weight, bias, eps):
    """(x - mean) / √(var + eps) · weight + bias over the last axis; returns y, mean and rstd (per row).
    ``weight`` and ``bias`` are both arrays of the last axis's length, or both None."""
    xp = _runtime_for(x).xp
    rows, _ = _rows(x)
    y, mean, rstd = xp.empty_like(x), xp.empty(rows, x.dtype), xp.empty(rows, x.dtype)
    affine = weight is not None
    w, b = (weight, bias) if affine else (x, x)          # not read when affine is 0
    _row_launch('layer_norm_forward', x, (x, w, b, y, mean, rstd, *_scalars(xp, x), x.dtype.type(eps),
                                          xp.int32(affine)))
    return y, mean, rstd


def layer_norm_backward(x, weight, mean, rstd, g):
    """dx of ``layer_norm`` from its saved mean and rstd and the incoming gradient g."""
    xp = _runtime_for(x).xp
    dx = xp.empty_like(x)
    affine = weight is not None
    _row_launch('layer_norm_backward', x, (x, weight if affine else x, mean, rstd, g, dx, *_scalars(xp, x),
                                           xp.int32(affine)))
    return dx


def gelu(x, approximate):
    """x · Φ(x), elementwise (``approximate='tanh'``: GPT-2's tanh form of Φ)."""
    xp = _runtime_for(x).xp
    y = xp.empty_like(x)
    _elementwise_launch('gelu_forward', x, (x, y, xp.int64(x.size), xp.int32(approximate == 'tanh')))
    return y


def gelu_backward(x, g, approximate):
    """g · (Φ(x) + x Φ'(x)), elementwise."""
    xp = _runtime_for(x).xp
    dx = xp.empty_like(x)
    _elementwise_launch('gelu_backward', x, (x, g, dx, xp.int64(x.size), xp.int32(approximate == 'tanh')))
    return dx


def attention_max_head(dtype):
    """The largest head size the attention kernels take (Attention<T>::MAX_HEAD): 128 in float32, 64 in float64."""
    return 512 // dtype.itemsize


def _attention_scalars(xp, q, k, v, bias, causal, scale):
    """The attention kernels' arguments after the arrays: sizes, scale, flags and strides in elements."""
    _, heads, L, d = q.shape
    S, dv = k.shape[2], v.shape[3]
    strides = [a.strides[n] // a.itemsize for a in (q, k, v) for n in range(3)]
    strides += [0] * 4 if bias is None else [st // bias.itemsize for st in bias.strides]
    return (*(xp.int32(n) for n in (heads, L, S, d, dv)), q.dtype.type(scale), xp.int32(causal),
            xp.int32(bias is not None), *(xp.int64(st) for st in strides))


def attention(q, k, v, bias, causal, scale):
    """(out, lse) of out = softmax(q kᵀ·scale + bias) v, lse = log Σ_j exp(scores) per query row.

    q (B, H, L, d), k (B, H, S, d), v (B, H, S, dv): views of any strides with the last axis
    contiguous (zero strides where they broadcast); ``bias`` None or a (B, H, L, S) view;
    ``causal``: query i sees keys 0..i. out is (B, H, L, dv), lse (B, H, L), both C-contiguous."""
    xp = _runtime_for(q).xp
    B, H, L, _ = q.shape
    out, lse = xp.empty((B, H, L, v.shape[3]), q.dtype), xp.empty((B, H, L), q.dtype)
    blocks = B * H * ((L + _QUERY_THREADS - 1) // _QUERY_THREADS)
    if blocks:
        _runtime_for(q).launch('attention_forward', q.dtype, blocks, _QUERY_THREADS,
                               (q, k, v, q if bias is None else bias, out, lse,
                                *_attention_scalars(xp, q, k, v, bias, causal, scale)))
    return out, lse


def attention_backward(q, k, v, bias, causal, scale, out, lse, g):
    """dq, dk, dv of ``attention`` from its out and lse and the output's gradient g (C-contiguous
    (B, H, L, dv)); the gradients have the full (B, H) batch shape, C-contiguous."""
    xp = _runtime_for(q).xp
    B, H, S = k.shape[:3]
    D = (g * out).sum(axis=-1)                           # D_i = dO_i · O_i
    dq = xp.zeros(q.shape, q.dtype)                      # every key block adds its share
    dk, dv = xp.empty(k.shape, q.dtype), xp.empty(v.shape, q.dtype)
    blocks = B * H * ((S + _KEY_THREADS - 1) // _KEY_THREADS)
    if blocks:
        _runtime_for(q).launch('attention_backward', q.dtype, blocks, _KEY_THREADS,
                               (q, k, v, q if bias is None else bias, g, lse, D, dq, dk, dv,
                                *_attention_scalars(xp, q, k, v, bias, causal, scale)))
    return dq, dk, dv
