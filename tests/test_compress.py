"""minigrad.compress: int8 quantization, magnitude pruning and distillation, first on small
layers (exact properties), then on all-MiniLM-L6-v2 (the cosine of its sentence embeddings to the
float32 model's)."""
import numpy as np
import pytest
from minilm_fixtures import minilm, minilm_dir  # noqa: F401  (pytest fixtures)

import minigrad as mg
from minigrad import nn
from minigrad.compress import (QuantizedLinear, distill, embedding_cosine, linear_sparsity, model_size_mb,
                               prune_magnitude, quantize_dynamic, student_from_teacher)
from minigrad.models import SentenceEncoder
from minigrad.models.text_data import TOPICS, docstring_sentences


def test_quantized_linear_error_is_at_most_half_a_step():
    mg.manual_seed(0)
    layer = nn.Linear(16, 8)
    with mg.no_grad():
        layer.weight[3] = 0                                   # an all-zero row keeps a usable scale
    q = QuantizedLinear.from_float(layer)
    assert q.qweight.dtype == np.int8 and q.scale.shape == (8,)
    w, scale = layer.weight.detach().numpy(), q.scale.numpy()
    np.testing.assert_array_equal(np.abs(q.qweight.numpy()).max(1), [127] * 3 + [0] + [127] * 4)
    assert (np.abs(q.dequantize().numpy() - w) <= scale[:, None] / 2 + 1e-7).all()
    x = mg.randn(5, 16)
    with mg.no_grad():
        np.testing.assert_allclose(q(x).numpy(), x.numpy() @ q.dequantize().numpy().T + layer.bias.detach().numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_quantize_dynamic_replaces_every_linear_and_copies():
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Sequential(nn.Linear(32, 4)))
    q = quantize_dynamic(model)
    assert [type(m).__name__ for m in q.modules()].count('QuantizedLinear') == 2
    assert not any(isinstance(m, nn.Linear) for m in q.modules())
    assert isinstance(model[0], nn.Linear)                    # the original is untouched
    # 8·32 + 32·4 weights: 4 bytes each before, 1 byte (+ a 4-byte scale per row) after
    assert model_size_mb(model) - model_size_mb(q) == pytest.approx(3 * (8 * 32 + 32 * 4) / 1e6 - 4 * 36 / 1e6)


def test_prune_magnitude_zeroes_the_smallest():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 10), nn.Linear(10, 4))
    pruned = prune_magnitude(model, 0.5)
    assert linear_sparsity(model) == 0 and linear_sparsity(pruned) == 0.5
    for before, after in zip(model, pruned):
        w, p = before.weight.detach().numpy(), after.weight.detach().numpy()
        kept = p != 0
        np.testing.assert_array_equal(p[kept], w[kept])
        assert np.abs(w[~kept]).max() <= np.abs(w[kept]).min()
    with pytest.raises(ValueError, match='amount'):
        prune_magnitude(model, 1.0)


# ---------------------------------------------------------------------------------------------
# on all-MiniLM-L6-v2
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def held_out():
    return docstring_sentences(TOPICS['network'])[:24]


def test_int8_minilm_keeps_its_embeddings(minilm, held_out):
    q = SentenceEncoder(minilm.tokenizer, quantize_dynamic(minilm.model), minilm.max_seq_length)
    cosine = embedding_cosine(q, minilm, held_out)
    assert cosine.min() >= 0.99                               # measured: 0.9992 min, 0.9996 mean
    # 10.8 M Linear weights (of 22.7 M) go from 4 bytes to 1: 90.9 MB -> 58.6 MB
    assert model_size_mb(minilm.model) == pytest.approx(90.85, abs=0.1)
    assert model_size_mb(q.model) == pytest.approx(58.64, abs=0.1)


def test_pruning_minilm_costs_more_the_more_is_cut(minilm, held_out):
    cosines = []
    for amount in (0.3, 0.7):
        pruned = SentenceEncoder(minilm.tokenizer, prune_magnitude(minilm.model, amount), minilm.max_seq_length)
        cosines.append(embedding_cosine(pruned, minilm, held_out[:8]).mean())
    assert cosines[0] > 0.85 and cosines[1] < cosines[0]      # measured: 0.93 at 30%, 0.37 at 70%


def test_distillation_brings_a_two_layer_student_closer(minilm, held_out):
    student = student_from_teacher(minilm.model, layers=(0, 5))
    assert len(student.encoder.layer) == 2 and student.config.num_hidden_layers == 2
    assert len(minilm.model.encoder.layer) == 6                # the teacher is untouched
    student_encoder = SentenceEncoder(minilm.tokenizer, student, minilm.max_seq_length)
    before = embedding_cosine(student_encoder, minilm, held_out[:12]).mean()
    mg.manual_seed(0)
    train = docstring_sentences(TOPICS['files'])[:48]
    losses = distill(minilm.model, student, minilm.tokenizer, train, steps=12, batch_size=8, lr=5e-4, max_length=48)
    after = embedding_cosine(student_encoder, minilm, held_out[:12]).mean()
    assert losses[-1] < losses[0] and after > before + 0.1     # measured: 0.35 -> 0.71 after 20 steps
