"""Exercise 21 — BERT's masked-LM masking (80/10/10) and the masked-token accuracy.

Follows chapter 11 (notebooks/11_pretraining_bert.ipynb, §1 and §4) and article 003 §2 (预训练).
The random numbers are given, so that every answer is checkable. For token ids ``ids`` (N, T):

    chosen   = (choose < rate) and the id is not special (id < first_special)
    labels   = ids where chosen, else -100             (F.cross_entropy ignores -100)
    inputs   = ids, except at chosen positions where
                   kind < 0.8          -> mask_id                (80%: [MASK])
                   0.8 <= kind < 0.9   -> random_ids             (10%: a random token)
                   kind >= 0.9         -> unchanged              (10%)

``mask_tokens(ids, choose, kind, random_ids, mask_id, first_special, rate=0.15)`` takes NumPy arrays
(``choose`` and ``kind`` uniform in [0, 1), ``random_ids`` integers, all shaped like ``ids``) and
returns ``(inputs, labels)``, two int64 NumPy arrays shaped like ``ids``.

``masked_accuracy(logits, labels)`` takes scores (N, T, V) and the labels (N, T) with -100 at the
positions not chosen, and returns the fraction of chosen positions whose argmax is the label (a float).

Check your work:  python -m minigrad check tutorials/21_mlm_masking.py   (or run this file).
"""


def mask_tokens(ids, choose, kind, random_ids, mask_id, first_special, rate=0.15):
    """(inputs, labels): the 80/10/10 masking of ``ids``, with -100 labels where nothing is predicted."""
    raise NotImplementedError("exercise: choose positions, label them, then [MASK] / random / unchanged")


def masked_accuracy(logits, labels):
    """The fraction of the chosen positions (label != -100) whose highest score is the label."""
    raise NotImplementedError("exercise: argmax over the vocabulary, compared at the chosen positions only")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
