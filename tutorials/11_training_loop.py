"""Exercise 11 — a training loop, and the accuracy of the trained model.

Follows chapter 4 (notebooks/04_neural_networks_on_digits.ipynb, §2) and article 002 §3.4–3.5
and §4 (反向传播, 梯度下降, 具体最佳实践). Every model in the course, up to the large ones, is
trained by the same five lines per batch:

    logits = model(x)                          forward propagation
    loss = F.cross_entropy(logits, y)          how wrong it is
    optimizer.zero_grad()                      forget the previous batch's gradients
    loss.backward()                            backpropagation: the gradient of every parameter
    optimizer.step()                           one step of the optimizer (Adam here)

``zero_grad`` matters: ``backward`` ADDS to ``.grad``, so without it each step would use the sum
of all gradients so far.

``train(model, loader, optimizer, epochs)`` runs that loop over every batch ``(x, y)`` of
``loader``, ``epochs`` times, and returns the list of the losses, one Python float per batch
(``loss.item()``: keeping the Tensor would keep its whole graph in memory).

``evaluate(model, x, y)`` returns the accuracy (准确率) as a float between 0 and 1: the share of
examples whose highest logit (``.argmax(dim=1)``) is the right class. Evaluate in eval mode
without recording a graph (``model.eval()``, ``with minigrad.no_grad():``) and put the model
back in training mode (``model.train()``) before returning.

The checker runs your loop and a reference loop on the same model, data and optimizer (the loader
does not shuffle) and compares the losses and the weights after training.

Check your work:  python -m minigrad check tutorials/11_training_loop.py   (or run this file).
"""
import minigrad
import minigrad.nn.functional as F


def train(model, loader, optimizer, epochs):
    """Train ``model`` on every batch of ``loader`` for ``epochs`` epochs; the list of batch losses."""
    raise NotImplementedError("exercise: forward, loss, zero_grad, backward, step, for every batch of every epoch")


def evaluate(model, x, y):
    """The accuracy of ``model`` on the examples x with classes y, a float in [0, 1]."""
    raise NotImplementedError("exercise: eval mode, no_grad, argmax, share of right answers, back to train mode")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
