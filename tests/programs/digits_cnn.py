"""A CNN classifies handwritten digits, in the structure of pytorch/examples' MNIST example (smaller):
``Net`` with two convolutions, ``train``/``test`` functions, a ``DataLoader``, Adadelta and a
``StepLR`` schedule. The data is scikit-learn's 8x8 digits (no download).

    LIB=minigrad python tests/programs/digits_cnn.py
"""
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from twin import share_initial_weights

if os.environ.get("LIB") == "minigrad":
    import minigrad as torch
    import minigrad.nn as nn
    import minigrad.nn.functional as F
    import minigrad.optim as optim
    from minigrad.optim.lr_scheduler import StepLR
    from minigrad.utils.data import DataLoader, TensorDataset
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim
    from torch.optim.lr_scheduler import StepLR
    from torch.utils.data import DataLoader, TensorDataset

# Dropout draws random masks, and the two libraries draw different numbers: off, so that both
# runs compute the same thing. (pytorch/examples uses 0.25 and 0.5.)
DROPOUT = 0.0


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1)
        self.conv2 = nn.Conv2d(16, 32, 3, 1)
        self.dropout1 = nn.Dropout(DROPOUT)
        self.dropout2 = nn.Dropout(DROPOUT)
        self.fc1 = nn.Linear(128, 64)          # 8x8 -> 6x6 -> 4x4 -> pooled 2x2, 32 channels
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(model, device, train_loader, optimizer, epoch, losses):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % 5 == 0:
            print('Train Epoch: {} [{}/{}]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset), loss.item()))


def test(model, device, test_loader, losses):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    losses.append(test_loss)
    print('Test set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)'.format(
        test_loss, correct, len(test_loader.dataset), 100. * correct / len(test_loader.dataset)))


torch.manual_seed(1)
device = torch.device("cpu")

digits = load_digits()
images = (digits.images / 16.0 - 0.5).astype(np.float32)[:, None]   # (N, 1, 8, 8)
# train_test_split shuffles once (random_state fixed), so both runs see the same batches in order
x_train, x_test, y_train, y_test = train_test_split(images, digits.target, train_size=384,
                                                    test_size=128, random_state=0)
train_set = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
test_set = TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test))
train_loader = DataLoader(train_set, batch_size=32, shuffle=False)
test_loader = DataLoader(test_set, batch_size=128)

model = Net().to(device)
share_initial_weights(torch, model)
optimizer = optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)

losses = []
for epoch in range(1, 3):
    train(model, device, train_loader, optimizer, epoch, losses)
    test(model, device, test_loader, losses)
    scheduler.step()
