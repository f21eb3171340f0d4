"""minigrad.nn: modules (layers with parameters), losses and the functional forms, named as in PyTorch.

    module.py          Module (the base of every layer, with its hooks), Parameter, UninitializedParameter
    parameter.py       the same parameter classes under PyTorch's path nn.parameter
    container.py       Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
    functional.py      every functional form (F.linear, F.conv2d, F.cross_entropy, F.scaled_dot_product_attention...)
    linear.py          Identity, Linear, Bilinear
    sparse.py          Embedding
    flatten.py         Flatten, Unflatten
    dropout.py         Dropout
    activation.py      ReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, SiLU, LeakyReLU, Softplus, PReLU,
                       ELU, CELU, SELU, Mish, Hardtanh, ReLU6, Hardsigmoid, Hardswish, LogSigmoid, Softsign
    normalization.py   LayerNorm, GroupNorm, BatchNorm1d, BatchNorm2d
    loss.py            MSELoss, L1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss
    conv.py            Conv1d, Conv2d
    lazy.py            LazyLinear, LazyConv1d, LazyConv2d, LazyBatchNorm1d, LazyBatchNorm2d (sizes from the first input)
    pooling.py         MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
    recurrent.py       RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU
    attention.py       MultiheadAttention
    transformer.py     PositionalEncoding, the Transformer encoder and decoder layers and stacks, Transformer
    init.py            initialisers that fill a weight in place (xavier_uniform_, kaiming_uniform_...)
    utils.py           gradient clipping, parameters_to_vector, vector_to_parameters

The layer files hold ``Module``s only; each calls the functional form in ``functional.py``, which
calls the maths in ``minigrad.ops``.
"""
from .module import Module, Parameter, UninitializedParameter, UninitializedBuffer
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .linear import Identity, Linear, Bilinear
from .sparse import Embedding
from .flatten import Flatten, Unflatten
from .dropout import Dropout
from .activation import (ReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, SiLU, LeakyReLU, Softplus, PReLU, ELU, CELU,
                         SELU, Mish, Hardtanh, ReLU6, Hardsigmoid, Hardswish, LogSigmoid, Softsign)
from .normalization import LayerNorm, GroupNorm, BatchNorm1d, BatchNorm2d
from .loss import MSELoss, L1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss
from .conv import Conv1d, Conv2d
from .pooling import MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
from .recurrent import RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU
from .lazy import LazyLinear, LazyConv1d, LazyConv2d, LazyBatchNorm1d, LazyBatchNorm2d
from .attention import MultiheadAttention
from .transformer import (PositionalEncoding, TransformerEncoderLayer, TransformerDecoderLayer,
                          TransformerEncoder, TransformerDecoder, Transformer)
from . import functional, init, parameter, utils
