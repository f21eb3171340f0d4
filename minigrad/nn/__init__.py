"""minigrad.nn: modules (layers with parameters), losses and the functional forms, named as in PyTorch.

    module.py          Module (the base of every layer) and Parameter
    container.py       Sequential, ModuleList, ModuleDict
    functional.py      every functional form (F.linear, F.conv2d, F.cross_entropy, F.scaled_dot_product_attention...)
    linear.py          Identity, Linear, Bilinear
    sparse.py          Embedding
    flatten.py         Flatten, Unflatten
    dropout.py         Dropout
    activation.py      ReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, SiLU, LeakyReLU, Softplus
    normalization.py   LayerNorm, BatchNorm1d, BatchNorm2d
    loss.py            MSELoss, L1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss
    conv.py            Conv1d, Conv2d
    pooling.py         MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
    recurrent.py       RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU
    attention.py       MultiheadAttention
    transformer.py     PositionalEncoding, the Transformer encoder and decoder layers and stacks, Transformer
    init.py            initialisers that fill a weight in place (xavier_uniform_, kaiming_uniform_...)
    utils.py           gradient clipping

The layer files hold ``Module``s only; each calls the functional form in ``functional.py``, which
calls the maths in ``minigrad.ops``.
"""
from .module import Module, Parameter
from .container import Sequential, ModuleList, ModuleDict
from .linear import Identity, Linear, Bilinear
from .sparse import Embedding
from .flatten import Flatten, Unflatten
from .dropout import Dropout
from .activation import ReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, SiLU, LeakyReLU, Softplus
from .normalization import LayerNorm, BatchNorm1d, BatchNorm2d
from .loss import MSELoss, L1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss
from .conv import Conv1d, Conv2d
from .pooling import MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
from .recurrent import RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU
from .attention import MultiheadAttention
from .transformer import (PositionalEncoding, TransformerEncoderLayer, TransformerDecoderLayer,
                          TransformerEncoder, TransformerDecoder, Transformer)
from . import functional, init, utils
