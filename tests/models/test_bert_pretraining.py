"""Pretraining a tiny BERT from scratch: the 80/10/10 masking rule, Hugging Face's names for the
heads, next-sentence pairs, and a short run on the standard library's docstrings whose
masked-token accuracy beats the always-most-frequent-token baseline."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.models import BertConfig
from minigrad.models.bert_pretraining import (IGNORE, SPECIAL_TOKENS, BertForPreTraining, PairData, build_vocab,
                                              evaluate_pretraining, mask_tokens, nsp_pairs, pretrain)
from minigrad.models.bert_tokenizer import BertTokenizer
from minigrad.models.gpt import STDLIB_MODULES
from minigrad.models.text_data import docstring_documents

TINY = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
            max_position_embeddings=64, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def test_mask_tokens_follows_the_80_10_10_rule():
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 1000, (400, 250))
    special = np.zeros(ids.shape, dtype=bool)
    special[:, 0] = special[:, -1] = True
    inputs, labels = mask_tokens(ids, special, 1000, 4, rng)
    picked = labels != IGNORE
    assert not picked[special].any()
    np.testing.assert_array_equal(labels[picked], ids[picked])
    assert picked[~special].mean() == pytest.approx(0.15, abs=0.005)
    masked, kept = inputs[picked] == 4, inputs[picked] == ids[picked]
    assert masked.mean() == pytest.approx(0.8, abs=0.01)
    assert kept.mean() == pytest.approx(0.1 + 0.1 / 995, abs=0.01)       # (random draws of the same id: rare)
    assert (inputs[picked][~masked & ~kept] >= len(SPECIAL_TOKENS)).all()
    np.testing.assert_array_equal(inputs[~picked], ids[~picked])


def test_heads_have_hugging_faces_names():
    transformers = pytest.importorskip('transformers')
    config = dict(TINY, vocab_size=50)
    ours = BertForPreTraining(BertConfig(**config))
    theirs = transformers.BertForPreTraining(transformers.BertConfig(**config))
    expected = [k for k in theirs.state_dict() if not k.endswith(('position_ids', 'token_type_ids'))]
    assert sorted(ours.state_dict()) == sorted(expected)
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight


def test_nsp_pairs_are_half_next_half_random():
    documents = [[f"d{d} s{s}" for s in range(5)] for d in range(40)]
    pairs = nsp_pairs(documents)
    assert len(pairs) == 40 * 4
    assert np.mean([label for _, _, label in pairs]) == pytest.approx(0.5, abs=0.1)
    for a, b, label in pairs:
        follows = a.split()[0] == b.split()[0] and int(b[-1]) == int(a[-1]) + 1
        assert follows == (label == 0)


def test_vocabulary_spells_every_word():
    vocab = build_vocab(["The cat sat.", "The dog sat on the mat."], size=40)
    tok = BertTokenizer(vocab)
    assert vocab[:5] == SPECIAL_TOKENS and 'the' in vocab and len(vocab) <= 40
    assert '[UNK]' not in tok.tokenize("Tac mast odd")        # rare words fall back to characters


def test_tiny_bert_learns_masked_tokens_from_docstrings():
    documents = docstring_documents(STDLIB_MODULES)
    held, train = documents[::5], [d for i, d in enumerate(documents) if i % 5]
    tokenizer = BertTokenizer(build_vocab([s for d in train for s in d], size=1000))
    train_data, held_data = PairData(tokenizer, nsp_pairs(train), 48), PairData(tokenizer, nsp_pairs(held, seed=1), 48)
    mg.manual_seed(0)
    model = BertForPreTraining(BertConfig(vocab_size=tokenizer.vocab_size, **TINY))
    losses = pretrain(model, train_data, steps=320, batch_size=16, lr=3e-3)
    result = evaluate_pretraining(model, held_data, train_data.most_frequent_token())
    print(result)
    assert np.mean(losses[-20:]) < np.mean(losses[:20]) - 1.0
    assert result['mlm_accuracy'] > result['mlm_baseline'] + 0.02        # measured: 0.075 and 0.036
