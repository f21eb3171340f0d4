"""Exercise 29 — prompt tuning's bookkeeping: count the parameters, freeze the backbone.

Follows chapter 14 (notebooks/14_multitask_and_prompts.ipynb, §3) and article 003 §2 (提示学习).
Prompt tuning trains only a few prompt vectors and leaves the whole pretrained model frozen: a
backbone's parameters get ``requires_grad = False``, so backward gives them no gradient and the
optimizer leaves them alone. Two blanks:

    count_parameters(module, trainable_only=False)   the number of NUMBERS in module.parameters()
                                                     (p.numel() summed), only those with
                                                     p.requires_grad when trainable_only is True
    freeze(module)                                   set requires_grad = False on every parameter
                                                     of module (its submodules' too); return module

The checker builds a small backbone (an embedding, a linear layer, a layer norm) with a (1, P, D)
soft prompt next to it, freezes the backbone and counts what is left to train: P · D numbers,
a fraction of a percent of the whole.

Check your work:  python -m minigrad check tutorials/29_freeze_and_count.py   (or run this file).
"""
import minigrad


def count_parameters(module, trainable_only=False):
    """The number of parameter entries of ``module`` (only the trainable ones if ``trainable_only``)."""
    raise NotImplementedError("exercise: sum p.numel() over module.parameters(), skipping frozen ones when asked")


def freeze(module):
    """Turn off requires_grad on every parameter of ``module``; return ``module``."""
    raise NotImplementedError("exercise: set p.requires_grad = False for every p in module.parameters()")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
