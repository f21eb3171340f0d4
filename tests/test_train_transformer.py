"""Training tests: the attention models learn real tasks, on the CPU, in seconds.

- an encoder-decoder ``nn.Transformer`` learns to reverse digit sequences and decodes held-out
  sequences greedily (one token at a time under the causal mask) with >= 99% exact-sequence accuracy;
- a decoder-only ``GPT`` character model, trained on the docstrings of Python's standard library
  (text every install has, so the test needs no download), reaches a validation loss far below
  the unigram baseline (the loss of predicting every character from its frequency alone).

Each is seeded with ``manual_seed`` and takes well under a minute on two CPU cores.
"""
import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.models import GPT, CharTokenizer, stdlib_text
from minigrad.optim import Adam


class Reverser(nn.Module):
    """Digits in, digits out: embeddings + positional encoding around an nn.Transformer."""

    def __init__(self, vocab, length, d_model=32):
        super().__init__()
        self.bos = vocab                                   # the extra token that starts every output
        self.src_emb = nn.Embedding(vocab, d_model)
        self.tgt_emb = nn.Embedding(vocab + 1, d_model)
        self.pos = nn.PositionalEncoding(d_model, max_len=length)
        self.transformer = nn.Transformer(d_model, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
                                          dim_feedforward=2 * d_model, dropout=0.0, batch_first=True)
        self.out = nn.Linear(d_model, vocab)

    def encode(self, src):
        return self.transformer.encoder(self.pos(self.src_emb(src)))

    def decode(self, tgt_in, memory):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1])
        return self.out(self.transformer.decoder(self.pos(self.tgt_emb(tgt_in)), memory, tgt_mask=mask))

    def forward(self, src, tgt_in):
        return self.decode(tgt_in, self.encode(src))

    @mg.no_grad()
    def greedy(self, src):
        """Write the answer one digit at a time, each time feeding back the digits chosen so far."""
        memory = self.encode(src)
        out = np.full((src.shape[0], 1), self.bos)
        for _ in range(src.shape[1]):
            nxt = self.decode(mg.tensor(out), memory)[:, -1].argmax(-1).numpy()
            out = np.concatenate([out, nxt[:, None]], axis=1)
        return out[:, 1:]


def test_transformer_learns_to_reverse_digit_sequences():
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    vocab, length, steps, batch = 10, 8, 350, 64
    held_out = rng.integers(0, vocab, (1000, length))
    unseen = set(map(tuple, held_out.tolist()))
    model = Reverser(vocab, length)
    opt = Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        src = rng.integers(0, vocab, (batch, length))
        src = src[[tuple(s) not in unseen for s in src.tolist()]]      # never train on a test sequence
        tgt = src[:, ::-1]
        tgt_in = np.concatenate([np.full((len(src), 1), model.bos), tgt[:, :-1]], axis=1)   # teacher forcing
        logits = model(mg.tensor(src), mg.tensor(tgt_in))
        loss = F.cross_entropy(logits.reshape(-1, vocab), mg.tensor(tgt.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    exact = (model.greedy(mg.tensor(held_out)) == held_out[:, ::-1]).all(axis=1).mean()
    # measured: 100.0% of the 1000 held-out sequences after 350 steps (seeds 0, 1, 2)
    assert exact >= 0.99, f"exact-sequence accuracy {exact:.3f}"


def _unigram_loss(train, val, vocab):
    """Cross-entropy on ``val`` of the character frequencies of ``train`` (add-one smoothed)."""
    p = (np.bincount(train, minlength=vocab) + 1.0) / (len(train) + vocab)
    return float(-np.log(p[val]).mean())


def test_gpt_char_model_beats_the_unigram_baseline():
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    text = stdlib_text()
    tok = CharTokenizer(text)
    assert tok.decode(tok.encode(text[:200])) == text[:200]
    data = np.array(tok.encode(text))
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]                    # validation text is never trained on
    block, batch, steps = 32, 32, 500

    def windows(source, n, rng):
        start = rng.integers(0, len(source) - block - 1, n)[:, None]
        return mg.tensor(source[start + np.arange(block)]), mg.tensor(source[start + np.arange(1, block + 1)])

    model = GPT(tok.vocab_size, block_size=block, n_layer=2, n_head=4, n_embd=64)
    opt = Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        _, loss = model(*windows(train, batch, rng))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with mg.no_grad():
        val_loss = model(*windows(val, 512, np.random.default_rng(1)))[1].item()
    baseline = _unigram_loss(train, val, tok.vocab_size)
    # measured (Python 3.11's docstrings, 166k characters, 96 distinct): unigram 3.18 nats per
    # character; GPT 2.24 after 500 steps (2.26 and 2.03 with seeds 1 and 2). "Well below" is
    # asked as 0.8 nat (a quarter of the baseline) better
    assert val_loss < baseline - 0.8, f"validation loss {val_loss:.3f} vs unigram baseline {baseline:.3f}"

    prompt = mg.tensor([tok.encode("Return the ")])
    sample = model.generate(prompt, 20, top_k=5)
    assert tuple(sample.shape) == (1, 31) and sample[:, :11].tolist() == prompt.tolist()
    assert set(sample.tolist()[0]) <= set(range(tok.vocab_size))
