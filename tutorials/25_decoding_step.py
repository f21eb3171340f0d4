"""Exercise 25 — one decoding step (greedy or temperature), and perplexity from per-token log-probs.

Follows chapter 10 (notebooks/10_language_models.ipynb, §2–3) and article 001 §6 (文本生成).

A decoding step turns the last position's logits z (B, V) into one token per row:

    greedy (temperature == 0):  the token = argmax z                   (always the most likely one)
    sampling (temperature > 0): p = softmax(z / T), then the token is the first index i whose
                                cumulative probability p_0 + … + p_i reaches u

where u (B,) are uniform random numbers in [0, 1) given to you (so every run is the same: the
checker draws them). ``next_token`` returns the B token ids as int64 (a NumPy array, a list or a Tensor).

A model that gives each real token t of a batch the log-probability log p(t | what came before)
(a (B, T) array, natural log, padded with anything where ``mask`` is 0) has

    perplexity = exp( − (Σ over real tokens of log p) / (number of real tokens) )

``perplexity_from_log_probs`` returns it as a Python float. Inputs are minigrad Tensors; ``x.numpy()``
gives a NumPy array, and NumPy is fine for both blanks.

Check your work:  python -m minigrad check tutorials/25_decoding_step.py   (or run this file).
"""
import numpy as np

import minigrad


def next_token(logits, temperature, u):
    """The next token of each of the B rows of ``logits`` (B, V): int64, shape (B,)."""
    raise NotImplementedError("exercise: argmax when temperature == 0, else the first index whose cumulative softmax(z / T) reaches u")


def perplexity_from_log_probs(log_probs, mask):
    """The perplexity (a float) of per-token log-probs (B, T), counting only where mask is 1."""
    raise NotImplementedError("exercise: exp of minus the mean log-prob over the real (mask == 1) tokens")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
