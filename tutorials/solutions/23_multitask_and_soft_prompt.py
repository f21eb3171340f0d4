"""Exercise 23 — multi-task and prompt learning: the weighted multi-task loss and prepending a soft prompt.

Follows chapter 14 (notebooks/14_multitask_and_prompts.ipynb, §1 and §3) and article 003 §2 (多任务学习, 提示学习).
With minigrad Tensors (``import minigrad.nn.functional as F``):

    multitask_loss(logits_a, labels_a, logits_b, labels_b, w) = CE(logits_a, labels_a) + w · CE(logits_b, labels_b)

where CE is ``F.cross_entropy`` (the mean over the batch): task a counts fully, task b with the weight w.

    prepend_prompt(prompt, embeddings)   prompt (1, P, D), embeddings (N, T, D)  ->  (N, P + T, D)

puts the same P prompt vectors in front of every sequence of the batch (``prompt.expand(N, P, D)`` then
``minigrad.cat(..., dim=1)``), so that the gradient reaches ``prompt``: it is what a soft prompt trains.

Check your work:  python -m minigrad check tutorials/23_multitask_and_soft_prompt.py   (or run this file).
"""
import minigrad
import minigrad.nn.functional as F


def multitask_loss(logits_a, labels_a, logits_b, labels_b, w):
    """CE(a) + w · CE(b), a 0-d Tensor."""
    return F.cross_entropy(logits_a, labels_a) + w * F.cross_entropy(logits_b, labels_b)


def prepend_prompt(prompt, embeddings):
    """(N, P + T, D): the prompt vectors in front of every sequence."""
    n, _, d = embeddings.shape
    return minigrad.cat([prompt.expand(n, prompt.shape[1], d), embeddings], dim=1)


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
