"""Reference solution of tutorials/11_training_loop.py (a training loop, and the accuracy of the trained
model).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
import minigrad
import minigrad.nn.functional as F


def train(model, loader, optimizer, epochs):
    """Train ``model`` on every batch of ``loader`` for ``epochs`` epochs; the list of batch losses."""
    losses = []
    for _ in range(epochs):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def evaluate(model, x, y):
    """The accuracy of ``model`` on the examples x with classes y, a float in [0, 1]."""
    model.eval()
    with minigrad.no_grad():
        right = (model(x).argmax(dim=1) == y).float().mean().item()
    model.train()
    return right


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
