"""minigrad.nn: modules (layers with parameters), losses and the functional forms, named as in PyTorch."""
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
