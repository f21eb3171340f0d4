"""The LSTM classifier of article 004 ("foundations of AI large models").

The article's ``RNN`` runs as written: a stacked ``nn.LSTM`` with ``batch_first=True`` from zero
initial states, and a linear layer on the last time step's output. It reads an image row by row,
the way such a model is usually first met on MNIST; here the images are scikit-learn's 8x8 digits,
eight rows of eight pixels.

    LIB=minigrad python tests/programs/article_lstm.py
"""
import os

import numpy as np
from sklearn.datasets import load_digits

from twin import share_initial_weights

if os.environ.get("LIB") == "minigrad":
    import minigrad as torch
    import minigrad.nn as nn
else:
    import torch
    import torch.nn as nn


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        output, (hn, cn) = self.lstm(x, (h0, c0))
        output = self.fc(output[:, -1, :])
        return output


digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)     # (N, 8 rows, 8 pixels)
labels = digits.target

torch.manual_seed(0)
model = RNN(input_size=8, hidden_size=32, num_layers=2, num_classes=10)
share_initial_weights(torch, model)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

losses = []
for step, i in enumerate(range(0, 768, 32)):
    x = torch.from_numpy(images[i:i + 32])
    y = torch.from_numpy(labels[i:i + 32])
    loss = criterion(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if step % 8 == 0:
        print(f"step {step}: loss {loss.item():.4f}")

with torch.no_grad():
    x = torch.from_numpy(images[1000:1200])
    y = torch.from_numpy(labels[1000:1200])
    print(f"accuracy on held-out digits: {(model(x).argmax(1) == y).float().mean().item():.3f}")
