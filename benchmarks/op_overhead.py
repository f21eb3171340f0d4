"""Per-op cost of minigrad's autograd on small tensors, beside raw NumPy and PyTorch.

A long chain of cheap ops (add, mul, tanh, exp in turn) on a (4, 4) float32 tensor does almost
no arithmetic, so the time per op is nearly all overhead: creating Tensors and graph nodes in
the forward pass, and walking the graph in the backward pass. The same chain is timed

- in raw NumPy, forward plus a hand-written backward (the floor: no framework at all),
- in minigrad, forward plus ``loss.backward()``,
- in PyTorch (when installed), forward plus ``loss.backward()``,

all in one run, on one BLAS/OpenMP thread, and reported as microseconds per op (forward and
backward together) with the ratios to NumPy.

    python benchmarks/op_overhead.py [--ops 1000] [--repeats 20]

(run from anywhere: the checkout this file sits in is imported)
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")       # before NumPy loads its BLAS

import argparse        # noqa: E402
import statistics      # noqa: E402
import sys             # noqa: E402
import time            # noqa: E402

import numpy as np     # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # this checkout first
import minigrad as mg  # noqa: E402

PATTERN = ("add", "mul", "tanh", "exp")    # exp(tanh(.)) stays in [1/e, e]: the chain never overflows


def numpy_chain(x, c, d, n):
    """Forward, keeping what backward needs, then the backward pass by hand: d(sum y)/dx."""
    saved = []
    y = x
    for i in range(n):
        op = PATTERN[i % 4]
        if op == "add":
            y = y + c
        elif op == "mul":
            y = y * d
        elif op == "tanh":
            y = np.tanh(y)
        else:
            y = np.exp(y)
        saved.append(y)
    y.sum()
    g = np.ones_like(x)
    for i in reversed(range(n)):
        op = PATTERN[i % 4]
        if op == "mul":
            g = g * d
        elif op == "tanh":
            g = g * (1 - saved[i] * saved[i])       # tanh' = 1 - tanh²
        elif op == "exp":
            g = g * saved[i]                        # exp' = exp
    return g


def framework_chain(x, c, d, n):
    """The same chain with a framework's Tensors (minigrad or PyTorch); backward by autograd."""
    y = x
    for i in range(n):
        op = PATTERN[i % 4]
        if op == "add":
            y = y + c
        elif op == "mul":
            y = y * d
        elif op == "tanh":
            y = y.tanh()
        else:
            y = y.exp()
    y.sum().backward()
    return x.grad


def timed(runs, repeats):
    """Median wall time in seconds of each of ``runs`` (name -> function), after two warm-up calls.

    The runs take turns, so a load change on a shared machine hits all of them alike.
    """
    for run in runs.values():
        run()
        run()
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=1000, help="length of the chain")
    parser.add_argument("--repeats", type=int, default=20, help="timed runs (the median is reported)")
    args = parser.parse_args()
    n = args.ops

    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((4, 4)).astype(np.float32)
    c0 = (0.1 * rng.standard_normal((4, 4))).astype(np.float32)
    d0 = rng.uniform(0.5, 1.0, (4, 4)).astype(np.float32)
    c, d = mg.tensor(c0), mg.tensor(d0)

    def run_minigrad():
        x = mg.tensor(x0, requires_grad=True)
        return framework_chain(x, c, d, n).numpy()

    runs = {"numpy (hand-written backward)": lambda: numpy_chain(x0, c0, d0, n), "minigrad": run_minigrad}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        tc, td = torch.from_numpy(c0), torch.from_numpy(d0)

        def run_torch():
            x = torch.tensor(x0, requires_grad=True)
            return framework_chain(x, tc, td, n).numpy()

        runs[f"torch {torch.__version__}"] = run_torch

    # every implementation must compute the same gradient before its time means anything
    g_np = runs["numpy (hand-written backward)"]()
    for name, run in runs.items():
        g = run()
        assert g.dtype == np.float32, f"{name}: gradient in {g.dtype}"
        np.testing.assert_allclose(g, g_np, rtol=1e-4, atol=1e-6, err_msg=f"{name}: wrong gradient")

    results = timed(runs, args.repeats)
    base = results["numpy (hand-written backward)"]
    print(f"op_overhead: a chain of {n} ops ({', '.join(PATTERN)}) on a (4, 4) float32 tensor, "
          f"forward + backward, median of {args.repeats} runs, 1 thread")
    for name, seconds in results.items():
        print(f"  {name:32s} {seconds / n * 1e6:8.2f} us/op   {seconds / base:6.1f}x numpy")
    if torch is not None:
        print(f"  minigrad / torch: {results['minigrad'] / results[f'torch {torch.__version__}']:.2f}x")


if __name__ == "__main__":
    main()
