"""The Transformer of article 000 ("getting started with large models"), corrected.

The article's ``Transformer`` class does not run and would not be a Transformer if it did:

- ``math`` is used but not imported, and ``get_position_encoding`` is called but never defined;
- the positional encoding is an ``nn.Parameter`` of shape (max_len, d_model), indexed as if it
  had a batch dimension; the sinusoidal encoding is fixed, so here it is a buffer (1, max_len, d);
- each layer calls ``nn.MultiheadAttention`` as ``attn(src, x, x)`` with ``x`` a linear projection
  of ``src`` (the attention module projects queries, keys and values itself), and uses its
  return value, a tuple (output, weights), as a tensor;
- there is ``tanh`` between layers but no residual connection, no layer norm and no feed-forward
  network, all of which the article's own formulas describe.

Here each encoder layer is self-attention and a position-wise FFN, each followed by a residual
connection and layer norm, as in the article's text. The task: every position of a padded
sequence of 4-feature vectors predicts the mean of the valid positions' first feature (a task
that needs attention), with the padding masked (``src_key_padding_mask``) in attention and loss.

    LIB=minigrad python tests/programs/article_transformer.py
"""
import math
import os

import numpy as np

from twin import share_initial_weights

if os.environ.get("LIB") == "minigrad":
    import minigrad as torch
    import minigrad.nn as nn
else:
    import torch
    import torch.nn as nn


class EncoderLayer(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, dropout):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, n_heads, dropout=dropout, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, key_padding_mask=None):
        attn_out, _ = self.self_attn(x, x, x, key_padding_mask=key_padding_mask)
        x = self.norm1(x + self.dropout(attn_out))
        x = self.norm2(x + self.dropout(self.ffn(x)))
        return x


class Transformer(nn.Module):
    def __init__(self, input_dim, output_dim, n_heads, n_layers, d_model, d_ff, dropout=0.1, max_len=64):
        super(Transformer, self).__init__()
        self.d_model = d_model
        self.embedding = nn.Linear(input_dim, d_model)
        self.register_buffer("pos_encoding", self.get_position_encoding(max_len, d_model))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList([EncoderLayer(d_model, n_heads, d_ff, dropout) for _ in range(n_layers)])
        self.fc_out = nn.Linear(d_model, output_dim)

    @staticmethod
    def get_position_encoding(max_len, d_model):
        """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d))."""
        position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(1, max_len, d_model)
        pe[0, :, 0::2] = torch.sin(position * div_term)
        pe[0, :, 1::2] = torch.cos(position * div_term)
        return pe

    def forward(self, src, src_key_padding_mask=None):
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = src + self.pos_encoding[:, :src.size(1)]
        src = self.dropout(src)
        for layer in self.layers:
            src = layer(src, src_key_padding_mask)
        return self.fc_out(src)


rng = np.random.default_rng(0)
N, S = 256, 12
x = rng.standard_normal((N, S, 4)).astype(np.float32)
lengths = rng.integers(4, S + 1, size=N)
pad = np.arange(S)[None, :] >= lengths[:, None]                      # True where padded
x[pad] = 0.0
y = (np.where(pad, 0.0, x[:, :, 0]).sum(1) / lengths).astype(np.float32)
y = np.repeat(y[:, None], S, axis=1)[:, :, None]                      # every position, (N, S, 1)

torch.manual_seed(0)
# dropout masks are random draws, which differ between the libraries: off
model = Transformer(input_dim=4, output_dim=1, n_heads=4, n_layers=2, d_model=32, d_ff=64, dropout=0.0)
share_initial_weights(torch, model)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

losses = []
batch_size = 32
for epoch in range(3):
    for i in range(0, N, batch_size):
        src = torch.from_numpy(x[i:i + batch_size])
        mask = torch.from_numpy(pad[i:i + batch_size])
        target = torch.from_numpy(y[i:i + batch_size])
        out = model(src, src_key_padding_mask=mask)
        valid = (~mask).unsqueeze(-1).float()
        loss = ((out - target) ** 2 * valid).sum() / valid.sum()       # MSE over the valid positions
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"epoch {epoch}: loss {loss.item():.4f}")
