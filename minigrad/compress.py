"""Model compression (article 003 §1, item 6: 知识蒸馏 distillation, 量化 quantization, 剪枝 pruning):
three ways to make a trained network smaller or cheaper while keeping what it computes.

**Post-training int8 quantization** (``quantize_dynamic``, ``QuantizedLinear``). Each Linear
weight row o (one output neuron) is stored as 8-bit integers and one float scale:

    s_o = max_i |W_oi| / 127,      Q_oi = round(W_oi / s_o) ∈ [-127, 127],      W_oi ≈ s_o Q_oi

Per-channel (per-row) scales matter: one scale for the whole matrix would be set by its single
largest weight and round every small row to a few levels. The error of a weight is at most
s_o / 2. Storage falls from 4 bytes to 1 per weight. The layer computes y = x (s ⊙ Q)ᵀ + b,
dequantizing the weight on the fly: NumPy has no fast int8 matrix product, so on the CPU the
saving is memory, not time (a real int8 kernel, as PyTorch's fbgemm, also gains speed).

**Magnitude pruning** (``prune_magnitude``). The weights nearest 0 contribute least to
x Wᵀ, so set the fraction ``amount`` of smallest |W_oi| of each Linear layer to 0. A sparse
format or kernel would then skip them; here the zeros show how much of the network is
redundant, measured by how little the output moves.

**Knowledge distillation** (``student_from_teacher``, ``distill``). A small *student* is
trained to reproduce the *teacher*'s outputs rather than labels: here the student is a BERT with
fewer layers, started from some of the teacher's layers (as DistilBERT), and trained so that its
sentence embedding e_S matches the teacher's e_T (sentence-transformers' recipe):

    loss = mean over sentences and dimensions of (e_S - e_T)²

Any sentence will do as training data, no labels needed: the teacher provides the targets.

``embedding_cosine`` measures all three: the cosine between the compressed and the original
model's sentence embeddings, 1.0 meaning nothing changed.
"""
import copy
import dataclasses
import random

import numpy as np

from .autograd import no_grad
from .backend import get_array_module
from .creation import as_tensor
from .dtypes import int8
from .models.bert import SentenceEncoder, mean_pooling
from .nn import functional as F
from .nn.container import ModuleList
from .nn.linear import Linear
from .nn.module import Module
from .optim import AdamW


# ---------------------------------------------------------------------------------------------
# int8 quantization
# ---------------------------------------------------------------------------------------------
class QuantizedLinear(Module):
    """A Linear layer whose weight is int8 with one float scale per output channel (row).

    Buffers: ``qweight`` (out_features, in_features) int8, ``scale`` (out_features,) float,
    ``bias`` (out_features,) float or None. forward(x) = x (scale ⊙ qweight)ᵀ + bias.
    Build one from a trained layer with ``QuantizedLinear.from_float(linear)``.
    """

    def __init__(self, qweight, scale, bias=None):
        super().__init__()
        self.out_features, self.in_features = qweight.shape
        self.register_buffer('qweight', qweight)
        self.register_buffer('scale', scale)
        self.register_buffer('bias', bias)

    @classmethod
    @no_grad()
    def from_float(cls, linear):
        w = linear.weight.detach()
        xp = get_array_module(w.data)
        # s_o = max_i |W_oi| / 127; an all-zero row keeps scale 1 (any scale represents it exactly)
        scale = xp.abs(w.data).max(axis=1) / 127
        scale[scale == 0] = 1
        q = xp.clip(xp.rint(w.data / scale[:, None]), -127, 127).astype(int8)
        bias = None if linear.bias is None else linear.bias.detach().clone()
        return cls(as_tensor(q), as_tensor(scale), bias)

    def dequantize(self):
        """The float weight s_o Q_oi that the layer stands for."""
        return self.qweight.to(self.scale.dtype) * self.scale.unsqueeze(1)

    def forward(self, input):
        # the weight (out × in) is dequantized, not the output: for a batch of sequences there are
        # far more output numbers than weights, so this is the cheaper side to scale
        return F.linear(input, self.dequantize(), self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, qweight=int8")


def _replace_linears(model, make):
    """Every ``Linear`` child of every module of ``model`` replaced by ``make(linear)``."""
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, Linear):
                setattr(module, name, make(child))
    return model


def quantize_dynamic(model, inplace=False):
    """``model`` with every ``Linear`` replaced by a ``QuantizedLinear`` (PyTorch's
    ``torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, torch.qint8)``, weights only).
    A copy unless ``inplace``; embeddings and LayerNorms stay float."""
    model = model if inplace else copy.deepcopy(model)
    return _replace_linears(model, QuantizedLinear.from_float)


def model_size_mb(model):
    """The bytes of every parameter and buffer of ``model``, in MB (10⁶ bytes)."""
    tensors = list(model.parameters()) + [b for b in model.buffers() if b is not None]
    return sum(t.data.nbytes for t in tensors) / 1e6


# ---------------------------------------------------------------------------------------------
# magnitude pruning
# ---------------------------------------------------------------------------------------------
@no_grad()
def prune_magnitude(model, amount, inplace=False):
    """``model`` with the fraction ``amount`` (0 ≤ amount < 1) of smallest-magnitude weights of
    each ``Linear`` layer set to 0 (PyTorch's ``prune.l1_unstructured`` per layer, made
    permanent). Biases are kept. A copy unless ``inplace``."""
    if not 0 <= amount < 1:
        raise ValueError(f"prune_magnitude: amount must be in [0, 1), got {amount}")
    model = model if inplace else copy.deepcopy(model)
    for module in model.modules():
        if isinstance(module, Linear):
            w = module.weight.data.reshape(-1)          # a view: writing it writes the weight
            k = int(round(amount * w.size))
            if k:
                xp = get_array_module(w)
                w[xp.argpartition(xp.abs(w), k - 1)[:k]] = 0
    return model


def linear_sparsity(model):
    """The fraction of zeros among the weights of ``model``'s Linear layers."""
    weights = [m.weight.data for m in model.modules() if isinstance(m, Linear)]
    return float(sum((w == 0).sum() for w in weights) / sum(w.size for w in weights))


# ---------------------------------------------------------------------------------------------
# distillation
# ---------------------------------------------------------------------------------------------
def student_from_teacher(teacher, layers=(0, 5)):
    """A BERT with ``len(layers)`` encoder layers, copied from the teacher's layers ``layers``
    (their indices), with the teacher's embeddings and pooler: a student that starts near the
    teacher instead of from random weights (DistilBERT's initialisation)."""
    config = dataclasses.replace(teacher.config, num_hidden_layers=len(layers))
    student = copy.deepcopy(teacher)
    student.config = config
    student.encoder.layer = ModuleList([student.encoder.layer[i] for i in layers])
    return student


def distill(teacher, student, tokenizer, sentences, steps=100, batch_size=16, lr=1e-4, max_length=128,
            seed=0):
    """Train ``student`` (a BertModel) so that its mean-pooled sentence embeddings match the
    ``teacher``'s on ``sentences``, with AdamW for ``steps`` steps of ``batch_size`` sentences
    drawn with ``seed``. The teacher's embeddings are computed once, up front. Returns the loss
    of every step; the student is left in eval mode."""
    targets = SentenceEncoder(tokenizer, teacher, max_length).encode(
        sentences, batch_size=64, normalize_embeddings=False, convert_to_tensor=True)
    optimizer = AdamW(student.parameters(), lr=lr, weight_decay=0.0)
    rng = random.Random(seed)
    student.train()
    losses = []
    for _ in range(steps):
        rows = rng.sample(range(len(sentences)), min(batch_size, len(sentences)))
        enc = tokenizer([sentences[i] for i in rows], padding=True, truncation=True, max_length=max_length)
        embedding = mean_pooling(student(**enc).last_hidden_state, enc['attention_mask'])
        loss = F.mse_loss(embedding, targets[as_tensor(np.array(rows), device=targets.device)])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    student.eval()
    return losses


def embedding_cosine(encoder, reference, sentences):
    """The cosine between ``encoder``'s and ``reference``'s normalised sentence embeddings
    (two ``SentenceEncoder``s), one per sentence, as a NumPy array."""
    a = encoder.encode(sentences)
    b = reference.encode(sentences)
    return np.sum(a * b, axis=-1)
