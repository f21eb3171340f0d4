"""Exercise 21 — BERT's masked-LM masking (80/10/10) and the masked-token accuracy: a reference solution.

See tutorials/21_mlm_masking.py for the task.
"""
import numpy as np


def mask_tokens(ids, choose, kind, random_ids, mask_id, first_special, rate=0.15):
    chosen = (choose < rate) & (ids < first_special)
    labels = np.where(chosen, ids, -100).astype(np.int64)
    inputs = np.array(ids, dtype=np.int64)
    inputs[chosen & (kind < 0.8)] = mask_id
    swap = chosen & (kind >= 0.8) & (kind < 0.9)
    inputs[swap] = random_ids[swap]
    return inputs, labels


def masked_accuracy(logits, labels):
    logits, labels = np.asarray(logits), np.asarray(labels)
    chosen = labels != -100
    return float((logits.argmax(-1)[chosen] == labels[chosen]).mean())


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
