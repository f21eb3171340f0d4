"""The command line: ``python -m minigrad`` (a two-minute tour of autograd), ``python -m minigrad demo``
and ``python -m minigrad check``.

    python -m minigrad                  # build a tiny graph, backpropagate, check the gradients
    python -m minigrad demo             # train a CNN on handwritten digits, save a plot and a checkpoint
    python -m minigrad demo --help      # the demo's options
    mpiexec -n 2 python -m minigrad demo --distributed   # the demo, data-parallel on 2 processes
    python -m minigrad check tutorials/01_custom_function.py   # check your solution of an exercise
"""
import argparse
import math
import sys

import numpy


def tour():
    """Walk through one small graph: forward values, ``backward()``, the gradients, ``gradcheck``."""
    import minigrad
    from minigrad.autograd import gradcheck

    print("minigrad tour: one neuron, y = tanh(w . x + b), and its loss L = (y - 1)^2\n")
    x = minigrad.tensor([1.0, -2.0, 0.5])
    w = minigrad.tensor([0.3, 0.1, -0.4], requires_grad=True)
    b = minigrad.tensor(0.2, requires_grad=True)
    z = (w * x).sum() + b
    y = z.tanh()
    loss = (y - 1.0) ** 2
    print(f"forward:  z = w . x + b = {z.item():.6f}")
    print(f"          y = tanh(z)   = {y.item():.6f}")
    print(f"          L = (y - 1)^2 = {loss.item():.6f}")
    print(f"the graph, from the loss back to the leaves: {_chain(loss.grad_fn)}\n")

    loss.backward()
    print("loss.backward() applies the chain rule node by node, from L back to w and b:")
    dz = 2 * (y.item() - 1.0) * (1 - y.item() ** 2)       # dL/dy * dy/dz
    print(f"  dL/dz = 2 (y - 1) (1 - y^2)  = {dz:.6f}")
    print(f"  dL/dw = dL/dz * x            = {numpy.round(dz * x.numpy(), 6)}")
    print(f"  w.grad (computed by minigrad) = {numpy.round(w.grad.numpy(), 6)}")
    print(f"  dL/db = dL/dz                = {dz:.6f}")
    print(f"  b.grad (computed by minigrad) = {b.grad.item():.6f}")
    agree = numpy.allclose(w.grad.numpy(), dz * x.numpy(), rtol=1e-5) and math.isclose(b.grad.item(), dz, rel_tol=1e-5)
    print(f"  hand-derived and automatic gradients agree: {agree}\n")

    def neuron_loss(w, b):
        return (((w * x.double()).sum() + b).tanh() - 1.0) ** 2

    w64 = w.detach().double().requires_grad_()
    b64 = b.detach().double().requires_grad_()
    ok = gradcheck(neuron_loss, (w64, b64))
    print("gradcheck compares each gradient entry with a finite difference (f(v + eps) - f(v - eps)) / 2 eps")
    print(f"in float64: {'passed' if ok else 'FAILED'}")
    print("\nNext: `python -m minigrad demo` trains a CNN on handwritten digits.")


def _chain(node):
    """The names of the ops from ``node`` back to the leaves, following first inputs (PyTorch's
    ``grad_fn.next_functions``: one ``(node, output index)`` per input, ``None`` for a leaf)."""
    names = []
    while node is not None:
        names.append(node.name())
        nodes = [fn for fn, _ in node.next_functions if fn is not None]
        node = nodes[0] if nodes else None
    return " <- ".join(names)


def demo(args):
    from minigrad.demo import run_demo
    result = run_demo(epochs=args.epochs, device=args.device, out=args.out, seed=args.seed,
                      progress=not args.quiet, distributed=args.distributed)
    if result['plot'] is None:                     # a rank other than 0: rank 0 reports
        return
    print(f"test accuracy: {result['test_accuracy']:.2%} after {args.epochs} epochs "
          f"({result['seconds']:.1f} s of training on {args.device})")
    print(f"plot:       {result['plot']}")
    print(f"checkpoint: {result['checkpoint']}  (minigrad.load it to get the model and optimizer back)")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m minigrad',
        description="minigrad: with no command, a short tour of autograd; 'demo' trains a digits CNN; "
                    "'check' checks an exercise of tutorials/.")
    commands = parser.add_subparsers(dest='command', metavar='{demo,check}')
    d = commands.add_parser('demo', help="train a CNN on scikit-learn's 8x8 handwritten digits",
                            description="Train a small CNN on scikit-learn's bundled digits (8x8, 1,797 "
                                        "images), print the test accuracy, save a plot and a checkpoint.")
    d.add_argument('--epochs', type=int, default=15, help='passes over the training set (default: 15)')
    d.add_argument('--device', choices=['cpu', 'cuda'], default='cpu', help='where to train (default: cpu)')
    d.add_argument('--out', default='minigrad-demo',
                   help='folder for training.png and digits_cnn.npz (default: ./minigrad-demo)')
    d.add_argument('--seed', type=int, default=0, help='seed for initialisation, dropout and shuffling (default: 0)')
    d.add_argument('--quiet', action='store_true', help='no progress bar')
    d.add_argument('--distributed', action='store_true',
                   help='data-parallel over the processes of mpiexec -n N (needs pip install mpi4py mpich)')
    c = commands.add_parser('check', help="check your solution of an exercise in tutorials/",
                            description="Run the checker of a tutorials/ exercise on your file: one line "
                                        "per check, then a summary; the exit status is 0 when all pass.")
    c.add_argument('path', help='the exercise file, e.g. tutorials/01_custom_function.py')
    args = parser.parse_args(argv)
    if args.command == 'check':
        from minigrad.check import check
        return 0 if check(args.path) else 1
    if args.command == 'demo':
        if args.epochs < 1:
            parser.error(f"--epochs must be at least 1, got {args.epochs}")
        from minigrad import cuda
        if args.device == 'cuda' and not cuda.is_available():
            parser.error("--device cuda: no GPU is usable here (minigrad needs CuPy and an NVIDIA GPU; "
                         "pip install cupy-cuda12x)")
        demo(args)
    else:
        tour()
    return 0


if __name__ == '__main__':
    sys.exit(main())
