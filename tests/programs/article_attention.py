"""The attention module of article 004 ("foundations of AI large models"), corrected.

The article's ``Attention.forward(t, enc, enc_lengths)`` does not run: ``bmm(t.unsqueeze(2),
enc.unsqueeze(1))`` multiplies 4-d tensors; ``e - e.masked_fill(...)`` subtracts the scores from
themselves (zero where unmasked, ``inf - inf = nan`` where masked); the mask compares
``enc_lengths`` with 0 and -1 instead of positions with lengths; the "attention distribution"
``(e * enc).sum(1)`` sums over the wrong axis; ``self.model(t)(t.unsqueeze(1))`` calls a model's
output; and ``attn_dropout`` is a float that is never used.

What it describes is attention over the encoder states of padded sequences: scores
``e_i = enc_i . t``, positions past each sequence's length masked to ``-inf``, weights
``a = softmax(e)``, context ``c = sum_i a_i enc_i``, combined with the query as
``tanh(W [c; t])``. Here that is used to classify padded digit sequences (does the valid part
hold more 3s than 5s?), with a GRU as the encoder and a learned query.

    LIB=minigrad python tests/programs/article_attention.py
"""
import os

import numpy as np

from twin import share_initial_weights

if os.environ.get("LIB") == "minigrad":
    import minigrad as torch
    import minigrad.nn as nn
    import minigrad.nn.functional as F
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, hidden_size, attn_dropout=0.1):
        super(Attention, self).__init__()
        self.attn_dropout = nn.Dropout(attn_dropout)
        self.out = nn.Linear(2 * hidden_size, hidden_size)

    def forward(self, t, enc, enc_lengths):
        # t: (B, H) query, enc: (B, S, H) encoder states, enc_lengths: (B,) valid lengths
        # attention scores
        e = torch.bmm(enc, t.unsqueeze(2)).squeeze(2)                              # (B, S)
        padded = torch.arange(enc.size(1), device=enc.device)[None, :] >= enc_lengths[:, None]
        e = e.masked_fill(padded, float('-inf'))
        # attention distribution
        a = self.attn_dropout(F.softmax(e, dim=1))                                 # (B, S)
        # context vector
        c = torch.bmm(a.unsqueeze(1), enc).squeeze(1)                               # (B, H)
        return torch.tanh(self.out(torch.cat([c, t], dim=1))), a


class Classifier(nn.Module):
    def __init__(self, vocab_size, hidden_size, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, hidden_size)
        self.encoder = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.query = nn.Parameter(torch.randn(hidden_size) * 0.1)
        # dropout masks are random draws, which differ between the libraries: off
        self.attention = Attention(hidden_size, attn_dropout=0.0)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x, lengths):
        enc, _ = self.encoder(self.embedding(x))
        t = self.query.expand(x.size(0), -1)
        h, _ = self.attention(t, enc, lengths)
        return self.fc(h)


rng = np.random.default_rng(0)
N, S = 512, 10
lengths = rng.integers(2, S + 1, size=N)
tokens = rng.integers(1, 10, size=(N, S))
tokens[np.arange(S)[None, :] >= lengths[:, None]] = 0                  # 0 pads
labels = ((tokens == 3).sum(1) > (tokens == 5).sum(1)).astype(np.int64)

torch.manual_seed(0)
model = Classifier(vocab_size=10, hidden_size=24, num_classes=2)
share_initial_weights(torch, model)
optimizer = torch.optim.Adam(model.parameters(), lr=0.003)

losses = []
for epoch in range(2):
    for i in range(0, 384, 32):
        logits = model(torch.from_numpy(tokens[i:i + 32]), torch.from_numpy(lengths[i:i + 32]))
        loss = F.cross_entropy(logits, torch.from_numpy(labels[i:i + 32]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"epoch {epoch}: loss {loss.item():.4f}")

with torch.no_grad():
    logits = model(torch.from_numpy(tokens[384:]), torch.from_numpy(lengths[384:]))
    y = torch.from_numpy(labels[384:])
    losses.append(F.cross_entropy(logits, y).item())
    print(f"held-out accuracy {(logits.argmax(1) == y).float().mean().item():.3f}")
