"""Exercise 27 — the cosine-similarity matrix of normalised embeddings, and top-k retrieval.

Follows chapter 12 (notebooks/12_pretrained_bert.ipynb, §3) and article 001 §5–6 (语义搜索).
Semantic search compares every query with every document at once. With the query embeddings
Q (A, H) and the document embeddings D (B, H) (sentence vectors, e.g. mean-pooled BERT outputs),

    normalise each ROW to unit length:   q̂_i = q_i / ‖q_i‖,   d̂_j = d_j / ‖d_j‖
    the cosine matrix:                   C = Q̂ D̂ᵀ            (A, B), C[i, j] = cos(q_i, d_j) ∈ [−1, 1]

``cosine_matrix`` returns C as a minigrad Tensor (``x.norm(dim=-1, keepdim=True)``, ``@``, ``.T``).
``retrieve(C, k)`` returns, for every query, the indices of its k most similar documents, best
first: an int64 array (A, k) (``C.topk(k, dim=-1)`` or an argsort). No model is loaded: the checker
passes random embeddings whose rows have very different lengths.

Check your work:  python -m minigrad check tutorials/27_similarity_matrix.py   (or run this file).
"""
import minigrad


def cosine_matrix(queries, docs):
    """The (A, B) cosine similarities of the rows of queries (A, H) and docs (B, H)."""
    raise NotImplementedError("exercise: divide each row by its norm, then queries @ docs.T")


def retrieve(similarity, k):
    """The indices (A, k) of each row's k largest similarities, best first."""
    raise NotImplementedError("exercise: the top k of each row, in descending order")


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
