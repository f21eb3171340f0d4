"""Fine-tuning all-MiniLM-L6-v2 as a topic classifier beats the same BERT from random weights.

Kept short for CI: 5 topics of standard-library docstring sentences, 16 per topic to train on
and 12 to test, and only the head and the last layer trained, for 2 epochs, on both models. The
full run (every layer, 160 sentences per topic) is ``benchmarks/bert_finetune.py``."""
from minilm_fixtures import minilm_dir  # noqa: F401  (a pytest fixture)

import minigrad as mg
from minigrad.models import BertConfig, BertForSequenceClassification, BertTokenizer
from minigrad.models.finetune import evaluate, fine_tune, freeze_except_top
from minigrad.models.text_data import TOPICS, docstring_topics, train_test_split


def test_docstring_topics_are_balanced_and_split_by_class():
    texts, labels, names = docstring_topics(per_topic=28)
    assert names == list(TOPICS) and len(texts) == len(labels) == 28 * len(TOPICS)
    assert len(set(texts)) == len(texts)
    train_x, train_y, test_x, test_y = train_test_split(texts, labels, test_fraction=12 / 28)
    assert [train_y.count(c) for c in range(5)] == [16] * 5 and [test_y.count(c) for c in range(5)] == [12] * 5
    assert not set(train_x) & set(test_x)


def test_pretrained_beats_random_init(minilm_dir):
    texts, labels, names = docstring_topics(per_topic=28)
    train_x, train_y, test_x, test_y = train_test_split(texts, labels, test_fraction=12 / 28)
    tokenizer = BertTokenizer.from_pretrained(minilm_dir)
    mg.manual_seed(0)
    reports = {}
    for name, model in [('pretrained', BertForSequenceClassification.from_pretrained(minilm_dir, len(names))),
                        ('random', BertForSequenceClassification(BertConfig.from_pretrained(minilm_dir), len(names)))]:
        freeze_except_top(model, 1)
        assert not model.bert.encoder.layer[4].output.dense.weight.requires_grad
        losses = fine_tune(model, tokenizer, train_x, train_y, epochs=2, batch_size=16, lr=1e-3, max_length=48)
        assert not model.training and len(losses) == 2 * 5
        reports[name] = evaluate(model, tokenizer, test_x, test_y, max_length=48)
    print(reports)
    assert reports['pretrained']['accuracy'] >= 0.5                    # chance: 0.2
    assert reports['pretrained']['accuracy'] >= reports['random']['accuracy'] + 0.15
    assert reports['pretrained']['f1'] > reports['random']['f1']
