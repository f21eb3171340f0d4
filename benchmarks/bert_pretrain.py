"""Pretrain a tiny BERT from scratch with masked LM and next-sentence prediction.

Corpus: the docstrings of the standard-library modules that ``gpt.py`` learns from
(``STDLIB_MODULES``), one document per docstring; every fifth document is held out. The
vocabulary (WordPiece: whole words plus single characters) is built from the training documents.
The script prints, on the held-out pairs, the masked-token accuracy next to the baseline that
always answers the training text's most frequent token, and the next-sentence accuracy (chance:
about 0.5).

    python benchmarks/bert_pretrain.py                          # 1000 steps
    python benchmarks/bert_pretrain.py --steps 3000 --hidden 128 --batch-size 32

Dropout is off: a model this small trained this briefly underfits, it does not overfit.
"""
import argparse
import os
import sys
import time


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=1000)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--hidden', type=int, default=64)
    p.add_argument('--layers', type=int, default=2)
    p.add_argument('--vocab', type=int, default=1000)
    p.add_argument('--threads', type=int, default=1)
    return p.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = str(args.threads)        # before NumPy loads its BLAS
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import numpy as np
    import minigrad as mg
    from minigrad.models import BertConfig, BertTokenizer
    from minigrad.models.bert_pretraining import (BertForPreTraining, PairData, build_vocab, evaluate_pretraining,
                                                  nsp_pairs, pretrain)
    from minigrad.models.gpt import STDLIB_MODULES
    from minigrad.models.text_data import docstring_documents

    documents = docstring_documents(STDLIB_MODULES)
    held, train = documents[::5], [d for i, d in enumerate(documents) if i % 5]
    tokenizer = BertTokenizer(build_vocab([s for d in train for s in d], size=args.vocab))
    train_data, held_data = PairData(tokenizer, nsp_pairs(train)), PairData(tokenizer, nsp_pairs(held, seed=1))
    print(f"{len(train_data)} training pairs, {len(held_data)} held-out pairs, vocabulary {tokenizer.vocab_size}")
    mg.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
                        num_attention_heads=max(1, args.hidden // 32), intermediate_size=4 * args.hidden,
                        max_position_embeddings=64, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = BertForPreTraining(config)
    start = time.perf_counter()
    losses = pretrain(model, train_data, steps=args.steps, batch_size=args.batch_size, lr=args.lr)
    result = evaluate_pretraining(model, held_data, train_data.most_frequent_token())
    print(f"{args.steps} steps in {time.perf_counter() - start:.0f} s, loss {np.mean(losses[:50]):.2f} -> "
          f"{np.mean(losses[-50:]):.2f}")
    print(f"masked-token accuracy {result['mlm_accuracy']:.3f} (always the most frequent token: "
          f"{result['mlm_baseline']:.3f});  next-sentence accuracy {result['nsp_accuracy']:.3f}")


if __name__ == '__main__':
    main()
