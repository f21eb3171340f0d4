"""The decoder-only GPT, the character tokenizer and the standard-library corpus.

- GPT against the same architecture assembled from PyTorch's layers (weights copied): logits,
  loss and every gradient; the tied head shares the embedding (and PyTorch's state_dict keys);
- causality: a logit never depends on a later token; sinusoidal positions; sampling;
- the tokenizer round-trips, the corpus is deterministic; bad-input errors.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.models import GPT, CharTokenizer, stdlib_text

VOCAB, BLOCK, LAYERS, HEADS, EMBD = 11, 8, 2, 2, 8


def to_numpy(t):
    return t.detach().numpy()


def assert_close(actual, expected, atol, msg=''):
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), rtol=1e-5, atol=atol, err_msg=msg)


def _torch_gpt(torch):
    """GPT as PyTorch's layers would build it, with GPT's attribute names."""
    class TorchGPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb = torch.nn.Embedding(VOCAB, EMBD)
            self.pos_emb = torch.nn.Embedding(BLOCK, EMBD)
            layer = torch.nn.TransformerEncoderLayer(EMBD, HEADS, 4 * EMBD, 0.0, 'gelu', batch_first=True,
                                                     norm_first=True)
            self.blocks = torch.nn.TransformerEncoder(layer, LAYERS, norm=torch.nn.LayerNorm(EMBD),
                                                      enable_nested_tensor=False)
            self.head = torch.nn.Linear(EMBD, VOCAB, bias=False)
            self.head.weight = self.tok_emb.weight

        def forward(self, idx):
            T = idx.shape[1]
            mask = torch.nn.Transformer.generate_square_subsequent_mask(T)
            return self.head(self.blocks(self.tok_emb(idx) + self.pos_emb(torch.arange(T)), mask=mask, is_causal=True))
    return TorchGPT()


def test_gpt_matches_the_same_model_built_from_torch_layers():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = _torch_gpt(torch)
    ours = GPT(VOCAB, BLOCK, n_layer=LAYERS, n_head=HEADS, n_embd=EMBD)
    assert list(ours.state_dict()) == list(ref.state_dict())            # head.weight included, as PyTorch
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    rng = np.random.default_rng(0)
    idx, targets = rng.integers(0, VOCAB, (3, BLOCK)), rng.integers(0, VOCAB, (3, BLOCK))
    logits, loss = ours(mg.tensor(idx), mg.tensor(targets))
    logits_t = ref(torch.tensor(idx))
    loss_t = torch.nn.functional.cross_entropy(logits_t.reshape(-1, VOCAB), torch.tensor(targets).reshape(-1))
    assert_close(logits, logits_t, atol=1e-5)
    assert_close(loss, loss_t, atol=1e-6)
    loss.backward()
    loss_t.backward()
    ref_params = dict(ref.named_parameters())
    names = [n for n, _ in ours.named_parameters()]
    assert names == list(ref_params)                                   # the tied weight counted once
    for name, p in ours.named_parameters():
        assert_close(p.grad, ref_params[name].grad, atol=1e-6, msg=name)


def test_gpt_init_and_weight_tying():
    mg.manual_seed(0)
    tied = GPT(VOCAB, BLOCK, n_layer=1, n_head=HEADS, n_embd=32)
    untied = GPT(VOCAB, BLOCK, n_layer=1, n_head=HEADS, n_embd=32, tie_weights=False)
    assert tied.head.weight is tied.tok_emb.weight
    assert untied.head.weight is not untied.tok_emb.weight
    assert untied.num_parameters() - tied.num_parameters() == VOCAB * 32
    w = to_numpy(untied.blocks.layers[0].linear1.weight)
    assert abs(w.std() - 0.02) < 0.002 and abs(w.mean()) < 0.002
    np.testing.assert_array_equal(to_numpy(untied.blocks.layers[0].linear1.bias), 0.0)


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
def test_gpt_is_causal(positions):
    mg.manual_seed(0)
    model = GPT(VOCAB, BLOCK, n_layer=LAYERS, n_head=HEADS, n_embd=EMBD, positions=positions)
    idx = np.random.default_rng(1).integers(0, VOCAB, (2, BLOCK))
    changed = idx.copy()
    changed[:, 5] = (changed[:, 5] + 1) % VOCAB                           # alter token 5 only
    a, b = (to_numpy(model(mg.tensor(i))[0]) for i in (idx, changed))
    np.testing.assert_array_equal(a[:, :5], b[:, :5])                   # positions 0..4 never saw it
    assert not np.allclose(a[:, 5:], b[:, 5:])
    assert model(mg.tensor(idx))[1] is None


def test_gpt_loss_is_the_mean_cross_entropy():
    model = GPT(VOCAB, BLOCK, n_layer=1, n_head=HEADS, n_embd=EMBD)
    rng = np.random.default_rng(2)
    idx, targets = mg.tensor(rng.integers(0, VOCAB, (2, 5))), mg.tensor(rng.integers(0, VOCAB, (2, 5)))
    logits, loss = model(idx, targets)
    expected = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_gpt_generate():
    mg.manual_seed(0)
    model = GPT(VOCAB, BLOCK, n_layer=1, n_head=HEADS, n_embd=EMBD)
    prompt = mg.tensor([[1, 2, 3]])
    out = model.generate(prompt, 10)                                    # longer than block_size: crops
    assert tuple(out.shape) == (1, 13) and out[:, :3].tolist() == [[1, 2, 3]]
    assert all(0 <= t < VOCAB for t in out.tolist()[0])
    greedy = model.generate(prompt, 1, top_k=1)
    assert greedy[0, -1].item() == model(prompt)[0][0, -1].argmax().item()
    mg.manual_seed(5)
    a = model.generate(prompt, 6, temperature=0.7, top_k=3).tolist()
    mg.manual_seed(5)
    assert model.generate(prompt, 6, temperature=0.7, top_k=3).tolist() == a


def test_char_tokenizer_round_trip():
    tok = CharTokenizer("hello world")
    assert tok.vocab_size == 8 and tok.chars == sorted(set("hello world"))
    ids = tok.encode("low")
    assert ids == [tok.stoi[c] for c in "low"] and tok.decode(ids) == "low"
    assert tok.decode(mg.tensor(ids)) == "low"
    with pytest.raises(ValueError, match=r"CharTokenizer.encode: characters not in the vocabulary: \['x', 'z'\]"):
        tok.encode("zox")


def test_stdlib_text_is_a_deterministic_offline_corpus():
    text = stdlib_text()
    assert len(text) > 50_000 and text == stdlib_text()
    assert "Text wrapping and filling" in text                          # textwrap's docstring opens it
    assert stdlib_text(("json",)).startswith("JSON (JavaScript Object Notation)")


@pytest.mark.parametrize("call,match", [
    (lambda m: m(mg.tensor([[1] * (BLOCK + 1)])), r"GPT: sequence length 9 is longer than block_size 8"),
    (lambda m: m(mg.tensor([1, 2, 3])), r"GPT: expected token ids of shape \(batch, seq\), got \(3,\)"),
    (lambda m: m.generate(mg.tensor([[1]]), 2, temperature=0.0), r"GPT.generate: temperature must be > 0"),
    (lambda m: GPT(VOCAB, BLOCK, positions='rotary'), r"GPT: positions should be 'learned' or 'sinusoidal', not 'rotary'"),
])
def test_gpt_errors(call, match):
    model = GPT(VOCAB, BLOCK, n_layer=1, n_head=HEADS, n_embd=EMBD)
    with pytest.raises(ValueError, match=match):
        call(model)
