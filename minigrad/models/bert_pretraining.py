"""Pretraining a BERT from scratch: masked language modelling and next-sentence prediction.

Article 003 §2 names BERT's two pretraining objectives (掩码语言模型, 下一句预测); here both are
trained, on text that ships with Python (the standard library's docstrings, the corpus of
``gpt.py``), by a BERT small enough for a CPU.

**Masked LM.** Pick 15% of the (non-special) tokens; of those, replace 80% by [MASK], 10% by a
random token, and leave 10% unchanged (``mask_tokens``). The model must predict the original
token at every picked position, seeing the words on both sides:

    loss_MLM = -mean over picked positions t of log softmax(h_t W_T + b)[x_t]

where h_t = LN(gelu(x_L,t W_h)) (the "transform") and W_T is the word embedding matrix itself
(tied weights). The 10% random and 10% unchanged keep the model from learning that only [MASK]
positions matter: it must build a good vector for every token, because any might be tested.

**Next-sentence prediction.** Each example is a pair "[CLS] A [SEP] B [SEP]"; half the time B is
the sentence that follows A in its document (label 0, IsNext), half the time a sentence of
another document (label 1, NotNext). A Linear layer on ``pooler_output`` classifies the pair:

    loss = loss_MLM + cross_entropy(pooler_output W_NSP, label)

``BertForPreTraining`` has Hugging Face's names (``cls.predictions.transform.dense``,
``cls.predictions.decoder``, ``cls.predictions.bias``, ``cls.seq_relationship``), so its
``state_dict`` matches ``transformers.BertForPreTraining``.

The yardstick for masked-token accuracy is the model that always answers the most frequent
token of the training targets: a model that beats it has learned something from the context.
"""
import collections
import random

import numpy as np

from ..autograd import no_grad
from ..creation import as_tensor, zeros
from ..nn import functional as F
from ..nn import init
from ..nn.linear import Linear
from ..nn.module import Module, Parameter
from ..nn.normalization import LayerNorm
from ..optim import AdamW
from ..optim.lr_scheduler import LambdaLR
from ..tensor import int64
from .bert import ACTIVATIONS, BertModel
from .bert_tokenizer import BertTokenizer
from .output import ModelOutput

IGNORE = -100        # the label of a position that is not predicted (cross_entropy's ignore_index)
SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']


# ---------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------
class BertPredictionHeadTransform(Module):
    """h = LN(act(x W + b)): one more layer before the vocabulary scores."""

    def __init__(self, config):
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = ACTIVATIONS[config.hidden_act]()
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x):
        return self.LayerNorm(self.transform_act_fn(self.dense(x)))


class BertLMPredictionHead(Module):
    """scores = transform(x) W_Tᵀ + b, one per vocabulary token; ``decoder.weight`` is tied to the
    word embeddings (set by ``BertForPreTraining``)."""

    def __init__(self, config):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = Linear(config.hidden_size, config.vocab_size)
        # one bias under both of Hugging Face's names, "bias" and "decoder.bias"
        self.bias = Parameter(zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, x):
        return self.decoder(self.transform(x))


class BertPreTrainingHeads(Module):
    def __init__(self, config):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)
        self.seq_relationship = Linear(config.hidden_size, 2)


class BertForPreTraining(Module):
    """``BertForPreTraining(config)``: a BertModel with the masked-LM and next-sentence heads.

    forward(input_ids, attention_mask=None, token_type_ids=None, labels=None,
    next_sentence_label=None) returns a ``ModelOutput`` with ``prediction_logits`` (B, T, vocab),
    ``seq_relationship_logits`` (B, 2) and ``loss``: the sum of the two cross-entropies, when
    both ``labels`` (B, T) — token ids, -100 where not predicted — and ``next_sentence_label`` are
    given (then ``prediction_logits`` holds the predicted positions' rows only, see forward).
    """

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        self.cls = BertPreTrainingHeads(config)
        for name, p in self.cls.named_parameters():
            if p.ndim > 1:
                init.normal_(p, 0.0, config.initializer_range)
        init.zeros_(self.cls.seq_relationship.bias)
        # one matrix reads tokens in and scores them out (Hugging Face's tie_word_embeddings)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None, next_sentence_label=None):
        out = self.bert(input_ids, attention_mask, token_type_ids)
        x = out.last_hidden_state
        nsp = self.cls.seq_relationship(out.pooler_output)
        if labels is None or next_sentence_label is None:
            return ModelOutput(loss=None, prediction_logits=self.cls.predictions(x), seq_relationship_logits=nsp)
        # The loss needs vocabulary scores only where a token is predicted, about 15% of the
        # positions: scoring those rows alone makes the largest product and softmax ~7x cheaper.
        # So with labels, prediction_logits is (number of predicted positions, vocab_size), in the
        # order of labels[labels != -100] (Hugging Face scores every position).
        labels = np.asarray(labels).reshape(-1)
        rows = as_tensor(np.flatnonzero(labels != IGNORE), device=x.device)
        scores = self.cls.predictions(x.reshape(-1, x.shape[-1])[rows])
        loss = (F.cross_entropy(scores, as_tensor(labels[labels != IGNORE], dtype=int64, device=x.device))
                + F.cross_entropy(nsp, as_tensor(next_sentence_label, dtype=int64, device=x.device)))
        return ModelOutput(loss=loss, prediction_logits=scores, seq_relationship_logits=nsp)


# ---------------------------------------------------------------------------------------------
# the data: a vocabulary, sentence pairs, masking
# ---------------------------------------------------------------------------------------------
def build_vocab(texts, size=1000):
    """A WordPiece vocabulary learned from ``texts``: the special tokens, every character seen both
    as a word start ``c`` and as a continuation ``##c`` (so any word of these characters can be
    spelled, never [UNK]), then the most frequent whole words until ``size`` tokens in all."""
    counter = collections.Counter()
    basic = BertTokenizer(SPECIAL_TOKENS)
    for text in texts:
        counter.update(basic.basic_tokenize(text))
    chars = sorted({c for word in counter for c in word})
    vocab = SPECIAL_TOKENS + chars + ['##' + c for c in chars]
    taken = set(vocab)
    for word, _ in counter.most_common():
        if len(vocab) >= size:
            break
        if word not in taken:
            vocab.append(word)
    return vocab


def nsp_pairs(documents, seed=0):
    """``(first, second, label)`` triples: for every sentence that has a successor in its document,
    either that successor (label 0, IsNext) or, with probability 1/2, a sentence of another
    document (label 1, NotNext). ``documents`` is a list of lists of sentences."""
    rng = random.Random(seed)
    pairs = []
    for d, document in enumerate(documents):
        for a, b in zip(document, document[1:]):
            if rng.random() < 0.5:
                pairs.append((a, b, 0))
            else:
                other = rng.choice([i for i in range(len(documents)) if i != d]) if len(documents) > 1 else d
                pairs.append((a, rng.choice(documents[other]), 1))
    return pairs


def mask_tokens(input_ids, special_mask, vocab_size, mask_token_id, rng, probability=0.15):
    """BERT's 80/10/10 rule on an int (B, T) array ``input_ids``: returns ``(inputs, labels)``.

    Each token that is not special (``special_mask`` False: not [CLS], [SEP] or padding) is picked
    with ``probability``; ``labels`` holds the original id there and -100 elsewhere. A picked token
    becomes [MASK] with probability 0.8, a random token with 0.1, and stays itself with 0.1.
    ``rng`` is a ``numpy.random.Generator``."""
    inputs = np.array(input_ids, dtype=np.int64)
    picked = (rng.random(inputs.shape) < probability) & ~np.asarray(special_mask, dtype=bool)
    labels = np.where(picked, inputs, IGNORE)
    u = rng.random(inputs.shape)
    inputs[picked & (u < 0.8)] = mask_token_id
    random_slots = picked & (u >= 0.8) & (u < 0.9)
    inputs[random_slots] = rng.integers(len(SPECIAL_TOKENS), vocab_size, random_slots.sum())
    return inputs, labels


class PairData:
    """``nsp_pairs`` tokenized once, up front, as padded arrays: the WordPiece tokenizer is Python
    and slow, and every training step would otherwise redo it. ``batch(rows, rng)`` masks the
    chosen rows afresh (RoBERTa's dynamic masking: a new 15% each time a pair is seen) and trims
    the padding columns that no row of the batch uses."""

    def __init__(self, tokenizer, pairs, max_length=64):
        enc = tokenizer([a for a, _, _ in pairs], [b for _, b, _ in pairs], padding=True, truncation=True,
                        max_length=max_length, return_tensors='np')
        self.input_ids, self.token_type_ids = enc['input_ids'], enc['token_type_ids']
        self.attention_mask = enc['attention_mask']
        self.next_sentence_label = np.array([label for _, _, label in pairs])
        self.special = np.isin(self.input_ids, tokenizer.convert_tokens_to_ids(['[CLS]', '[SEP]', '[PAD]']))
        self.vocab_size, self.mask_id = tokenizer.vocab_size, tokenizer.convert_tokens_to_ids('[MASK]')

    def __len__(self):
        return len(self.input_ids)

    def batch(self, rows, rng):
        """The masked rows, as the keyword arguments of ``BertForPreTraining``."""
        T = int(self.attention_mask[rows].sum(1).max())
        inputs, labels = mask_tokens(self.input_ids[rows, :T], self.special[rows, :T], self.vocab_size,
                                     self.mask_id, rng)
        return dict(input_ids=inputs, attention_mask=self.attention_mask[rows, :T],
                    token_type_ids=self.token_type_ids[rows, :T], labels=labels,
                    next_sentence_label=self.next_sentence_label[rows])

    def most_frequent_token(self):
        """The id of the most frequent non-special token: the baseline's only answer."""
        counts = np.bincount(self.input_ids[~self.special], minlength=self.vocab_size)
        counts[:len(SPECIAL_TOKENS)] = 0
        return int(counts.argmax())


# ---------------------------------------------------------------------------------------------
# training and evaluation
# ---------------------------------------------------------------------------------------------
def pretrain(model, data, steps=200, batch_size=32, lr=1e-3, warmup=0.1, seed=0):
    """Train ``model`` (a ``BertForPreTraining``) on random batches of ``data`` (a ``PairData``),
    masked afresh each time, with AdamW. The learning rate rises linearly from 0 to ``lr`` over
    the first ``warmup`` fraction of the steps (a post-LN network is unstable under large steps
    while its weights are random), then stays there. (BERT then lets it fall linearly to 0; in a
    run this short the model is still leaving the "predict the frequent words" plateau at the
    end, and a falling rate stalls it there.) Returns the loss of every step; the model is left
    in eval mode."""
    optimizer = AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    rise = max(1, round(warmup * steps))
    schedule = LambdaLR(optimizer, lambda t: min(1.0, (t + 1) / rise))
    rng = np.random.default_rng(seed)
    model.train()
    losses = []
    for _ in range(steps):
        rows = rng.choice(len(data), min(batch_size, len(data)), replace=False)
        loss = model(**data.batch(rows, rng)).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    return losses


@no_grad()
def evaluate_pretraining(model, data, most_frequent, batch_size=64, seed=1):
    """``{'mlm_accuracy', 'mlm_baseline', 'nsp_accuracy'}`` on ``data`` (held-out ``PairData``),
    masked with ``seed``: the fraction of masked tokens predicted exactly, the fraction the
    always-``most_frequent`` baseline gets (a token id: the training data's most frequent
    token), and the fraction of pairs whose IsNext/NotNext is right."""
    rng = np.random.default_rng(seed)
    hits = baseline = picked = nsp_right = 0
    for start in range(0, len(data), batch_size):
        batch = data.batch(np.arange(start, min(start + batch_size, len(data))), rng)
        out = model(batch['input_ids'], batch['attention_mask'], batch['token_type_ids'])
        labels = batch['labels']
        where = labels != IGNORE
        guess = out.prediction_logits.argmax(-1).cpu().numpy()
        hits += int((guess[where] == labels[where]).sum())
        baseline += int((labels[where] == most_frequent).sum())
        picked += int(where.sum())
        nsp_right += int((out.seq_relationship_logits.argmax(-1).cpu().numpy()
                          == batch['next_sentence_label']).sum())
    return {'mlm_accuracy': hits / picked, 'mlm_baseline': baseline / picked, 'nsp_accuracy': nsp_right / len(data)}

