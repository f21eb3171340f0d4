"""A GPT-style training step on the GPU: minigrad on 'cuda' next to PyTorch eager on the same GPU.

The network is what a GPT is made of (article 003): token embeddings, a stack of pre-LN
Transformer blocks (``nn.TransformerEncoderLayer(norm_first=True)``, GELU, causal self-attention),
a final layer norm and a linear head over the vocabulary. One step is forward, next-token
cross-entropy, backward and an SGD update, in float32.

Both libraries get the same weights (minigrad loads PyTorch's ``state_dict``) and the same batch,
and the script checks that their first losses agree before timing anything. Each round times
minigrad and PyTorch back to back; the table gives the median time per step, the per-round
ratios, and each library's peak GPU memory during a step (PyTorch: ``max_memory_allocated``;
minigrad: what CuPy's memory pool had to hold, which is its high-water mark).

    python benchmarks/gpu_block_stack.py                   # both workloads, on the GPU
    python benchmarks/gpu_block_stack.py --only base --rounds 3
    python benchmarks/gpu_block_stack.py --device cpu --tiny   # a small smoke run without a GPU

Workloads: ``base`` B=32, T=256, d=512, 8 heads, 4 layers; ``long`` B=4, T=4096 (the attention
matrix alone would be 4·8·4096² floats = 2 GiB per layer if it were materialised).
"""
import argparse
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minigrad                               # noqa: E402
import minigrad.nn as nn                      # noqa: E402
import minigrad.nn.functional as F            # noqa: E402
from train_steps import calibrate, time_per_step   # noqa: E402

try:
    import torch
except ImportError:
    torch = None

VOCAB, LR = 512, 0.01
WORKLOADS = {            # name: (batch, sequence length, d_model, heads, layers)
    'base': (32, 256, 512, 8, 4),
    'long': (4, 4096, 512, 8, 4),
}
TINY = {'base': (2, 16, 32, 4, 2), 'long': (1, 64, 32, 4, 2)}


def build(lib, d, heads, layers):
    """The same GPT-style stack in minigrad or in PyTorch (``lib`` is ``minigrad.nn`` or ``torch.nn``)."""
    class Stack(lib.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.Embedding(VOCAB, d)
            self.blocks = lib.ModuleList([
                lib.TransformerEncoderLayer(d, heads, dim_feedforward=4 * d, dropout=0.0, activation='gelu',
                                            batch_first=True, norm_first=True) for _ in range(layers)])
            self.norm = lib.LayerNorm(d)
            self.head = lib.Linear(d, VOCAB)

        def forward(self, idx, mask):
            x = self.embed(idx)
            for block in self.blocks:
                x = block(x, src_mask=mask, is_causal=True)
            return self.head(self.norm(x))
    return Stack()


def minigrad_step(model, idx, target):
    optimizer = minigrad.optim.SGD(model.parameters(), lr=LR)

    def step():
        logits = model(idx, None)                  # is_causal=True: minigrad makes the mask itself
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), target.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return step


def torch_step(model, idx, target):
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    T = idx.shape[1]
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T, device=idx.device)

    def step():
        logits = model(idx, mask)                  # PyTorch wants the mask beside is_causal=True
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), target.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return step


def minigrad_peak(step, device):
    """Bytes CuPy's pool had to hold during one step (None on the CPU)."""
    if device != 'cuda':
        return None
    import cupy
    pool = cupy.get_default_memory_pool()
    minigrad.cuda.synchronize()
    pool.free_all_blocks()                         # what stays is in use: the weights and their grads
    step()
    minigrad.cuda.synchronize()
    return pool.total_bytes()


def torch_peak(step, device):
    if device != 'cuda':
        return None
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    step()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated()


def run(name, shape, device, rounds, min_time):
    B, T, d, heads, layers = shape
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (B, T + 1))
    steps, sync, peaks = {}, {}, {}
    torch.manual_seed(0)
    reference = build(torch.nn, d, heads, layers).to(device)
    state = {k: v.detach().cpu().numpy() for k, v in reference.state_dict().items()}
    ours = build(nn, d, heads, layers).to(device)
    ours.load_state_dict({k: minigrad.tensor(v) for k, v in state.items()})
    steps['minigrad'] = minigrad_step(ours, minigrad.tensor(tokens[:, :-1], device=device),
                                      minigrad.tensor(tokens[:, 1:], device=device))
    steps['torch'] = torch_step(reference, torch.from_numpy(tokens[:, :-1]).to(device),
                                torch.from_numpy(tokens[:, 1:]).to(device))
    first = {k: float(s().item()) for k, s in steps.items()}
    if abs(first['minigrad'] - first['torch']) > 1e-3 * abs(first['torch']):
        raise AssertionError(f"{name}: first losses differ: minigrad {first['minigrad']:.6f}, "
                             f"torch {first['torch']:.6f}")
    if device == 'cuda':
        sync = {'minigrad': minigrad.cuda.synchronize, 'torch': torch.cuda.synchronize}
    counts = {k: calibrate(s, min_time, sync.get(k)) for k, s in steps.items()}
    times = {k: [] for k in steps}
    for _ in range(rounds):
        for k, s in steps.items():
            times[k].append(time_per_step(s, counts[k], sync.get(k)))
    peaks = {'minigrad': minigrad_peak(steps['minigrad'], device), 'torch': torch_peak(steps['torch'], device)}
    return {'name': name, 'shape': shape, 'first_loss': first, 'times': times, 'peaks': peaks}


def report(rows, device, rounds):
    title = torch.cuda.get_device_name() if device == 'cuda' else 'CPU'
    print(f"\n{title}: ms per training step, float32 (median of {rounds} rounds; ratios per round, median first)\n")
    print(f"{'workload':34s} {'minigrad':>9s} {'torch':>9s}  {'minigrad/torch':30s} {'peak GiB mg/torch':>18s}")
    for r in rows:
        B, T, d, h, L = r['shape']
        t, p = r['times'], r['peaks']
        ratio = [a / b for a, b in zip(t['minigrad'], t['torch'])]
        peak = '-' if p['minigrad'] is None else f"{p['minigrad'] / 2**30:.2f} / {p['torch'] / 2**30:.2f}"
        label = f"{r['name']} B={B} T={T} d={d} h={h} L={L}"
        print(f"{label:34s} "
              f"{1000 * statistics.median(t['minigrad']):9.2f} {1000 * statistics.median(t['torch']):9.2f}  "
              f"{statistics.median(ratio):5.2f}x ({' '.join(f'{v:.2f}' for v in ratio):22s}) {peak:>18s}")
    print("\nfirst-step losses (same weights, same batch): " +
          "; ".join(f"{r['name']}: minigrad {r['first_loss']['minigrad']:.5f}, torch {r['first_loss']['torch']:.5f}"
                    for r in rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', nargs='+', choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument('--device', choices=['cuda', 'cpu'], default='cuda')
    parser.add_argument('--tiny', action='store_true', help='small sizes (a smoke run, e.g. on the CPU)')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--min-time', type=float, default=1.0, help='seconds per library per round')
    args = parser.parse_args(argv)
    if torch is None:
        sys.exit("gpu_block_stack: PyTorch is needed for the comparison (pip install torch)")
    if args.device == 'cuda' and not (minigrad.cuda.is_available() and torch.cuda.is_available()):
        sys.exit("gpu_block_stack: --device cuda needs a GPU with CuPy and a CUDA build of PyTorch; "
                 "use --device cpu --tiny for a smoke run")
    sizes = TINY if args.tiny else WORKLOADS
    rows = []
    for name in args.only:
        rows.append(run(name, sizes[name], args.device, args.rounds, args.min_time))
        print(f"  {name}: done", file=sys.stderr, flush=True)
    report(rows, args.device, args.rounds)


if __name__ == '__main__':
    main()
