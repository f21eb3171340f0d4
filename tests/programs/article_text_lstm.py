"""The text classifier of article 002 ("building your first large model"), in PyTorch.

The article builds it in Keras: ``Embedding(10000, 128) -> LSTM(64) -> Dense(10, softmax)``,
compiled with ``categorical_crossentropy``, and fits on ``x_train, y_train`` it never defines.
Two things change on the way to PyTorch:

- the model returns logits, with no softmax: ``nn.CrossEntropyLoss`` applies log-softmax itself,
  and a softmax before it would be applied twice (the loss would still fall, slowly and wrongly);
- labels are class indices, not the one-hot rows ``categorical_crossentropy`` expects (Keras'
  ``sparse_categorical_crossentropy`` would take indices).

The data: token sequences whose class is the first token's last digit, so the LSTM must carry
what it saw first to the end of the sequence.

    LIB=minigrad python tests/programs/article_text_lstm.py
"""
import os

import numpy as np

from twin import share_initial_weights

if os.environ.get("LIB") == "minigrad":
    import minigrad as torch
    import minigrad.nn as nn
    from minigrad.utils.data import DataLoader, TensorDataset
else:
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, TensorDataset


class TextClassifier(nn.Module):
    def __init__(self, vocab_size=10000, embed_dim=128, hidden_size=64, num_classes=10):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.dense = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        _, (h_n, _) = self.lstm(self.embedding(x))     # Keras' LSTM(64) returns the last state
        return self.dense(h_n[-1])                      # logits: the loss applies the softmax


rng = np.random.default_rng(0)
x_train = rng.integers(0, 10000, size=(512, 16))
y_train = x_train[:, 0] % 10

torch.manual_seed(0)
model = TextClassifier()
share_initial_weights(torch, model)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters())          # Keras' 'adam': lr 0.001
loader = DataLoader(TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train)),
                    batch_size=32, shuffle=False)

losses = []
for epoch in range(2):
    correct = 0
    for xb, yb in loader:
        logits = model(xb)
        loss = criterion(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        correct += (logits.argmax(1) == yb).sum().item()
    print(f"epoch {epoch + 1}: loss {loss.item():.4f}, accuracy {correct / len(x_train):.3f}")
