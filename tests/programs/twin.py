"""The one helper the programs share: both runs of a program start from the same weights.

Each program picks its library from the environment variable ``LIB`` (``torch`` or ``minigrad``)
in its own import lines. The two libraries draw different random numbers from the same seed, so
initial weights are handed over: with ``WEIGHTS=path``, the PyTorch run saves its freshly
initialised weights there as NumPy arrays and the minigrad run loads them, before training.
Without ``WEIGHTS`` (a program run by hand) nothing happens.
"""
import os

import numpy as np


def share_initial_weights(torch, model):
    """Save (PyTorch run) or load (minigrad run) ``model``'s ``state_dict``, or, for a plain list
    of tensors as in makemore, the tensors themselves."""
    path = os.environ.get("WEIGHTS")
    if not path:
        return
    if torch.__name__ == "torch":
        if isinstance(model, list):
            np.savez(path, *[p.detach().numpy() for p in model])
        else:
            np.savez(path, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
        return
    arrays = np.load(path)
    if isinstance(model, list):
        with torch.no_grad():
            for i, p in enumerate(model):
                p.copy_(torch.from_numpy(arrays[f"arr_{i}"]))
    else:
        model.load_state_dict({k: torch.from_numpy(arrays[k]) for k in arrays.files})
