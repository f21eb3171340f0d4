"""Exercise 13 — one step of a recurrent cell: the plain RNN and the LSTM.

Follows chapter 6 (notebooks/06_recurrent_networks.ipynb, §1–2) and article 004 §3.2 (循环神经网络).
A recurrent cell reads one element x_t of a sequence and updates its hidden state (隐藏状态):

    RNN:   h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)

The LSTM (长短期记忆网络) also keeps a cell state c_t, changed through four gates computed from
ONE stacked pre-activation, split in PyTorch's order i, f, g, o:

    pre = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh          (batch, 4·hidden)
    i, f, g, o = the four (batch, hidden) chunks of pre    (pre.chunk(4, dim=1))
    c_t = sigmoid(f) · c_{t−1} + sigmoid(i) · tanh(g)      forget some, write some
    h_t = sigmoid(o) · tanh(c_t)                           show some

Shapes: x (batch, input), h and c (batch, hidden), W_ih (hidden or 4·hidden, input),
W_hh (hidden or 4·hidden, hidden), biases (hidden,) or (4·hidden,): the parameters of
``nn.RNNCell`` and ``nn.LSTMCell`` (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``), which the
checker passes in and compares with, gradients included.

Check your work:  python -m minigrad check tutorials/13_lstm_step.py   (or run this file).
"""


def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """The new hidden state of a plain (tanh) RNN cell."""
    raise NotImplementedError("exercise: h_new = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)")


def lstm_step(x, state, W_ih, W_hh, b_ih, b_hh):
    """The new (h, c) of an LSTM cell; ``state`` is the pair (h, c)."""
    raise NotImplementedError("exercise: the stacked pre-activation, the gates i, f, g, o, then c_new and h_new")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
