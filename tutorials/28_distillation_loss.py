"""Exercise 28 — the distillation loss with a temperature.

Follows chapter 13 (notebooks/13_compressing_a_model.ipynb, §4) and article 003 §2 (知识蒸馏).
The chapter's student copies the teacher's sentence embeddings; the classic (Hinton's) recipe copies
the teacher's whole output distribution instead, softened by a temperature T:

    soft targets:       p = softmax(z / T)           (T > 1 flattens: the small probabilities show)
    distillation loss:  KL(p_teacher ‖ p_student) · T²
                        = T² · mean over the batch of  Σ_v p_t[v] · (log p_t[v] − log p_s[v])

with p_t = softmax(teacher / T) and p_s = softmax(student / T) over the last axis (logits (N, V)).
The T² keeps the gradients the same size whatever T (they shrink as 1/T² otherwise). Sum over the
classes, average over the N rows ("batchmean"). ``soft_targets`` and ``distillation_loss`` return
minigrad Tensors; the gradient must reach the student's logits (``x.softmax(dim=-1)``,
``x.log_softmax(dim=-1)``).

Check your work:  python -m minigrad check tutorials/28_distillation_loss.py   (or run this file).
"""
import minigrad


def soft_targets(logits, temperature):
    """softmax(logits / T) over the last axis."""
    raise NotImplementedError("exercise: divide by the temperature, softmax over the last axis")


def distillation_loss(student_logits, teacher_logits, temperature):
    """T² · KL(softmax(teacher / T) ‖ softmax(student / T)), summed over classes, averaged over rows."""
    raise NotImplementedError("exercise: p_t · (log p_t − log p_s), summed over classes, mean over rows, times T²")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
