"""The exercises in ``tutorials/`` and their checkers (``minigrad/check.py``).

For every exercise: the reference solution in ``tutorials/solutions/`` passes its checker, the
untouched exercise is reported as not done (no crash, no traceback), and deliberately wrong
solutions, made here by patching a reference solution, fail with a message that names the mistake.
"""
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest

import minigrad
from minigrad import check as checks
from minigrad.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
EXERCISES = sorted(p.name for p in TUTORIALS.glob("[0-9]*.py"))


def solution(name):
    """A fresh copy of the reference solution's module (patching it touches no other test)."""
    return checks.load_exercise(TUTORIALS / "solutions" / name)


def run_check(module, capsys):
    ok = checks.check(module)
    return ok, capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# the set of exercises
# ---------------------------------------------------------------------------------------------
def test_every_exercise_has_a_solution_a_checker_and_a_readme_entry():
    assert len(EXERCISES) >= 17
    assert sorted(p.name for p in (TUTORIALS / "solutions").glob("[0-9]*.py")) == EXERCISES
    assert sorted(checks.exercise_name(n) for n in EXERCISES) == sorted(checks.EXERCISES)
    readme = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    for name in EXERCISES:
        assert name in readme


@pytest.mark.parametrize("name", EXERCISES)
def test_exercise_file_marks_its_blanks_and_calls_the_checker(name):
    text = (TUTORIALS / name).read_text(encoding="utf-8")
    assert text.startswith('"""Exercise ')
    assert 'raise NotImplementedError("exercise: ' in text
    assert 'if __name__ == "__main__":' in text and "check(sys.modules[__name__])" in text
    assert "NotImplementedError" not in (TUTORIALS / "solutions" / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# right answers pass, blanks are "not done yet"
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXERCISES)
def test_reference_solution_passes(name, capsys):
    ok, out = run_check(solution(name), capsys)
    assert ok, out
    assert "checks passed. Well done!" in out and "FAIL" not in out and "TODO" not in out


BLANKS = [
    ("01_custom_function.py", ["Swish.forward"]),
    ("02_gradient_descent.py", ["sgd_step", "sgd_momentum_step"]),
    ("03_conv_by_hand.py", ["unfold", "conv2d"]),
    ("04_attention_by_hand.py", ["attention"]),
    ("05_layer_norm.py", ["LayerNormFunction.forward"]),
    ("06_forward_pass.py", ["neuron", "forward"]),
    ("07_softmax.py", ["softmax", "log_softmax"]),
    ("08_tanh_backward.py", ["tanh_forward", "tanh_backward", "neuron_gradients"]),
    ("09_cross_entropy.py", ["cross_entropy", "cross_entropy_grad"]),
    ("10_metrics.py", ["confusion_matrix", "precision_recall_f1"]),
    ("11_training_loop.py", ["train", "evaluate"]),
    ("12_pooling.py", ["max_pool2d", "avg_pool2d"]),
    ("13_lstm_step.py", ["rnn_step", "lstm_step"]),
    ("14_padded_sequences.py", ["pad_batch", "last_states"]),
    ("15_masks.py", ["causal_mask", "padding_mask"]),
    ("16_positional_encoding.py", ["positional_encoding", "add_positions"]),
    ("17_multi_head.py", ["split_heads", "merge_heads", "multi_head_attention"]),
    ("18_encoder_layer.py", ["add_and_norm", "encoder_layer"]),
    ("19_sampling.py", ["perplexity", "top_k_filter", "next_token_probs"]),
    ("20_semantic_search.py", ["mean_pool", "top_k_documents"]),
    ("21_mlm_masking.py", ["mask_tokens", "masked_accuracy"]),
    ("22_quantize_and_prune.py", ["quantize_int8", "prune_mask"]),
    ("23_multitask_and_soft_prompt.py", ["multitask_loss", "prepend_prompt"]),
    ("24_attention_memory.py", ["score_matrix_bytes", "tile_bytes"]),
    ("25_decoding_step.py", ["next_token", "perplexity_from_log_probs"]),
    ("26_nsp_and_mlm_loss.py", ["nsp_pair", "mlm_loss"]),
    ("27_similarity_matrix.py", ["cosine_matrix", "retrieve"]),
    ("28_distillation_loss.py", ["soft_targets", "distillation_loss"]),
    ("29_freeze_and_count.py", ["count_parameters", "freeze"]),
    ("30_online_softmax.py", ["online_update", "finish"]),
]


def test_every_exercise_is_listed_with_its_blanks():
    assert sorted(name for name, _ in BLANKS) == EXERCISES


@pytest.mark.parametrize("name, blanks", BLANKS)
def test_untouched_exercise_is_not_done_yet(name, blanks, capsys):
    ok = checks.check(TUTORIALS / name)
    out = capsys.readouterr().out
    assert ok is False
    assert "Traceback" not in out and "FAIL" not in out
    for blank in blanks:
        assert f"not done yet: fill in {blank}" in out
    assert "0 of" in out and f"Not done yet: fill in {', '.join(blanks)}." in out


def test_a_half_done_exercise_names_the_remaining_blank(monkeypatch, capsys):
    module = checks.load_exercise(TUTORIALS / "01_custom_function.py")
    monkeypatch.setattr(module.Swish, "forward", solution("01_custom_function.py").Swish.forward)
    ok, out = run_check(module, capsys)
    assert not ok
    assert "ok    forward matches F.silu" in out
    assert "not done yet: fill in Swish.backward" in out and "fill in Swish.forward" not in out
    assert "2 of 5 checks passed" in out


# ---------------------------------------------------------------------------------------------
# wrong answers fail, saying what is wrong
# ---------------------------------------------------------------------------------------------
def swish_backward_doubled(original):
    return lambda ctx, grad: 2.0 * original(ctx, grad)


def swish_backward_on_arrays(original):
    def backward(ctx, grad):           # right values, but cut off from autograd: no double backward
        return minigrad.tensor(original(ctx, grad).data)
    return backward


def swish_backward_returning_an_array(original):
    return lambda ctx, grad: original(ctx, grad).data


def swish_forward_widened(original):
    return lambda ctx, x: original(ctx, x) * numpy.float64(1.0)


def momentum_with_dampening(original):
    def step(param, grad, velocity, lr, momentum, weight_decay=0.0):
        g = grad + weight_decay * param
        velocity = g if velocity is None else momentum * velocity + (1.0 - momentum) * g
        return param - lr * velocity, velocity
    return step


def momentum_without_weight_decay(original):
    return lambda param, grad, velocity, lr, momentum, weight_decay=0.0: original(param, grad, velocity, lr, momentum)


def momentum_forgetting_velocity(original):
    return lambda *args: (original(*args)[0], None)


def sgd_step_ascending(original):
    return lambda param, grad, lr: param + lr * grad


def unfold_in_the_wrong_order(original):
    def unfold(input, kernel_size, stride=1):
        cols = original(input, kernel_size, stride)          # (N, P, C·KH·KW) in the order (c, u, v)
        N, P, _ = cols.shape
        C = input.shape[1]
        return cols.reshape(N, P, C, -1).transpose(2, 3).reshape(N, P, -1)   # (u, v, c): wrong
    return unfold


def conv_ignoring_padding(original):
    return lambda input, weight, bias=None, stride=1, padding=0: original(input, weight, bias, stride, 0)


def unfold_detached(original):
    return lambda input, kernel_size, stride=1: original(input.detach(), kernel_size, stride)


def attention_unscaled(original):
    return lambda q, k, v, **kw: original(q * math.sqrt(q.shape[-1]), k, v, **kw)


def attention_output_only(original):
    return lambda *args, **kw: original(*args, **kw)[0]


def attention_mask_inverted(original):
    def attention(q, k, v, attn_mask=None, is_causal=False):
        if attn_mask is not None and attn_mask.dtype == minigrad.bool:
            attn_mask = ~attn_mask                       # True read as "forbidden"
        return original(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
    return attention


def attention_softmax_over_queries(original):
    def attention(q, k, v, attn_mask=None, is_causal=False):
        weights = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(dim=-2)
        return weights @ v, weights
    return attention


def conv_padding_one_side(original):
    def conv2d(input, weight, bias=None, stride=1, padding=0):
        padded = minigrad.nn.functional.pad(input, (padding, 0, padding, 0))
        return original(padded, weight, bias, stride, 0)
    return conv2d


def conv_one_window_short(original):
    return lambda *args, **kw: original(*args, **kw)[:, :, :-1, :-1]


def forward_without_activation(original):
    return lambda x, W1, b1, W2, b2: (x @ W1.T + b1) @ W2.T + b2


def neuron_without_bias(original):
    def neuron(x, w, b):
        z = (w * x).sum()
        return z, z.sigmoid()
    return neuron


def softmax_over_axis_0(original):
    return lambda x, dim: original(x, 0 if dim != 0 else 1)


def softmax_unshifted(original):
    def softmax(x, dim):
        e = x.exp()
        return e / e.sum(dim=dim, keepdim=True)
    return softmax


def tanh_backward_flipped(original):
    return lambda y, grad: -original(y, grad)


def tanh_backward_unsquared(original):
    return lambda y, grad: grad * (1 - y)


def cross_entropy_summed(original):
    return lambda logits, target: original(logits, target) * len(target)


def cross_entropy_wrong_axis(original):
    def cross_entropy(logits, target):
        e = numpy.exp(logits - logits.max(axis=0, keepdims=True))
        p = e / e.sum(axis=0, keepdims=True)
        return float(-numpy.log(p[numpy.arange(len(target)), target]).mean())
    return cross_entropy


def cross_entropy_grad_flipped(original):
    return lambda logits, target: -original(logits, target)


def confusion_transposed(original):
    return lambda y_true, y_pred, k: original(y_true, y_pred, k).T


def precision_recall_swapped(original):
    def prf(confusion):
        p, r, f = original(confusion)
        return r, p, f
    return prf


def precision_with_nan(original):
    def prf(confusion):
        tp = numpy.diag(confusion).astype(float)
        with numpy.errstate(all="ignore"):
            p, r = tp / confusion.sum(axis=0), tp / confusion.sum(axis=1)
            return p, r, 2 * p * r / (p + r)
    return prf


def train_without_zero_grad(original):
    def train(model, loader, optimizer, epochs):
        optimizer.zero_grad = lambda: None
        return original(model, loader, optimizer, epochs)
    return train


def evaluate_in_percent(original):
    return lambda model, x, y: 100 * original(model, x, y)


def pool_one_window_short(original):
    return lambda x, k, s: original(x, k, s)[:, :, :-1, :-1]


def lstm_gates_ifog(original):
    def lstm_step(x, state, W_ih, W_hh, b_ih, b_hh):
        h, c = state
        i, f, o, g = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)
        c_new = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c_new.tanh(), c_new
    return lstm_step


def last_padded_step(original):
    return lambda output, lengths: output[:, -1]


def causal_mask_inverted(original):
    return lambda L: ~original(L)


def causal_mask_without_diagonal(original):
    def causal_mask(L):
        idx = minigrad.arange(L)
        return idx[None, :] < idx[:, None]
    return causal_mask


def pe_sin_cos_swapped(original):
    def positional_encoding(max_len, d_model):
        table = original(max_len, d_model)
        return minigrad.stack([table[:, 1::2], table[:, 0::2]], dim=-1).reshape(max_len, d_model)
    return positional_encoding


def split_heads_without_transpose(original):
    return lambda x, h: x.reshape(x.shape[0], h, x.shape[1], x.shape[2] // h)


def layer_norm_one_pass_variance(original):
    def forward(ctx, x, weight, bias, eps):
        d = x.data
        mean = d.mean(axis=-1, keepdims=True)
        var = (d * d).mean(axis=-1, keepdims=True) - mean * mean     # cancels badly near 1000
        ctx.save_for_backward(x, weight)
        ctx.eps = eps
        return (d - mean) / (var + eps) ** 0.5 * weight.data + bias.data
    return forward


def layer_norm_backward_without_the_mean_terms(original):
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        gx, gw, gb, _ = original(ctx, grad)
        centred = x - x.mean(dim=-1, keepdim=True)
        rstd = ((centred * centred).mean(dim=-1, keepdim=True) + ctx.eps) ** -0.5
        return rstd * grad * weight, gw, gb, None                   # dx as if μ, σ were constants
    return backward


def layer_norm_bias_grad_doubled(original):
    def backward(ctx, grad):
        gx, gw, gb, _ = original(ctx, grad)
        return gx, gw, 2.0 * gb, None
    return backward


def layer_norm_backward_forgetting_eps(original):
    return lambda ctx, grad: original(ctx, grad)[:3]


def add_and_norm_without_residual(original):
    return lambda x, sublayer_out, norm: norm(sublayer_out)


def encoder_layer_pre_norm(original):
    def encoder_layer(x, layer):
        h = layer.norm1(x)
        x = x + layer.self_attn(h, h, h)[0]
        return x + layer.linear2(layer.linear1(layer.norm2(x)).relu())
    return encoder_layer


def perplexity_base_2(original):
    return lambda loss: 2 ** loss


def top_k_smallest(original):
    def top_k_filter(logits, k):
        kept = -original(-logits, k)                  # the k smallest, +inf elsewhere
        return minigrad.where(kept == math.inf, -kept, kept)
    return top_k_filter


def probs_temperature_multiplied(original):
    return lambda logits, temperature, top_k=None: original(logits, 1.0 / temperature, top_k)


def mean_pool_with_padding(original):
    return lambda hidden, attention_mask: hidden.mean(dim=1)


def top_k_by_dot_product(original):
    return lambda query, docs, k: [int(i) for i in (-(docs @ query)).argsort()[:k].tolist()]


def mask_tokens_all_masked(original):
    def mask_tokens(ids, choose, kind, random_ids, mask_id, first_special, rate=0.15):
        return original(ids, choose, kind * 0.0, random_ids, mask_id, first_special, rate)
    return mask_tokens


def mask_tokens_labels_everywhere(original):
    def mask_tokens(ids, choose, kind, random_ids, mask_id, first_special, rate=0.15):
        return original(ids, choose, kind, random_ids, mask_id, first_special, rate)[0], ids.copy()
    return mask_tokens


def masked_accuracy_everywhere(original):
    return lambda logits, labels: float((numpy.asarray(logits).argmax(-1) == numpy.asarray(labels)).mean())


def quantize_truncating(original):
    import numpy as np
    def quantize_int8(w):
        q, scale = original(w)
        return np.clip(np.trunc(w / scale), -127, 127).astype(np.int8), scale
    return quantize_int8


def prune_mask_inverted(original):
    return lambda w, sparsity: ~original(w, sparsity)

def multitask_weight_on_wrong_task(original):
    return lambda a, ya, b, yb, w: w * original(a, ya, b, yb, 0.0) + original(b, yb, a, ya, 0.0)

def multitask_averaged(original):
    return lambda a, ya, b, yb, w: original(a, ya, b, yb, w) * 0.5

def scores_without_bytes(original):
    return lambda batch, heads, L, S, bytes_per_number=4: original(batch, heads, L, S, 1)

def scores_without_heads(original):
    return lambda batch, heads, L, S, bytes_per_number=4: original(batch, 1, L, S, bytes_per_number)

def tile_not_squared(original):
    return lambda block, bytes_per_number=4: original(block, bytes_per_number) // block

def prompt_appended(original):
    import minigrad
    def prepend_prompt(prompt, embeddings):
        out = original(prompt, embeddings)
        P = prompt.shape[1]
        return minigrad.cat([out[:, P:], out[:, :P]], dim=1)
    return prepend_prompt


def next_token_temperature_multiplied(original):
    return lambda logits, temperature, u: original(logits, 1.0 / temperature if temperature else 0, u)


def next_token_always_greedy(original):
    return lambda logits, temperature, u: original(logits, 0, u)


def perplexity_counting_padding(original):
    return lambda log_probs, mask: original(log_probs, minigrad.ones_like(mask))


def perplexity_sign_flipped(original):
    return lambda log_probs, mask: 1.0 / original(log_probs, mask)


def nsp_coin_flipped(original):
    return lambda a, b_next, b_random, coin, cls_id, sep_id: original(a, b_next, b_random, 1.0 - coin, cls_id, sep_id)


def nsp_sep_in_segment_b(original):
    def nsp_pair(a, b_next, b_random, coin, cls_id, sep_id):
        ids, segments, label = original(a, b_next, b_random, coin, cls_id, sep_id)
        segments = segments.copy()
        segments[len(a) + 1] = 1
        return ids, segments, label
    return nsp_pair


def mlm_loss_over_every_position(original):
    def mlm_loss(logits, labels):
        n = float((labels.numpy() != -100).sum())
        return original(logits, labels) * (n / labels.numpy().size)
    return mlm_loss


def mlm_loss_summed(original):
    return lambda logits, labels: original(logits, labels) * float((labels.numpy() != -100).sum())


def cosine_raw_dot_product(original):
    return lambda queries, docs: queries @ docs.T


def cosine_normalised_columns(original):
    return lambda queries, docs: (queries / queries.norm(dim=0, keepdim=True)) @ (docs / docs.norm(dim=0, keepdim=True)).T


def retrieve_worst(original):
    return lambda similarity, k: original(-similarity, k)


def distillation_without_t_squared(original):
    return lambda student_logits, teacher_logits, temperature: original(
        student_logits, teacher_logits, temperature) / (temperature * temperature)


def distillation_kl_reversed(original):
    return lambda student_logits, teacher_logits, temperature: original(teacher_logits, student_logits, temperature)


def soft_targets_times_t(original):
    return lambda logits, temperature: original(logits, 1.0 / temperature)


def count_tensors(original):
    return lambda module, trainable_only=False: len([p for p in module.parameters() if p.requires_grad or not trainable_only])


def count_ignoring_trainable_only(original):
    return lambda module, trainable_only=False: original(module)


def freeze_weights_only(original):
    def freeze(module):
        for name, p in module.named_parameters():
            if name.endswith("weight"):
                p.requires_grad = False
        return module
    return freeze


def freeze_by_clearing_grads(original):
    def freeze(module):
        for p in module.parameters():
            p.grad = None
        return module
    return freeze


def online_without_rescaling(original):
    def online_update(m, l, acc, scores, v):
        m_new = numpy.maximum(m, scores.max(axis=-1, keepdims=True))
        p = numpy.exp(scores - m_new)
        return m_new, l + p.sum(axis=-1, keepdims=True), acc + p @ v
    return online_update


def online_rescale_flipped(original):
    def online_update(m, l, acc, scores, v):
        m_new = numpy.maximum(m, scores.max(axis=-1, keepdims=True))
        alpha = numpy.where(numpy.isinf(m), 0.0, numpy.exp(m_new - m))
        p = numpy.exp(scores - m_new)
        return m_new, alpha * l + p.sum(axis=-1, keepdims=True), alpha * acc + p @ v
    return online_update


def finish_multiplied(original):
    return lambda l, acc: acc * l


WRONG = [
    # (exercise, class or None, attribute, how to break it, phrases the report must contain)
    ("01_custom_function.py", "Swish", "backward", swish_backward_doubled,
     ["FAIL  gradient of x", "the gradient of x is wrong at index", "2 times the expected value",
      "FAIL  gradcheck", "mismatch for input 0 (x)"]),
    ("01_custom_function.py", "Swish", "backward", swish_backward_on_arrays,
     ["ok    gradcheck", "FAIL  gradgradcheck", "not on .data arrays", "4 of 5 checks passed"]),
    ("01_custom_function.py", "Swish", "backward", swish_backward_returning_an_array,
     ["Swish.backward returned a ndarray as gradient number 0", "return minigrad Tensors"]),
    ("01_custom_function.py", "Swish", "forward", swish_forward_widened,
     ["the output has dtype float64, expected float32", "NumPy float64 scalar"]),
    ("02_gradient_descent.py", None, "sgd_step", sgd_step_ascending,
     ["FAIL  sgd_step", "parameter w1 (8, 4) after step 1 is wrong"]),
    ("02_gradient_descent.py", None, "sgd_momentum_step", momentum_with_dampening,
     ["FAIL  sgd_momentum_step: 5 steps match SGD(lr=0.1, momentum=0.9)", "after step 2 is wrong"]),
    ("02_gradient_descent.py", None, "sgd_momentum_step", momentum_without_weight_decay,
     ["ok    sgd_momentum_step: 5 steps match SGD(lr=0.1, momentum=0.9)",
      "FAIL  sgd_momentum_step: 5 steps match SGD(lr=0.05, momentum=0.5, weight_decay=0.01)",
      "2 of 3 checks passed"]),
    ("02_gradient_descent.py", None, "sgd_momentum_step", momentum_forgetting_velocity,
     ["returned None as the velocity"]),
    ("03_conv_by_hand.py", None, "unfold", unfold_in_the_wrong_order,
     ["FAIL  unfold of a (2, 3, 6, 7) input", "the result of unfold is wrong at index",
      "FAIL  conv2d matches F.conv2d"]),
    ("03_conv_by_hand.py", None, "conv2d", conv_ignoring_padding,
     ["ok    conv2d matches F.conv2d: input (2, 3, 6, 7)",
      "the output has shape (2, 3, 3, 2), expected (2, 3, 4, 3)"]),
    ("03_conv_by_hand.py", None, "unfold", unfold_detached,
     ["ok    conv2d matches F.conv2d: input (2, 2, 7, 6)", "no gradient reached input: autograd follows"]),
    ("04_attention_by_hand.py", None, "attention", attention_unscaled,
     ["FAIL  self-attention, no mask", "the attention weight matrix is wrong at index",
      "FAIL  gradients of query, key and value"]),
    ("04_attention_by_hand.py", None, "attention", attention_output_only,
     ["should return a pair (output, weights), got Tensor"]),
    ("04_attention_by_hand.py", None, "attention", attention_mask_inverted,
     ["ok    self-attention, no mask", "FAIL  bool mask (True = may attend)", "ok    is_causal=True"]),
    ("04_attention_by_hand.py", None, "attention", attention_unscaled,
     ["the scores are not divided by √d_k"]),
    ("04_attention_by_hand.py", None, "attention", attention_softmax_over_queries,
     ["softmax over the wrong axis"]),
    ("03_conv_by_hand.py", None, "conv2d", conv_padding_one_side,
     ["ok    conv2d matches F.conv2d: input (2, 3, 6, 7)", "padding on one side only"]),
    ("03_conv_by_hand.py", None, "conv2d", conv_one_window_short,
     ["one window short on each axis"]),
    ("06_forward_pass.py", None, "forward", forward_without_activation,
     ["FAIL  forward: a batch of 7", "no activation between the layers"]),
    ("06_forward_pass.py", None, "neuron", neuron_without_bias, ["FAIL  neuron", "the bias b is missing"]),
    ("07_softmax.py", None, "softmax", softmax_over_axis_0, ["softmax over the wrong axis: normalise along dim=-1"]),
    ("07_softmax.py", None, "softmax", softmax_unshifted,
     ["ok    softmax of a (3, 5) input", "FAIL  softmax of logits near 1000", "exp overflowed"]),
    ("08_tanh_backward.py", None, "tanh_backward", tanh_backward_flipped,
     ["-1 times the expected value everywhere (a flipped sign?)", "FAIL  gradcheck"]),
    ("08_tanh_backward.py", None, "tanh_backward", tanh_backward_unsquared, ["1 − y²"]),
    ("09_cross_entropy.py", None, "cross_entropy", cross_entropy_summed, ["the sum over the batch: take the mean"]),
    ("09_cross_entropy.py", None, "cross_entropy", cross_entropy_wrong_axis, ["softmax over the wrong axis"]),
    ("09_cross_entropy.py", None, "cross_entropy_grad", cross_entropy_grad_flipped,
     ["a flipped sign: it is p − t"]),
    ("10_metrics.py", None, "confusion_matrix", confusion_transposed, ["transposed: rows are the TRUE class"]),
    ("10_metrics.py", None, "precision_recall_f1", precision_recall_swapped, ["that is the recall"]),
    ("10_metrics.py", None, "precision_recall_f1", precision_with_nan,
     ["ok    precision_recall_f1 of a 4-class", "precision has NaN entries"]),
    ("11_training_loop.py", None, "train", train_without_zero_grad, ["call optimizer.zero_grad()"]),
    ("11_training_loop.py", None, "evaluate", evaluate_in_percent, ["a percentage"]),
    ("12_pooling.py", None, "max_pool2d", pool_one_window_short,
     ["the output has shape (2, 3, 2, 2), expected (2, 3, 3, 3); one window short"]),
    ("13_lstm_step.py", None, "lstm_step", lstm_gates_ifog, ["PyTorch stacks them as i, f, g, o"]),
    ("14_padded_sequences.py", None, "last_states", last_padded_step, ["the last PADDED step"]),
    ("15_masks.py", None, "causal_mask", causal_mask_inverted, ["inverted: True must mean MAY attend"]),
    ("15_masks.py", None, "causal_mask", causal_mask_without_diagonal, ["a position may attend to itself"]),
    ("16_positional_encoding.py", None, "positional_encoding", pe_sin_cos_swapped, ["sin and cos swapped"]),
    ("17_multi_head.py", None, "split_heads", split_heads_without_transpose,
     ["Reshape to (N, L, h, E/h), then transpose(1, 2)"]),
    ("05_layer_norm.py", "LayerNormFunction", "forward", layer_norm_one_pass_variance,
     ["ok    forward matches nn.LayerNorm(10)", "FAIL  forward stays accurate for inputs with a large mean"]),
    ("05_layer_norm.py", "LayerNormFunction", "backward", layer_norm_backward_without_the_mean_terms,
     ["the gradient of x is wrong at index", "FAIL  gradcheck", "mismatch for input 0 (x)"]),
    ("05_layer_norm.py", "LayerNormFunction", "backward", layer_norm_bias_grad_doubled,
     ["the gradient of bias is wrong", "2 times the expected value", "mismatch for input 2 (bias)"]),
    ("05_layer_norm.py", "LayerNormFunction", "backward", layer_norm_backward_forgetting_eps,
     ["LayerNormFunction.backward returned 3 value(s), expected 4", "None for the non-tensor ones"]),
    ("18_encoder_layer.py", None, "add_and_norm", add_and_norm_without_residual,
     ["FAIL  add_and_norm", "the residual is missing"]),
    ("18_encoder_layer.py", None, "encoder_layer", encoder_layer_pre_norm,
     ["ok    add_and_norm", "FAIL  encoder_layer", "pre-norm order"]),
    ("19_sampling.py", None, "perplexity", perplexity_base_2, ["FAIL  perplexity", "not 2^loss"]),
    ("19_sampling.py", None, "top_k_filter", top_k_smallest, ["FAIL  top_k_filter", "k SMALLEST"]),
    ("19_sampling.py", None, "next_token_probs", probs_temperature_multiplied,
     ["ok    top_k_filter", "FAIL  next_token_probs", "divide them by it"]),
    ("20_semantic_search.py", None, "mean_pool", mean_pool_with_padding,
     ["FAIL  mean_pool", "the padding is averaged in"]),
    ("20_semantic_search.py", None, "top_k_documents", top_k_by_dot_product,
     ["ok    mean_pool", "FAIL  top_k_documents", "raw dot product"]),
    ("21_mlm_masking.py", None, "mask_tokens", mask_tokens_all_masked,
     ["ok    mask_tokens: the labels", "FAIL  mask_tokens: the inputs", "every chosen position became [MASK]"]),
    ("21_mlm_masking.py", None, "mask_tokens", mask_tokens_labels_everywhere,
     ["FAIL  mask_tokens: the labels", "positions not chosen must be -100", "ok    mask_tokens: the inputs"]),
    ("21_mlm_masking.py", None, "masked_accuracy", masked_accuracy_everywhere,
     ["FAIL  masked_accuracy", "score the chosen positions only"]),
    ("22_quantize_and_prune.py", None, "quantize_int8", quantize_truncating,
     ["ok    quantize_int8: one scale", "FAIL  quantize_int8: the int8 weights", "truncated, not rounded"]),
    ("22_quantize_and_prune.py", None, "prune_mask", prune_mask_inverted,
     ["FAIL  prune_mask", "inverted: True must mean KEPT"]),
    ("23_multitask_and_soft_prompt.py", None, "multitask_loss", multitask_weight_on_wrong_task,
     ["FAIL  multitask_loss: the value", "the weight is on the wrong task", "ok    prepend_prompt"]),
    ("23_multitask_and_soft_prompt.py", None, "multitask_loss", multitask_averaged,
     ["FAIL  multitask_loss: the value", "do not average the two losses"]),
    ("23_multitask_and_soft_prompt.py", None, "prepend_prompt", prompt_appended,
     ["ok    multitask_loss: the value", "FAIL  prepend_prompt: a (1, 2, 5)", "IN FRONT of the sequence"]),
    ("24_attention_memory.py", None, "score_matrix_bytes", scores_without_bytes,
     ["FAIL  score_matrix_bytes", "multiply by the bytes per number", "ok    tile_bytes"]),
    ("24_attention_memory.py", None, "score_matrix_bytes", scores_without_heads,
     ["FAIL  score_matrix_bytes", "every head has its own matrix"]),
    ("24_attention_memory.py", None, "tile_bytes", tile_not_squared,
     ["ok    score_matrix_bytes", "FAIL  tile_bytes", "square the block"]),
    ("25_decoding_step.py", None, "next_token", next_token_temperature_multiplied,
     ["ok    next_token with temperature 0", "FAIL  next_token with temperature 0.5", "divide them by it"]),
    ("25_decoding_step.py", None, "next_token", next_token_always_greedy,
     ["FAIL  next_token with temperature 2.0", "that is greedy", "ok    perplexity_from_log_probs"]),
    ("25_decoding_step.py", None, "perplexity_from_log_probs", perplexity_counting_padding,
     ["FAIL  perplexity_from_log_probs", "the padding is counted"]),
    ("25_decoding_step.py", None, "perplexity_from_log_probs", perplexity_sign_flipped,
     ["FAIL  perplexity_from_log_probs", "a flipped sign"]),
    ("26_nsp_and_mlm_loss.py", None, "nsp_pair", nsp_coin_flipped,
     ["FAIL  nsp_pair with coin = 0.3 (IsNext)", "coin < 0.5 means IsNext", "ok    mlm_loss"]),
    ("26_nsp_and_mlm_loss.py", None, "nsp_pair", nsp_sep_in_segment_b,
     ["FAIL  nsp_pair with coin = 0.7", "the [SEP] after A belongs to A's segment"]),
    ("26_nsp_and_mlm_loss.py", None, "mlm_loss", mlm_loss_over_every_position,
     ["ok    nsp_pair", "FAIL  mlm_loss of (3, 6, 7) logits", "divided by every position",
      "FAIL  mlm_loss: the gradient"]),
    ("26_nsp_and_mlm_loss.py", None, "mlm_loss", mlm_loss_summed,
     ["FAIL  mlm_loss of (3, 6, 7) logits", "the sum, not the mean"]),
    ("27_similarity_matrix.py", None, "cosine_matrix", cosine_raw_dot_product,
     ["FAIL  cosine_matrix of (4, 8)", "the raw dot products", "ok    retrieve"]),
    ("27_similarity_matrix.py", None, "cosine_matrix", cosine_normalised_columns,
     ["FAIL  cosine_matrix of (4, 8)", "normalised along the wrong axis"]),
    ("27_similarity_matrix.py", None, "retrieve", retrieve_worst,
     ["ok    cosine_matrix", "FAIL  retrieve", "the k WORST documents"]),
    ("28_distillation_loss.py", None, "distillation_loss", distillation_without_t_squared,
     ["ok    soft_targets", "FAIL  distillation_loss of (5, 6) student and teacher logits at T = 3.0",
      "the T² factor is missing", "ok    distillation_loss of (5, 6) student and teacher logits at T = 1.0"]),
    ("28_distillation_loss.py", None, "distillation_loss", distillation_kl_reversed,
     ["FAIL  distillation_loss of (5, 6) student and teacher logits at T = 3.0", "the KL is reversed"]),
    ("28_distillation_loss.py", None, "soft_targets", soft_targets_times_t,
     ["FAIL  soft_targets", "multiplied by T", "ok    distillation_loss"]),
    ("29_freeze_and_count.py", None, "count_parameters", count_tensors,
     ["FAIL  count_parameters of the whole model", "the number of parameter TENSORS", "ok    freeze"]),
    ("29_freeze_and_count.py", None, "count_parameters", count_ignoring_trainable_only,
     ["ok    count_parameters of the whole model", "FAIL  count_parameters(trainable_only=True)",
      "trainable_only is ignored"]),
    ("29_freeze_and_count.py", None, "freeze", freeze_weights_only,
     ["ok    count_parameters", "FAIL  freeze(model.backbone)", "only the weights were frozen",
      "FAIL  after freeze(model.backbone)"]),
    ("29_freeze_and_count.py", None, "freeze", freeze_by_clearing_grads,
     ["FAIL  freeze(model.backbone)", "nothing was frozen", "frozen parameters got a gradient"]),
    ("30_online_softmax.py", None, "online_update", online_without_rescaling,
     ["FAIL  online_update: a second block", "the old sum is not rescaled", "ok    finish",
      "FAIL  online_update over 3 blocks"]),
    ("30_online_softmax.py", None, "online_update", online_rescale_flipped,
     ["FAIL  online_update: a second block", "not exp(m_new − m)"]),
    ("30_online_softmax.py", None, "finish", finish_multiplied,
     ["ok    online_update: a second block", "FAIL  finish", "do not multiply"]),
]


@pytest.mark.parametrize("name, owner, attribute, breaker, phrases", WRONG,
                         ids=[f"{w[0][:2]}-{w[3].__name__}" for w in WRONG])
def test_wrong_solution_fails_naming_the_problem(name, owner, attribute, breaker, phrases, monkeypatch, capsys):
    module = solution(name)
    target = module if owner is None else getattr(module, owner)
    original = getattr(target, attribute)
    broken = breaker(original)
    monkeypatch.setattr(target, attribute, broken if owner is None else staticmethod(broken))
    ok, out = run_check(module, capsys)
    assert ok is False, out
    assert "Traceback" not in out
    for phrase in phrases:
        assert phrase in out, f"{phrase!r} missing from the report:\n{out}"


def test_an_exception_in_student_code_is_reported_with_its_line(tmp_path, capsys):
    text = (TUTORIALS / "solutions" / "01_custom_function.py").read_text(encoding="utf-8")
    buggy = text.replace("xp.tanh(0.5 * x.data)", "xp.tanh(0.5 * x.data, 3)")
    assert buggy != text
    path = tmp_path / "01_custom_function.py"
    path.write_text(buggy, encoding="utf-8")
    line = buggy.splitlines().index(next(s for s in buggy.splitlines() if ", 3)" in s)) + 1
    assert checks.check(path) is False
    out = capsys.readouterr().out
    assert "Traceback" not in out and "TypeError" in out
    assert f"(raised in your Swish.forward, line {line} of 01_custom_function.py)" in out


def test_a_missing_name_is_reported(monkeypatch, capsys):
    module = solution("04_attention_by_hand.py")
    monkeypatch.delattr(module, "attention")
    ok, out = run_check(module, capsys)
    assert not ok and "04_attention_by_hand.py defines no `attention`" in out


# ---------------------------------------------------------------------------------------------
# finding the checker of a file, and the command line
# ---------------------------------------------------------------------------------------------
def test_a_file_that_does_not_load_is_reported(tmp_path, capsys):
    path = tmp_path / "05_layer_norm.py"
    path.write_text("def broken(:\n", encoding="utf-8")
    assert checks.check(path) is False
    assert f"could not load {path}: SyntaxError on line 1" in capsys.readouterr().out


def test_a_file_with_no_checker_lists_the_exercises(tmp_path, capsys):
    path = tmp_path / "my_attempt.py"
    path.write_text("", encoding="utf-8")
    assert checks.check(path) is False
    out = capsys.readouterr().out
    assert "no checker for my_attempt.py" in out and "01_custom_function.py" in out


def test_command_line_check(capsys):
    assert main(["check", str(TUTORIALS / "solutions" / "03_conv_by_hand.py")]) == 0
    assert "All 7 checks passed" in capsys.readouterr().out
    assert main(["check", str(TUTORIALS / "03_conv_by_hand.py")]) == 1
    assert "not done yet: fill in unfold" in capsys.readouterr().out
    assert main(["check", str(TUTORIALS / "missing" / "01_custom_function.py")]) == 1
    assert "no such file" in capsys.readouterr().out


def test_command_line_check_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "--help"])
    assert info.value.code == 0
    assert "tutorials/01_custom_function.py" in capsys.readouterr().out


def test_running_an_exercise_file_runs_its_checker():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(TUTORIALS / "solutions" / "02_gradient_descent.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All 3 checks passed" in done.stdout
    done = subprocess.run([sys.executable, str(TUTORIALS / "02_gradient_descent.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "not done yet: fill in sgd_step" in done.stdout
    assert "Traceback" not in done.stderr
