"""Fine-tuning a BERT classifier (article 001 §5 made real): train, predict, evaluate.

Article 001 §5 loads ``bert-base-uncased`` with a classification head and trains it on labelled
text. Fine-tuning means: start from the pretrained encoder (it already knows English) and a
fresh, random head, then train everything (or only the top) with a small learning rate on the
task's labels, minimising the cross-entropy of ``BertForSequenceClassification``:

    logits = Dropout(pooler_output) W + b,      loss = -mean log softmax(logits)[label]

The same loop trains the same architecture from random initialisation, the baseline that shows
what pretraining contributes: with a few hundred examples a random BERT has nothing to build on.

    model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=5)
    fine_tune(model, tokenizer, texts, labels, epochs=3)
    evaluate(model, tokenizer, test_texts, test_labels)   # accuracy, precision, recall, F1
"""
import random

import numpy as np

from ..autograd import no_grad
from ..metrics import classification_report
from ..optim import AdamW


def freeze_except_top(model, num_layers):
    """Train only the classifier, the pooler and the last ``num_layers`` encoder layers of a
    ``BertForSequenceClassification``: every other parameter gets ``requires_grad=False``, so
    backward stops where the trained part begins (cheaper, and less to overfit)."""
    model.requires_grad_(False)
    layers = model.bert.encoder.layer
    top = [layers[i] for i in range(len(layers) - num_layers, len(layers))]
    for module in [model.classifier, model.bert.pooler] + top:
        module.requires_grad_(True)
    return model


def fine_tune(model, tokenizer, texts, labels, epochs=3, batch_size=16, lr=5e-5, max_length=64, seed=0):
    """Train ``model`` (a ``BertForSequenceClassification``) on ``texts`` and integer ``labels``
    with AdamW, ``epochs`` passes in batches shuffled with ``seed``; only the parameters that
    require a gradient change. Returns the loss of every step; the model is left in eval mode."""
    optimizer = AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    rng = random.Random(seed)
    order = list(range(len(texts)))
    model.train()
    losses = []
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            enc = tokenizer([texts[i] for i in rows], padding=True, truncation=True, max_length=max_length)
            loss = model(**enc, labels=[labels[i] for i in rows]).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    return losses


@no_grad()
def predict(model, tokenizer, texts, batch_size=64, max_length=64):
    """The predicted class (argmax of the logits) of each text, as a NumPy int array."""
    parts = []
    for start in range(0, len(texts), batch_size):
        enc = tokenizer(texts[start:start + batch_size], padding=True, truncation=True, max_length=max_length)
        parts.append(model(**enc).logits.argmax(-1).cpu().numpy())
    return np.concatenate(parts)


def evaluate(model, tokenizer, texts, labels, max_length=64):
    """``{'accuracy', 'precision', 'recall', 'f1'}`` of the model's predictions (macro averages,
    ``minigrad.metrics``)."""
    return classification_report(labels, predict(model, tokenizer, texts, max_length=max_length),
                                 num_classes=model.num_labels)
