"""Exercise 19 — perplexity, temperature and top-k sampling.

Follows chapter 10 (notebooks/10_language_models.ipynb, §2–3) and article 001 §6 (文本生成). A
language model's mean cross-entropy L (in nats, natural log) per token gives its

    perplexity = e^L                            (as unsure as a uniform choice among e^L tokens)

To draw the next token from the logits z (B, V) of the last position:

    top-k:        keep the k largest z of each row, set the others to -inf (they get probability 0)
    temperature:  p = softmax(z / T)            T < 1 sharpens, T > 1 flattens

``next_token_probs(logits, temperature, top_k)`` returns p of shape (B, V), with the top-k filter
applied first when ``top_k`` is not None (``GPT.generate`` then draws from p). ``top_k_filter``
returns a Tensor; ``x.topk(k, dim=-1)`` or ``x.sort(dim=-1)`` finds the k-th largest value, and
``minigrad.where(cond, a, b)`` picks between two tensors.

Check your work:  python -m minigrad check tutorials/19_sampling.py   (or run this file).
"""
import math

import minigrad


def perplexity(mean_loss):
    """The perplexity of a mean cross-entropy (a float, natural log)."""
    raise NotImplementedError("exercise: perplexity = e^loss")


def top_k_filter(logits, k):
    """logits (B, V) with all but the k largest of each row set to -inf."""
    raise NotImplementedError("exercise: find each row's k-th largest value, mask what is smaller with -inf")


def next_token_probs(logits, temperature, top_k=None):
    """The probabilities (B, V) to draw the next token from."""
    raise NotImplementedError("exercise: divide by the temperature, filter to the top k, softmax over the last axis")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
