"""The sequence classifier of article 001 ("large-model practice"), in PyTorch.

The article loads Hugging Face's ``AutoModelForSequenceClassification`` for ``bert-base-uncased``,
tokenises one sentence, calls ``model(**inputs)`` and stops: the outputs are never read (the class
is ``outputs.logits.argmax(-1)``), and the classification head on top of the pretrained encoder is
freshly initialised, so its answer means nothing until the model is fine-tuned. Here is that
model in miniature, written in plain PyTorch and fine-tuned: a BERT-style encoder (token and
position embeddings, layer norm, ``nn.TransformerEncoder`` with GELU), a pooler on the ``[CLS]``
position and a linear classifier, called as the article calls it, ``model(**inputs)``.

    LIB=minigrad python tests/programs/article_sequence_classifier.py
"""
import os

import numpy as np

from twin import share_initial_weights

if os.environ.get("LIB") == "minigrad":
    import minigrad as torch
    import minigrad.nn as nn
    import minigrad.nn.functional as F
else:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

POSITIVE = "great good wonderful excellent fine lovely".split()
NEGATIVE = "bad awful terrible poor boring dull".split()
NEUTRAL = "this is a the movie film book example of using it was".split()
vocab = ["[PAD]", "[CLS]"] + POSITIVE + NEGATIVE + NEUTRAL
word_to_id = {w: i for i, w in enumerate(vocab)}


def tokenizer(texts, max_length=12):
    """Word-level stand-in for ``AutoTokenizer``: ``[CLS]`` first, padded, with an attention mask."""
    ids = [[1] + [word_to_id[w] for w in t.lower().split()][:max_length - 1] for t in texts]
    input_ids = [s + [0] * (max_length - len(s)) for s in ids]
    attention_mask = [[1] * len(s) + [0] * (max_length - len(s)) for s in ids]
    return {"input_ids": torch.tensor(input_ids), "attention_mask": torch.tensor(attention_mask)}


class SequenceClassifier(nn.Module):
    def __init__(self, vocab_size, hidden_size=32, num_layers=2, num_heads=4, max_length=12, num_labels=2):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, hidden_size)
        self.position_embeddings = nn.Embedding(max_length, hidden_size)
        self.embedding_norm = nn.LayerNorm(hidden_size)
        layer = nn.TransformerEncoderLayer(hidden_size, num_heads, dim_feedforward=4 * hidden_size,
                                           dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.pooler = nn.Linear(hidden_size, hidden_size)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.size(1), device=input_ids.device)
        x = self.embedding_norm(self.word_embeddings(input_ids) + self.position_embeddings(positions))
        x = self.encoder(x, src_key_padding_mask=attention_mask == 0)
        pooled = torch.tanh(self.pooler(x[:, 0]))          # the [CLS] position
        return self.classifier(pooled)                      # logits


def make_sentences(n, rng):
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(2))
        words = list(rng.choice(NEUTRAL, size=rng.integers(3, 8)))
        for _ in range(rng.integers(1, 3)):
            words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(POSITIVE if label else NEGATIVE)))
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


torch.manual_seed(0)
rng = np.random.default_rng(0)
texts, labels = make_sentences(256, rng)

model = SequenceClassifier(len(vocab))
share_initial_weights(torch, model)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)

losses = []
model.train()
for epoch in range(3):
    for i in range(0, len(texts), 32):
        inputs = tokenizer(texts[i:i + 32])
        target = torch.tensor(labels[i:i + 32])
        logits = model(**inputs)
        loss = F.cross_entropy(logits, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"epoch {epoch}: loss {loss.item():.4f}")

# the article's example, this time with its answer read out
model.eval()
text = "This is a great example of using Transformers."
inputs = tokenizer([text.replace(" Transformers.", "")])
with torch.no_grad():
    logits = model(**inputs)
losses.append(F.cross_entropy(logits, torch.tensor([1])).item())
print(text, "->", ["negative", "positive"][logits.argmax(-1).item()])
