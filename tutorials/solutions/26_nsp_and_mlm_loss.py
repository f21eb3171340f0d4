"""Exercise 26 — a next-sentence-prediction pair, and the masked-LM loss that skips the -100 labels.

Follows chapter 11 (notebooks/11_pretraining_bert.ipynb, §2 and §4) and article 003 §2 (预训练).

NSP packs two segments into one input, exactly as the chapter's ``nsp_pairs`` does:

    ids      = [CLS] a_0 … a_{n-1} [SEP] b_0 … b_{m-1}
    segments =   0    0  …    0      0    1  …    1         (A's part, [CLS] and [SEP] included, is 0)

where B is ``b_next`` (what really follows A: IsNext, label 1) when ``coin < 0.5``, and ``b_random``
(NotNext, label 0) otherwise. ``nsp_pair`` returns ``(ids, segments, label)``: two int64 NumPy arrays
of length n + m + 2 and a Python int.

Masked LM scores only the chosen positions: their labels are the original ids, every other label is
-100 (exercise 21). With logits (N, T, V) and labels (N, T),

    mlm_loss = mean over the positions whose label != -100 of  −log softmax(logits)[label]

Return a minigrad Tensor (a scalar) so that ``backward`` reaches the logits. Do it by hand, with
``logits.log_softmax(dim=-1)``, indexing or ``gather``, and a 0/1 weight per position (do not pass
``ignore_index`` to ``F.cross_entropy``; the checker compares with it).

Check your work:  python -m minigrad check tutorials/26_nsp_and_mlm_loss.py   (or run this file).
"""
import numpy as np

import minigrad


def nsp_pair(a, b_next, b_random, coin, cls_id, sep_id):
    """(ids, segments, label) of one NSP example: [CLS] A [SEP] B."""
    is_next = coin < 0.5
    b = b_next if is_next else b_random
    ids = np.concatenate([[cls_id], a, [sep_id], b]).astype(np.int64)
    segments = np.concatenate([np.zeros(len(a) + 2, np.int64), np.ones(len(b), np.int64)])
    return ids, segments, int(is_next)


def mlm_loss(logits, labels):
    """The mean cross-entropy of logits (N, T, V) over the positions whose label is not -100."""
    V = logits.shape[-1]
    flat = logits.reshape(-1, V).log_softmax(dim=-1)            # (N·T, V)
    y = labels.numpy().reshape(-1)
    keep = y != -100
    picked = flat[np.arange(len(y)), np.where(keep, y, 0)]     # any valid index where the label is -100
    weight = minigrad.tensor(keep.astype(np.float32))
    return -(picked * weight).sum() / float(keep.sum())


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
