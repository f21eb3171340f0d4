"""Reference solution of tutorials/13_lstm_step.py (one step of a recurrent cell: the plain RNN and the LSTM).

Try the exercise before reading this: the exercise file explains the task and the formulas.
"""


def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """The new hidden state of a plain (tanh) RNN cell."""
    return (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).tanh()


def lstm_step(x, state, W_ih, W_hh, b_ih, b_hh):
    """The new (h, c) of an LSTM cell; ``state`` is the pair (h, c)."""
    h, c = state
    i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)
    c_new = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_new.tanh(), c_new


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
