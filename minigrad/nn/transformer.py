"""The Transformer (articles 000 §3 and 001 §4.1): positional encoding, encoder and decoder layers,
their stacks, and the encoder-decoder model, with PyTorch's names, arguments and parameter names.

An encoder layer is two sub-layers, each wrapped in a residual connection and a layer norm:

    x = LayerNorm(x + SelfAttention(x))           (article 003 §3.2.1-3.2.2)
    x = LayerNorm(x + FFN(x)),  FFN(x) = max(0, x W_1 + b_1) W_2 + b_2   (article 000 §3.3)

A decoder layer adds a third sub-layer between them, attention from the target to the encoder's
output (the "memory"), and its self-attention is causal so position i cannot peek at i+1, i+2, ...

``norm_first=False`` is the original "post-norm" order above. ``norm_first=True`` normalises the
input of each sub-layer instead, ``x = x + SubLayer(LayerNorm(x))``, which keeps a clean residual
path from input to output and trains deep stacks more stably (GPT-2 and most later models).

The articles' sample ``Transformer`` class has no residuals or layer norms and feeds a linear
projection in as key and value; the layers here follow the architecture the articles describe.
"""
import copy
import math

from ..creation import arange, zeros
from ..tensor import float32, float64
from . import functional as F
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm
from . import init


class PositionalEncoding(Module):
    """Adds the sinusoidal position table to a (batch, seq, d_model) input (article 000 §3.3):

        PE(pos, 2i)   = sin(pos / 10000^(2i / d_model))
        PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model))

    Each pair of features is a clock turning at its own speed, so every position gets a distinct
    pattern and PE(pos + k) is a fixed rotation of PE(pos). The table is the buffer ``pe``
    (max_len, d_model): it moves with ``.to()`` and is saved, but is not trained.
    (minigrad's own layer: PyTorch has no built-in twin.)
    """

    def __init__(self, d_model, max_len=5000, dropout=0.0):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        pos = arange(max_len, dtype=float64).unsqueeze(1)                            # (max_len, 1)
        freq = (arange(0, d_model, 2, dtype=float64) * (-math.log(10000.0) / d_model)).exp()  # 10000^(-2i/d)
        angle = pos * freq                                                             # (max_len, ⌈d/2⌉)
        pe = zeros(max_len, d_model, dtype=float64)      # computed in float64, stored in float32
        pe[:, 0::2] = angle.sin()
        pe[:, 1::2] = angle[:, :d_model // 2].cos()      # an odd d_model has one sin column more
        self.register_buffer('pe', pe.to(float32))
        self.dropout = Dropout(dropout)

    def forward(self, x):
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"PositionalEncoding: expected input of shape (batch, seq, {self.d_model}), "
                             f"got {tuple(x.shape)}")
        if x.shape[1] > self.max_len:
            raise ValueError(f"PositionalEncoding: sequence length {x.shape[1]} exceeds max_len "
                             f"{self.max_len}")
        return self.dropout(x + self.pe[:x.shape[1]].to(x.dtype))

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"


def _get_activation(layer, activation):
    if callable(activation):
        return activation
    if activation == 'relu':
        return F.relu
    if activation == 'gelu':
        return F.gelu
    raise ValueError(f"{layer}: activation should be 'relu', 'gelu' or a callable, not {activation!r}")


def _feed_forward(layer, x):
    """FFN(x) = act(x W_1 + b_1) W_2 + b_2, with dropout on the hidden layer (article 000 §3.3)."""
    return layer.linear2(layer.dropout(layer.activation(layer.linear1(x))))


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward network, each with a residual connection and a layer norm.

        norm_first=False:  x = norm1(x + SA(x));        x = norm2(x + FF(x))
        norm_first=True:   x = x + SA(norm1(x));        x = x + FF(norm2(x))
        SA(x) = dropout1(self_attn(x, x, x)),   FF(x) = dropout2(linear2(dropout(act(linear1(x)))))

    forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False); masks as in
    MultiheadAttention (True = may not attend). ``is_causal=True`` without ``src_mask`` applies
    the causal mask.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation='relu',
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _get_activation("TransformerEncoderLayer", activation)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self.dropout2(_feed_forward(self, self.norm2(x)))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self.dropout2(_feed_forward(self, x)))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)


class TransformerDecoderLayer(Module):
    """Self-attention, cross-attention to the encoder output ``memory``, and a feed-forward network.

        norm_first=False:  x = norm1(x + SA(x));  x = norm2(x + CA(x, mem));  x = norm3(x + FF(x))
        norm_first=True:   x = x + SA(norm1(x));  x = x + CA(norm2(x), mem);  x = x + FF(norm3(x))
        SA: self_attn + dropout1,  CA: multihead_attn + dropout2,  FF: as the encoder's + dropout3

    In CA the queries come from the target and the keys and values from the memory: each target
    position looks up the source positions it needs (in translation: which words to render next).
    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False).
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation='relu',
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _get_activation("TransformerDecoderLayer", activation)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._ca_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                   memory_is_causal)
            x = x + self.dropout3(_feed_forward(self, self.norm3(x)))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._ca_block(x, memory, memory_mask, memory_key_padding_mask,
                                              memory_is_causal))
            x = self.norm3(x + self.dropout3(_feed_forward(self, x)))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ca_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, need_weights=False,
                                is_causal=is_causal)[0]
        return self.dropout2(x)


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (``layers.0``, ``layers.1``, ...), then
    ``norm`` if given. Each copy is a deep copy, so the layers start equal and then train apart.

    forward(src, mask=None, src_key_padding_mask=None, is_causal=None). ``enable_nested_tensor`` and
    ``mask_check`` are accepted as PyTorch's are; minigrad has no nested tensors, so they change nothing.
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """A stack of ``num_layers`` deep copies of ``decoder_layer``, each attending to the same
    ``memory``, then ``norm`` if given.

    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False).
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The encoder-decoder Transformer (article 001 §3.1, §4.1): the encoder reads the source
    sequence into a memory, the decoder writes the target sequence one position at a time while
    attending to that memory. Both stacks end in a LayerNorm (``encoder.norm``, ``decoder.norm``).

    Embeddings, positional encoding and the output projection to a vocabulary are not part of it
    (as in PyTorch): inputs are (S, N, d_model) source and (T, N, d_model) target, or batch-first.
    Every matrix parameter is re-initialised with Xavier-uniform, as PyTorch does.
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation='relu', custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False):
        super().__init__()
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                      batch_first, norm_first)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(*layer_args), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(*layer_args), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps))
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
                src_is_causal=None, tgt_is_causal=None, memory_is_causal=False):
        if src.ndim != tgt.ndim or src.ndim not in (2, 3):
            raise ValueError(f"Transformer: src and tgt must both be batched (3-D) or unbatched (2-D), "
                             f"got src {tuple(src.shape)} and tgt {tuple(tgt.shape)}")
        batch_axis = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch_axis] != tgt.shape[batch_axis]:
            raise ValueError(f"Transformer: the batch size of src and tgt must be equal, got src "
                             f"{tuple(src.shape)} and tgt {tuple(tgt.shape)} (batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer: the feature size of src and tgt must be d_model={self.d_model}, "
                             f"got src {tuple(src.shape)} and tgt {tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The (sz, sz) causal mask: 0 on and below the diagonal, -inf above it, so position i
        attends to positions 0..i only. Float32 unless ``dtype`` says otherwise."""
        i = arange(sz, device=device)
        above = i.unsqueeze(0) > i.unsqueeze(1)          # column j > row i: a later position
        return zeros(sz, sz, dtype=dtype or float32, device=device).masked_fill(above, -math.inf)
