"""Reference solution of tutorials/14_padded_sequences.py (a padded batch of sequences, and the last real
step of each one).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""
import minigrad


def pad_batch(sequences):
    """(batch, lengths): the sequences padded at the end with 0 into an int64 (N, T) tensor."""
    longest = max(len(s) for s in sequences)
    batch = [list(s) + [0] * (longest - len(s)) for s in sequences]
    return (minigrad.tensor(batch, dtype=minigrad.int64),
            minigrad.tensor([len(s) for s in sequences], dtype=minigrad.int64))


def last_states(output, lengths):
    """Row n of the result is output[n, lengths[n] - 1]: each sequence's last real step."""
    return output[minigrad.arange(output.shape[0]), lengths - 1]


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
