"""An LSTM learns a task that needs memory: which of two marker symbols came first.

Each sequence holds random noise symbols and, at two random positions, the markers A and B. The
label is 1 when A comes before B. Nothing at the end of the sequence tells the answer: the LSTM
must notice the first marker when it passes and keep that in its cell state until the last
step, whose hidden state alone feeds the classifier. A model without memory scores 50%.
"""
import time

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.optim import Adam

SEQ, NOISE = 20, 4
A, B = NOISE, NOISE + 1          # the two marker symbols; 0 .. NOISE-1 are noise
VOCAB = NOISE + 2


def make_data(n, rng):
    """``n`` one-hot sequences (n, SEQ, VOCAB) and their labels (1: A came first)."""
    tokens = rng.integers(0, NOISE, size=(n, SEQ))
    positions = np.argsort(rng.random((n, SEQ)), axis=1)[:, :2]      # two distinct places per row
    rows = np.arange(n)
    tokens[rows, positions[:, 0]] = A
    tokens[rows, positions[:, 1]] = B
    labels = (positions[:, 0] < positions[:, 1]).astype(np.int64)
    return np.eye(VOCAB, dtype=np.float32)[tokens], labels


class FirstMarker(nn.Module):
    def __init__(self, hidden=24):
        super().__init__()
        self.lstm = nn.LSTM(VOCAB, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 2)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.head(h_n[-1])         # the last step's hidden state of the (only) layer


def test_lstm_remembers_which_marker_came_first():
    start = time.perf_counter()
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_data(2048, rng)
    x_test, y_test = make_data(1000, rng)
    model = FirstMarker()
    opt = Adam(model.parameters(), lr=0.01)
    batch = 64
    for step in range(200):
        idx = rng.integers(0, len(x_train), size=batch)
        loss = F.cross_entropy(model(mg.tensor(x_train[idx])), mg.tensor(y_train[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with mg.no_grad():
        predicted = model(mg.tensor(x_test)).argmax(dim=1).numpy()
    accuracy = (predicted == y_test).mean()
    elapsed = time.perf_counter() - start
    print(f"held-out accuracy {accuracy:.3f} after {elapsed:.1f} s")
    assert accuracy >= 0.95, f"held-out accuracy {accuracy:.3f}"
    assert elapsed < 60, f"training took {elapsed:.1f} s"
