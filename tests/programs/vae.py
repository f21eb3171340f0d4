"""A variational autoencoder in the structure of pytorch/examples' VAE: ``encode`` to a mean and a
log-variance, ``reparameterize``, ``decode``, and the loss as binary cross-entropy plus the KL
divergence, trained with Adam on scikit-learn's 8x8 digits.

    LIB=minigrad python tests/programs/vae.py
"""
import os

import numpy as np
from sklearn.datasets import load_digits

from twin import share_initial_weights

if os.environ.get("LIB") == "minigrad":
    import minigrad as torch
    from minigrad import nn, optim
    from minigrad.nn import functional as F
    from minigrad.utils.data import DataLoader, TensorDataset
else:
    import torch
    from torch import nn, optim
    from torch.nn import functional as F
    from torch.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()

        self.fc1 = nn.Linear(64, 48)
        self.fc21 = nn.Linear(48, 8)
        self.fc22 = nn.Linear(48, 8)
        self.fc3 = nn.Linear(8, 48)
        self.fc4 = nn.Linear(48, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        # pytorch/examples draws eps = torch.randn_like(std) here; the two libraries' generators
        # differ, so the noise is drawn with NumPy and passed in, the same for both runs
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction='sum')

    # see Appendix B from VAE paper:
    # Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
    # https://arxiv.org/abs/1312.6114
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    return BCE + KLD


def train(epoch, losses):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        eps = torch.from_numpy(noise.standard_normal((data.shape[0], 8)).astype(np.float32))
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data, eps)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        losses.append(loss.item() / len(data))
    print('====> Epoch: {} Average loss: {:.4f}'.format(
          epoch, train_loss / len(train_loader.dataset)))


def test(epoch, losses):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.to(device)
            recon_batch, mu, logvar = model(data, torch.zeros(data.shape[0], 8))  # the means
            test_loss += loss_function(recon_batch, data, mu, logvar).item()

    test_loss /= len(test_loader.dataset)
    losses.append(test_loss)
    print('====> Test set loss: {:.4f}'.format(test_loss))


torch.manual_seed(1)
device = torch.device("cpu")
noise = np.random.default_rng(1)

digits = load_digits()
images = (digits.data / 16.0).astype(np.float32)          # pixels in [0, 1], as MNIST's ToTensor
targets = digits.target
train_loader = DataLoader(TensorDataset(torch.from_numpy(images[:512]), torch.from_numpy(targets[:512])),
                          batch_size=64, shuffle=False)
test_loader = DataLoader(TensorDataset(torch.from_numpy(images[512:768]), torch.from_numpy(targets[512:768])),
                         batch_size=128, shuffle=False)

model = VAE().to(device)
share_initial_weights(torch, model)
optimizer = optim.Adam(model.parameters(), lr=1e-2)

losses = []
for epoch in range(1, 4):
    train(epoch, losses)
    test(epoch, losses)

with torch.no_grad():
    sample = torch.from_numpy(noise.standard_normal((16, 8)).astype(np.float32)).to(device)
    sample = model.decode(sample).cpu()
    print(sample.view(16, 1, 8, 8).shape)
