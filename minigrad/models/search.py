"""Semantic search: find the sentences of a corpus that mean the closest thing to a query.

Keyword search matches letters; semantic search matches meaning. Every sentence is embedded
once by a ``SentenceEncoder`` (unit vectors, see ``bert.py``); a query is embedded the same
way, and the corpus is ranked by cosine similarity, which for unit vectors is the dot product:

    cos(q, c) = q · c / (‖q‖ ‖c‖) = q · c          (one matrix product scores every pair)

So "How do I cook pasta?" finds "Boil the spaghetti for ten minutes" although they share no
word. ``cos_sim(a, a)`` is the similarity heat map of a set of sentences: bright blocks on the
diagonal are groups of sentences about the same thing.

    index = SemanticIndex(SentenceEncoder.from_pretrained(model_dir), corpus)
    index.search("How do I cook pasta?", top_k=3)     # [(sentence, score), ...], best first
"""
import numpy as np

from ..tensor import Tensor


def _rows(x):
    if isinstance(x, Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float32)
    return x[None] if x.ndim == 1 else x


def cos_sim(a, b):
    """The (n, m) matrix of cosines between the rows of a (n, d) and b (m, d) (NumPy arrays or
    Tensors; a single vector counts as one row)."""
    a, b = _rows(a), _rows(b)
    a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-12)
    return a @ b.T


def semantic_search(query_embeddings, corpus_embeddings, top_k=10):
    """For each query, the ``top_k`` corpus rows of highest cosine, best first, as
    sentence-transformers' ``util.semantic_search`` returns them: a list per query of
    ``{'corpus_id': int, 'score': float}``."""
    scores = cos_sim(query_embeddings, corpus_embeddings)
    k = min(top_k, scores.shape[1])
    # argpartition finds the k best without sorting the whole corpus; then sort just those k
    best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    best = np.take_along_axis(best, np.argsort(-np.take_along_axis(scores, best, 1), axis=1, kind='stable'), 1)
    return [[{'corpus_id': int(i), 'score': float(row[i])} for i in ids] for row, ids in zip(scores, best)]


class SemanticIndex:
    """A corpus embedded once by ``encoder``; ``search(query, top_k=5)`` ranks it against a query.

    ``search`` takes one string (returns ``[(sentence, score), ...]``) or a list of strings
    (returns one such list per query)."""

    def __init__(self, encoder, corpus, batch_size=32):
        self.encoder, self.corpus = encoder, list(corpus)
        if not self.corpus:
            raise ValueError("SemanticIndex: the corpus is empty")
        self.embeddings = encoder.encode(self.corpus, batch_size=batch_size)

    def search(self, query, top_k=5):
        single = isinstance(query, str)
        hits = semantic_search(self.encoder.encode([query] if single else list(query)), self.embeddings, top_k)
        ranked = [[(self.corpus[h['corpus_id']], h['score']) for h in per_query] for per_query in hits]
        return ranked[0] if single else ranked
