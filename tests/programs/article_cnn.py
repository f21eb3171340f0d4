"""The CNN of article 004 ("foundations of AI large models"), corrected.

The article's ``CNN`` takes 3-channel images (CIFAR-10's 32x32, the article's dataset) through
two 3x3 convolutions with ``padding=1`` and two 2x2 max-pools, then flattens to ``64 * 6 * 6``.
Padding keeps the size, each pool halves it: 32 -> 16 -> 8, so the flattened size is
``64 * 8 * 8``. ``64 * 6 * 6`` is right only for 24x24 inputs; on 32x32 images
``x.view(-1, 64 * 6 * 6)`` fails, or, when the batch size is a multiple of 9, silently cuts the
batch into wrong rows. Here ``fc1`` takes ``64 * 8 * 8``, and the flatten keeps the batch
dimension (``x.view(x.size(0), -1)``), so a wrong size is an error, never a reshuffle.

The images: scikit-learn's 8x8 digits, scaled to 32x32 and repeated over three channels.

    LIB=minigrad python tests/programs/article_cnn.py
"""
import os

import numpy as np
from sklearn.datasets import load_digits

from twin import share_initial_weights

if os.environ.get("LIB") == "minigrad":
    import minigrad as torch
    import minigrad.nn as nn
    import minigrad.nn.functional as F
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


class CNN(nn.Module):
    def __init__(self):
        super(CNN, self).__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(64 * 8 * 8, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))      # (N, 32, 16, 16)
        x = self.pool(F.relu(self.conv2(x)))      # (N, 64, 8, 8)
        x = x.view(x.size(0), -1)                 # (N, 64 * 8 * 8)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x


digits = load_digits()
images = np.kron(digits.images[:320] / 16.0, np.ones((4, 4)))          # 8x8 -> 32x32
images = np.repeat(images[:, None], 3, axis=1).astype(np.float32)      # three channels
labels = digits.target[:320]

torch.manual_seed(0)
model = CNN()
share_initial_weights(torch, model)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

losses = []
for i in range(0, len(images), 16):
    inputs = torch.from_numpy(images[i:i + 16])
    targets = torch.from_numpy(labels[i:i + 16])
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if i % 80 == 0:
        print(f"step {i // 16}: loss {loss.item():.4f}")
