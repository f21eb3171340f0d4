"""The digits demo: a small CNN learns to read handwritten digits, from data to checkpoint.

``python -m minigrad demo`` runs ``run_demo``; the tests import the same pieces. Everything a
real training script has is here, at a size that runs in well under a minute on a laptop:

1. data: scikit-learn's bundled digits (1,797 grey 8x8 images, no download), scaled to [0, 1],
   split once into train and test sets by a fixed seed;
2. a model: ``DigitsCNN`` (convolution, ReLU, max pooling, then fully connected layers; the CNN
   of article 004, "foundations of AI large models", sized for 8x8 inputs) or ``DigitsMLP``;
3. a loop: mini-batches from a shuffling ``DataLoader``, cross-entropy loss, ``backward()``,
   an ``Adam`` step, a cosine learning-rate schedule, accuracy on the test set after each epoch;
4. results: a plot of loss and accuracy per epoch (PNG) and a checkpoint (``minigrad.save``).

``mpiexec -n N python -m minigrad demo --distributed`` trains the same CNN data-parallel on N
processes: each takes its shard of every epoch (``DistributedSampler``), gradients are averaged
(``DistributedDataParallel``), and rank 0 alone writes the results.
"""
import contextlib
import os
import time

import numpy

from . import nn, optim
from .autograd.grad_mode import no_grad
from .creation import tensor
from .nn import functional as F
from .random import manual_seed
from .serialization import save
from .utils.data import DataLoader, TensorDataset

SPLIT_SEED = 0          # the train/test split never changes, so accuracies can be compared
TEST_FRACTION = 0.2


def load_digits_split(device='cpu'):
    """``(x_train, y_train, x_test, y_test)``: images ``(N, 1, 8, 8)`` float32 in [0, 1], labels ``(N,)`` int64."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("the digits demo reads the digits data set bundled with scikit-learn: "
                          "pip install scikit-learn") from None
    digits = load_digits()
    images = (digits.images / 16.0).astype(numpy.float32)[:, None]   # pixel values are 0..16
    labels = digits.target.astype(numpy.int64)
    order = numpy.random.default_rng(SPLIT_SEED).permutation(len(labels))
    n_test = round(len(labels) * TEST_FRACTION)
    test, train = order[:n_test], order[n_test:]
    return tuple(tensor(a, device=device) for a in (images[train], labels[train], images[test], labels[test]))


class DigitsCNN(nn.Module):
    """Two convolution blocks (3x3 conv, ReLU, 2x2 max pool: 8x8 -> 4x4 -> 2x2), then an MLP head.

    Shapes for a batch of N: (N, 1, 8, 8) -> (N, 32, 4, 4) -> (N, 64, 2, 2) -> (N, 256) -> (N, 10).
    Dropout in the head matters here: with only 1,438 training images the network would
    otherwise memorise them and lose about a point of test accuracy.
    """

    def __init__(self, channels=(32, 64), hidden=128, dropout=0.25):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c2 * 2 * 2, hidden), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class DigitsMLP(nn.Module):
    """The fully connected baseline: flatten the 64 pixels, one hidden ReLU layer, 10 logits."""

    def __init__(self, hidden=128):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)


@no_grad()
def accuracy(model, x, y, batch_size=512):
    """The fraction of ``x`` that ``model`` labels correctly (in eval mode: no dropout)."""
    was_training = model.training
    model.eval()
    correct = sum(int((model(x[i:i + batch_size]).argmax(dim=1) == y[i:i + batch_size]).sum().item())
                  for i in range(0, len(y), batch_size))
    model.train(was_training)
    return correct / len(y)


def _one_blas_thread():
    """Keep BLAS to one thread: with batches of 32 tiny images its extra threads only wait for
    each other, and on a busy 2-core machine that made training seven times slower."""
    try:
        from threadpoolctl import threadpool_limits     # installed with scikit-learn
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api='blas')


def train(model, data, epochs=15, lr=3e-3, batch_size=32, progress=True, sampler=None):
    """Train ``model`` on ``data`` (from ``load_digits_split``) with Adam and a cosine schedule;
    ``sampler`` (a ``DistributedSampler``) replaces the shuffling of the whole training set.

    Returns ``(optimizer, history)``; ``history`` has per-epoch lists ``'loss'`` (mean training
    loss), ``'train_acc'`` (accuracy on the batches seen, dropout on) and ``'test_acc'``.
    """
    x_train, y_train, x_test, y_test = data
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=sampler is None,
                        sampler=sampler)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    # the rate falls smoothly to 0 over the whole run, one scheduler step per batch
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(loader))
    history = {'loss': [], 'train_acc': [], 'test_acc': []}
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=epochs * len(loader), unit='batch', desc='training')
    with _one_blas_thread():
        for epoch in range(epochs):
            if sampler is not None:
                sampler.set_epoch(epoch)      # a new shuffle each epoch, the same on every rank
            model.train()
            loss_sum, correct = 0.0, 0
            for xb, yb in loader:
                logits = model(xb)
                loss = F.cross_entropy(logits, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                loss_sum += loss.item() * len(yb)
                correct += int((logits.argmax(dim=1) == yb).sum().item())
                if bar is not None:
                    bar.update()
            history['loss'].append(loss_sum / len(loader.sampler))     # this process's samples
            history['train_acc'].append(correct / len(loader.sampler))
            history['test_acc'].append(accuracy(model, x_test, y_test))
            if bar is not None:
                bar.set_postfix(epoch=epoch + 1, loss=f"{history['loss'][-1]:.4f}",
                                test_acc=f"{history['test_acc'][-1]:.2%}")
    if bar is not None:
        bar.close()
    return optimizer, history


def plot_history(history, path):
    """Write a PNG with the loss curve and the train/test accuracy curves."""
    import matplotlib
    matplotlib.use('Agg')                 # files only: no window, works without a display
    import matplotlib.pyplot as plt
    epochs = range(1, len(history['loss']) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, history['loss'], marker='o')
    left.set(title='training loss (cross-entropy)', xlabel='epoch', ylabel='loss')
    right.plot(epochs, history['train_acc'], marker='o', label='train (dropout on)')
    right.plot(epochs, history['test_acc'], marker='o', label='test')
    right.set(title='accuracy', xlabel='epoch', ylabel='accuracy')
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run_demo(epochs=20, device='cpu', out='minigrad-demo', seed=0, progress=True, distributed=False):
    """Train ``DigitsCNN``, then write ``training.png`` and ``digits_cnn.npz`` to folder ``out``.

    Returns a dict with ``test_accuracy``, ``seconds`` (training time) and the two paths (``None``
    on the ranks other than 0 of a ``distributed`` run, which write nothing).
    """
    manual_seed(seed)
    data = load_digits_split(device)
    model = DigitsCNN().to(device)
    sampler = None
    if distributed:
        from . import distributed as dist
        from .nn.parallel import DistributedDataParallel
        from .utils.data import DistributedSampler
        dist.init_process_group('nccl' if device == 'cuda' else 'mpi')
        sampler = DistributedSampler(TensorDataset(*data[:2]), seed=seed)
        model = DistributedDataParallel(model)
        progress = progress and dist.get_rank() == 0
    start = time.perf_counter()
    optimizer, history = train(model, data, epochs=epochs, progress=progress, sampler=sampler)
    seconds = time.perf_counter() - start
    if distributed:
        model = model.module                          # the checkpoint holds the plain CNN
        if dist.get_rank() != 0:
            return {'test_accuracy': history['test_acc'][-1], 'seconds': seconds, 'plot': None,
                    'checkpoint': None}
    os.makedirs(out, exist_ok=True)
    plot_path = os.path.join(out, 'training.png')
    checkpoint_path = os.path.join(out, 'digits_cnn.npz')
    plot_history(history, plot_path)
    save({'model': model.state_dict(), 'optim': optimizer.state_dict(), 'epoch': epochs,
          'history': history, 'seed': seed}, checkpoint_path)
    return {'test_accuracy': history['test_acc'][-1], 'seconds': seconds,
            'plot': plot_path, 'checkpoint': checkpoint_path}
