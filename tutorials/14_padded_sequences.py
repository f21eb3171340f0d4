"""Exercise 14 — a padded batch of sequences, and the last real step of each one.

Follows chapter 6 (notebooks/06_recurrent_networks.ipynb, §4) and article 002 §4 (the Embedding →
LSTM → Dense text classifier). Sentences have different lengths, but a batch is one rectangular
tensor. So shorter sequences are padded (填充) at the end with a padding id, 0:

    [[5, 3, 8], [7], [2, 9, 4, 6, 1]]   ->   [[5, 3, 8, 0, 0],
                                              [7, 0, 0, 0, 0],      lengths [3, 1, 5]
                                              [2, 9, 4, 6, 1]]

An RNN run over that batch also steps over the padding, so its LAST output, ``output[:, -1]``, has
read padding for every sequence but the longest. What the classifier needs is each sequence's
output at its own last real step, ``output[n, length_n − 1]``.

``pad_batch(sequences)`` takes a list of lists of word ids and returns ``(batch, lengths)``: an
int64 tensor (N, longest) padded with 0 at the end, and the int64 tensor of the lengths.
``last_states(output, lengths)`` takes the RNN's output (N, T, H) and returns (N, H): row n is
``output[n, lengths[n] − 1]``. Index with two tensors at once (``output[minigrad.arange(N), lengths - 1]``)
so that the result stays in the graph and the gradient reaches only the steps picked.

Check your work:  python -m minigrad check tutorials/14_padded_sequences.py   (or run this file).
"""
import minigrad


def pad_batch(sequences):
    """(batch, lengths): the sequences padded at the end with 0 into an int64 (N, T) tensor."""
    raise NotImplementedError("exercise: find the longest, pad every sequence to it with 0, and keep the lengths")


def last_states(output, lengths):
    """Row n of the result is output[n, lengths[n] - 1]: each sequence's last real step."""
    raise NotImplementedError("exercise: index the batch axis with arange(N) and the time axis with lengths - 1")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
