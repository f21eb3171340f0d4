"""Exercise 20 — sentence embeddings: mean pooling and semantic search.

Follows chapter 12 (notebooks/12_pretrained_bert.ipynb, §2–3) and article 001 §5–6. A sentence
embedding is the mean of BERT's token vectors x_t (B, T, H) over the real tokens, m_t = 1 for a
token and 0 for padding (``attention_mask``):

    e = Σ_t m_t x_t / Σ_t m_t

Semantic search ranks documents d_i by their cosine similarity with the query q:

    cos(q, d_i) = q · d_i / (‖q‖ ‖d_i‖)

``mean_pool(hidden, attention_mask)`` returns (B, H); ``top_k_documents(query, docs, k)`` takes a
query (H,) and documents (n, H), not necessarily of unit length, and returns the indices of the k
most similar documents, best first (a list or an int64 Tensor).

Check your work:  python -m minigrad check tutorials/20_semantic_search.py   (or run this file).
"""


def mean_pool(hidden, attention_mask):
    """(B, T, H) token vectors and a (B, T) 0/1 mask -> (B, H) sentence vectors."""
    m = attention_mask.unsqueeze(-1).to(hidden.dtype)          # (B, T, 1): 1 for real tokens
    return (hidden * m).sum(1) / m.sum(1)


def top_k_documents(query, docs, k):
    """The indices of the k documents with the largest cosine similarity to ``query``, best first."""
    cos = (docs @ query) / (docs.norm(dim=-1) * query.norm())
    return [int(i) for i in (-cos).argsort()[:k].tolist()]


if __name__ == "__main__":
    import sys
    from minigrad.check import check
    sys.exit(0 if check(sys.modules[__name__]) else 1)
