"""PositionalEncoding, the Transformer encoder and decoder layers, their stacks and Transformer.

- against PyTorch with the state_dict copied: outputs and every gradient (inputs and parameters),
  for norm_first both ways, batch_first both ways, relu / gelu / a callable activation, causal
  and padding masks; dropout acting in training only;
- PyTorch's state_dict keys and shapes, deep-copied layers, Xavier re-initialisation;
- the causal mask of generate_square_subsequent_mask; the sinusoidal table against its formula;
- float64 gradcheck of each layer (inputs and parameters); bad-input errors.
"""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.autograd import gradcheck
from helpers import check_against_torch, to_numpy

D, NHEAD, FF, N, S, T = 8, 2, 16, 3, 5, 4


def _padding(n, length):
    p = np.zeros((n, length), bool)
    p[0, -1] = p[2, -2:] = True
    return p


LAYER_CONFIGS = [dict(norm_first=False), dict(norm_first=True), dict(batch_first=True),
                 dict(batch_first=True, norm_first=True, activation='gelu')]
IDS = ['-'.join(f"{k}={v}" for k, v in c.items()) for c in LAYER_CONFIGS]


def _causal(length):
    """PyTorch-style bool mask: True above the diagonal = may not attend to a later position."""
    return np.triu(np.ones((length, length), bool), 1)


def _seq(rng, length, batch_first):
    return rng.standard_normal((N, length, D) if batch_first else (length, N, D)).astype(np.float32)


@pytest.mark.parametrize("masks", ["none", "causal+padding"])
@pytest.mark.parametrize("config", LAYER_CONFIGS, ids=IDS)
def test_encoder_layer_matches_torch(config, masks):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.TransformerEncoderLayer(D, NHEAD, FF, dropout=0.0, **config)
    ours = nn.TransformerEncoderLayer(D, NHEAD, FF, dropout=0.0, **config)
    rng = np.random.default_rng(0)
    inputs = [_seq(rng, S, config.get('batch_first', False))]      # forward(src, src_mask, src_key_padding_mask)
    if masks != "none":
        inputs += [_causal(S), _padding(N, S)]
    check_against_torch(ours, ref, inputs, atol=2e-5)


@pytest.mark.parametrize("masks", ["none", "causal+padding"])
@pytest.mark.parametrize("config", LAYER_CONFIGS, ids=IDS)
def test_decoder_layer_matches_torch(config, masks):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.TransformerDecoderLayer(D, NHEAD, FF, dropout=0.0, **config)
    ours = nn.TransformerDecoderLayer(D, NHEAD, FF, dropout=0.0, **config)
    rng = np.random.default_rng(1)
    bf = config.get('batch_first', False)
    # forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)
    inputs = [_seq(rng, T, bf), _seq(rng, S, bf)]
    if masks != "none":
        inputs += [_causal(T), np.zeros((T, S), bool), _padding(N, T), _padding(N, S)]
    check_against_torch(ours, ref, inputs, atol=2e-5)


def test_layer_with_a_callable_activation_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.TransformerEncoderLayer(D, NHEAD, FF, dropout=0.0, activation=torch.tanh)
    ours = nn.TransformerEncoderLayer(D, NHEAD, FF, dropout=0.0, activation=lambda x: x.tanh())
    check_against_torch(ours, ref, [_seq(np.random.default_rng(2), S, False)], atol=2e-5)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first, norm_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kwargs = dict(d_model=D, nhead=NHEAD, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=FF,
                  dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    ref, ours = torch.nn.Transformer(**kwargs), nn.Transformer(**kwargs)
    rng = np.random.default_rng(3)
    # forward(src, tgt, src_mask, tgt_mask, memory_mask, src_key_padding_mask, tgt_key_padding_mask,
    #         memory_key_padding_mask)
    inputs = [_seq(rng, S, batch_first), _seq(rng, T, batch_first), np.zeros((S, S), bool), _causal(T),
              np.zeros((T, S), bool), _padding(N, S), _padding(N, T), _padding(N, S)]
    check_against_torch(ours, ref, inputs, atol=2e-5, grad_atol=2e-4)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_transformer_state_dict_keys_and_shapes_match_torch():
    torch = pytest.importorskip("torch")
    kwargs = dict(d_model=D, nhead=NHEAD, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FF)
    ours = [(k, tuple(v.shape)) for k, v in nn.Transformer(**kwargs).state_dict().items()]
    theirs = [(k, tuple(v.shape)) for k, v in torch.nn.Transformer(**kwargs).state_dict().items()]
    assert ours == theirs
    for layer in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        ours, theirs = (getattr(lib, layer)(D, NHEAD, FF, norm_first=True) for lib in (nn, torch.nn))
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()], layer


def test_transformer_reinitialises_matrices_with_xavier():
    mg.manual_seed(0)
    model = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64)
    for name, p in model.named_parameters():
        w = to_numpy(p)
        assert p.dtype == mg.float32, name
        if p.ndim > 1:
            fan_out, fan_in = p.shape
            bound = math.sqrt(6 / (fan_in + fan_out))
            assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound, name
    assert to_numpy(model.encoder.norm.weight).tolist() == [1.0] * 32


def test_stacks_deep_copy_the_layer():
    layer = nn.TransformerEncoderLayer(D, NHEAD, FF)
    encoder = nn.TransformerEncoder(layer, num_layers=3, norm=nn.LayerNorm(D))
    assert len(encoder.layers) == 3
    params = [encoder.layers[i].linear1.weight for i in range(3)] + [layer.linear1.weight]
    assert len({id(p) for p in params}) == 4                       # four distinct tensors
    np.testing.assert_array_equal(to_numpy(params[0]), to_numpy(params[3]))
    with mg.no_grad():
        encoder.layers[0].linear1.weight.mul_(2.0)
    assert not np.allclose(to_numpy(encoder.layers[0].linear1.weight), to_numpy(encoder.layers[1].linear1.weight))
    assert sorted(k for k in encoder.state_dict() if not k.startswith('layers.')) == ['norm.bias', 'norm.weight']


def test_decoder_stack_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, NHEAD, FF, dropout=0.0), 2,
                                      norm=torch.nn.LayerNorm(D))
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, NHEAD, FF, dropout=0.0), 2, norm=nn.LayerNorm(D))
    rng = np.random.default_rng(4)
    check_against_torch(ours, ref, [_seq(rng, T, False), _seq(rng, S, False), _causal(T)], atol=2e-5)


def test_dropout_acts_in_training_only():
    mg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, NHEAD, FF, dropout=0.5)
    x = mg.randn(S, N, D)
    assert not np.allclose(to_numpy(layer(x)), to_numpy(layer(x)))
    layer.eval()
    np.testing.assert_array_equal(to_numpy(layer(x)), to_numpy(layer(x)))


def test_generate_square_subsequent_mask_matches_torch():
    torch = pytest.importorskip("torch")
    for sz in (1, 4, 7):
        ours = nn.Transformer.generate_square_subsequent_mask(sz)
        assert ours.dtype == mg.float32 and tuple(ours.shape) == (sz, sz)
        np.testing.assert_array_equal(to_numpy(ours), torch.nn.Transformer.generate_square_subsequent_mask(sz).numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=mg.float64).dtype == mg.float64


@pytest.mark.parametrize("d_model", [6, 7])
def test_positional_encoding_is_the_sinusoid_table(d_model):
    pe = nn.PositionalEncoding(d_model, max_len=50)
    table = to_numpy(pe.pe)
    assert table.shape == (50, d_model) and table.dtype == np.float32
    for pos in (0, 1, 17, 49):                    # the formula, written out entry by entry
        for j in range(d_model):
            angle = pos / 10000 ** ((j - j % 2) / d_model)
            expected = math.sin(angle) if j % 2 == 0 else math.cos(angle)
            assert table[pos, j] == pytest.approx(expected, abs=1e-6)
    assert 'pe' in pe.state_dict() and list(pe.parameters()) == []
    x = mg.randn(2, 9, d_model, requires_grad=True)
    y = pe(x)
    np.testing.assert_allclose(to_numpy(y), to_numpy(x.detach()) + table[None, :9], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), 1.0)


@pytest.mark.parametrize("kind", ["encoder", "decoder"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_layer_gradcheck_inputs_and_parameters(kind, norm_first):
    mg.manual_seed(0)
    rng = np.random.default_rng(5)
    d, ff = 4, 6
    x = mg.tensor(rng.standard_normal((3, 2, d)), requires_grad=True)
    mask = mg.tensor(np.triu(np.ones((3, 3), bool), 1))
    if kind == "encoder":
        layer = nn.TransformerEncoderLayer(d, 2, ff, dropout=0.0, activation='gelu', norm_first=norm_first)
        inputs = [x]
        fn = lambda x, *p: layer(x, src_mask=mask)                          # noqa: E731
    else:
        layer = nn.TransformerDecoderLayer(d, 2, ff, dropout=0.0, activation='gelu', norm_first=norm_first)
        memory = mg.tensor(rng.standard_normal((2, 2, d)), requires_grad=True)
        inputs = [x, memory]
        fn = lambda x, m, *p: layer(x, m, tgt_mask=mask)                    # noqa: E731
    layer.to(mg.float64)
    assert gradcheck(fn, inputs + list(layer.parameters()), atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("call,match", [
    (lambda: nn.TransformerEncoderLayer(D, NHEAD, activation='swish'), r"TransformerEncoderLayer: activation should be 'relu', 'gelu' or a callable, not 'swish'"),
    (lambda: nn.TransformerDecoderLayer(D, NHEAD, activation='tanh'), r"TransformerDecoderLayer: activation should be"),
    (lambda: nn.Transformer(D, NHEAD, 1, 1, FF)(mg.randn(S, 2, D), mg.randn(T, 3, D)), r"Transformer: the batch size of src and tgt must be equal, got src \(5, 2, 8\) and tgt \(4, 3, 8\)"),
    (lambda: nn.Transformer(D, NHEAD, 1, 1, FF)(mg.randn(S, 2, D), mg.randn(T, 2, 6)), r"Transformer: the feature size of src and tgt must be d_model=8"),
    (lambda: nn.Transformer(D, NHEAD, 1, 1, FF)(mg.randn(S, 2, D), mg.randn(T, D)), r"Transformer: src and tgt must both be batched"),
    (lambda: nn.PositionalEncoding(D, max_len=4)(mg.randn(2, 5, D)), r"PositionalEncoding: sequence length 5 exceeds max_len 4"),
    (lambda: nn.PositionalEncoding(D)(mg.randn(2, 5, 6)), r"PositionalEncoding: expected input of shape \(batch, seq, 8\), got \(2, 5, 6\)"),
])
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
