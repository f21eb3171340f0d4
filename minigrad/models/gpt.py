"""A small decoder-only Transformer (GPT), a character tokenizer, and an offline text corpus.

GPT predicts the next token from the tokens before it. It is the encoder layer of
``minigrad.nn.transformer`` with two changes: a causal mask (position t sees tokens 0..t only, so
it cannot copy the answer) and pre-layer-norm blocks (``norm_first=True``), as GPT-2:

    x_0 = TokenEmbedding(idx) + PositionEmbedding(0..T-1)
    x_l = x_{l-1} + CausalSelfAttention(LN(x_{l-1}));  x_l = x_l + FFN(LN(x_l))     for each block
    logits = LN(x_L) W_headᵀ          (W_head is the token embedding itself when ``tie_weights``)

Trained with cross-entropy on "text shifted by one" (next-token prediction: GPT's pretraining
objective, where article 003 §2 lists BERT's masked-token and next-sentence ones), it becomes a
language model; ``generate`` then samples from it one token at a time. Positions are learned
embeddings or the sinusoidal table, the two kinds article 003 §2 names.
"""
import importlib
import inspect

from ..autograd import no_grad
from ..backend import get_array_module
from ..creation import arange, as_tensor
from ..tensor import Tensor, cat
from .. import random as _random
from ..nn import functional as F
from ..nn import init
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.normalization import LayerNorm
from ..nn.sparse import Embedding
from ..nn.transformer import PositionalEncoding, TransformerEncoder, TransformerEncoderLayer


class GPT(Module):
    """GPT(vocab_size, block_size, n_layer=4, n_head=4, n_embd=128, dropout=0.0,
    positions='learned', tie_weights=True).

    ``block_size`` is the longest context; ``positions`` is ``'learned'`` (an Embedding per
    position, as GPT-2) or ``'sinusoidal'`` (the fixed table of ``PositionalEncoding``).
    Weights start as GPT-2's: N(0, 0.02) for matrices and embeddings, zero biases.
    forward(idx, targets=None) takes (B, T) token ids and returns ``(logits, loss)``: logits
    (B, T, vocab_size), loss the mean cross-entropy against ``targets`` (None without targets).
    """

    def __init__(self, vocab_size, block_size, n_layer=4, n_head=4, n_embd=128, dropout=0.0,
                 positions='learned', tie_weights=True):
        super().__init__()
        if positions not in ('learned', 'sinusoidal'):
            raise ValueError(f"GPT: positions should be 'learned' or 'sinusoidal', not {positions!r}")
        self.vocab_size, self.block_size = vocab_size, block_size
        self.tok_emb = Embedding(vocab_size, n_embd)
        self.pos_emb = (Embedding(block_size, n_embd) if positions == 'learned'
                        else PositionalEncoding(n_embd, max_len=block_size))
        self.drop = Dropout(dropout)
        block = TransformerEncoderLayer(n_embd, n_head, dim_feedforward=4 * n_embd, dropout=dropout,
                                        activation='gelu', batch_first=True, norm_first=True)
        # the stack's closing LayerNorm is GPT-2's final "ln_f"
        self.blocks = TransformerEncoder(block, n_layer, norm=LayerNorm(n_embd))
        self.head = Linear(n_embd, vocab_size, bias=False)
        for name, p in self.named_parameters():
            if p.ndim > 1:
                init.normal_(p, 0.0, 0.02)
            elif name.endswith('bias'):
                init.zeros_(p)
        if tie_weights:
            # one matrix both reads tokens in and scores them out: fewer parameters, and a token's
            # input vector and output vector learn from each other
            self.head.weight = self.tok_emb.weight

    def forward(self, idx, targets=None):
        if idx.ndim != 2:
            raise ValueError(f"GPT: expected token ids of shape (batch, seq), got {tuple(idx.shape)}")
        T = idx.shape[1]
        if T > self.block_size:
            raise ValueError(f"GPT: sequence length {T} is longer than block_size {self.block_size}")
        x = self.tok_emb(idx)
        if isinstance(self.pos_emb, Embedding):
            x = x + self.pos_emb(arange(T, device=idx.device))
        else:
            x = self.pos_emb(x)
        x = self.blocks(self.drop(x), is_causal=True)     # attention masks the future itself, no T×T table
        logits = self.head(x)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.reshape(-1, self.vocab_size), targets.reshape(-1))
        return logits, loss

    @no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        """Extend (B, T) ids by ``max_new_tokens`` tokens, each drawn from
        softmax(logits / temperature) of the last position, restricted to the ``top_k`` most likely
        when given (``top_k=1`` is greedy decoding). Call ``.eval()`` first when using dropout.
        """
        if temperature <= 0:
            raise ValueError(f"GPT.generate: temperature must be > 0, got {temperature} "
                             f"(use top_k=1 for greedy decoding)")
        xp = get_array_module(idx.data)
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.block_size:])
            scores = logits.data[:, -1, :] / temperature
            if top_k is not None:
                kth = xp.sort(scores, axis=-1)[:, -min(top_k, scores.shape[-1]), None]
                scores = xp.where(scores < kth, -xp.inf, scores)
            probs = as_tensor(scores).softmax(-1).data
            # inverse-CDF sampling: the first token whose cumulative probability passes u ~ U(0, 1)
            u = _random.generator(xp).random((probs.shape[0], 1), dtype=probs.dtype)
            nxt = xp.minimum((xp.cumsum(probs, axis=-1) < u).sum(-1), probs.shape[-1] - 1)
            idx = cat([idx, as_tensor(nxt[:, None].astype(idx.dtype))], dim=1)
        return idx


class CharTokenizer:
    """Characters as tokens: the vocabulary is the sorted set of characters of ``text``.

    ``encode(str) -> list[int]``, ``decode(ids) -> str`` (a list, array or Tensor of ids),
    ``vocab_size``. A character outside the vocabulary is an error, not a silent skip.
    """

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        unknown = sorted(set(text) - self.stoi.keys())
        if unknown:
            raise ValueError(f"CharTokenizer.encode: characters not in the vocabulary: {unknown[:10]!r}")
        return [self.stoi[c] for c in text]

    def decode(self, ids):
        if isinstance(ids, Tensor):
            ids = ids.tolist()
        return ''.join(self.chars[int(i)] for i in ids)

    def __repr__(self):
        return f"CharTokenizer(vocab_size={self.vocab_size})"


STDLIB_MODULES = ('textwrap', 'json', 'collections', 'functools', 'itertools', 'string', 'random',
                  'argparse', 'pathlib', 'dataclasses', 'fractions', 'decimal', 'heapq', 'bisect',
                  'statistics', 'csv', 'logging', 'shutil', 'tempfile', 'difflib', 'calendar',
                  'ipaddress', 'unittest', 'contextlib', 'enum', 'typing', 'inspect', 'pickle')


def stdlib_text(modules=STDLIB_MODULES):
    """English text that every Python install has: the docstrings of some standard-library modules
    and of their public classes and functions, joined by blank lines. Built offline, in a fixed
    order, so the same Python version always gives the same corpus.
    """
    parts = []
    for name in modules:
        module = importlib.import_module(name)
        for obj in [module] + [getattr(module, attr) for attr in sorted(getattr(module, '__all__', ()))
                               if hasattr(module, attr)]:
            doc = inspect.getdoc(obj) if (inspect.ismodule(obj) or inspect.isclass(obj)
                                          or inspect.isroutine(obj)) else None
            if doc:
                parts.append(doc.strip())
    seen, unique = set(), []
    for p in parts:        # re-exported objects would otherwise appear twice
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return '\n\n'.join(unique) + '\n'
