"""PyTorch programs, run unchanged on minigrad, give PyTorch's losses step by step.

Each file in this folder is an ordinary PyTorch training program of the kind students meet (the
official tutorials, pytorch/examples, nanoGPT, makemore, d2l, The Annotated Transformer, and the
sample models of the articles the chapters follow). Its only concession is the import block: the
environment variable ``LIB`` makes it ``import torch`` or ``import minigrad as torch`` (and the
same for ``nn``, ``F``, ``optim``, ``utils.data``). Every program can be run by hand:

    LIB=minigrad python tests/programs/gpt_char.py

The test below runs each program twice in this process, first under PyTorch, then under minigrad,
and compares the list ``losses`` the program fills: every training step's loss, in order. For
the two runs to compute the same numbers they must start from the same point, so

- the weights are the same: the PyTorch run saves its initial ``state_dict`` as NumPy arrays and
  the minigrad run loads it (``twin.share_initial_weights``); the libraries' random number
  generators differ, so the same seed does not give the same weights;
- the data comes in the same order: batches are drawn with NumPy (or not shuffled), and anything
  random inside a step (dropout masks, a VAE's noise) is either switched off or drawn with NumPy.

Then the losses must agree to float32 rounding, ``rtol=1e-4``, at every step: one wrong gradient
anywhere makes the trajectories part within a few steps. Every program here runs on minigrad.
"""
import os
import runpy
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)          # the programs import their one helper, twin.py


PROGRAMS = [
    # in the styles of the tutorials, examples and lectures students learn from
    "polyfit_function",            # PyTorch tutorial: custom autograd.Function, manual updates
    "digits_cnn",                  # pytorch/examples MNIST: DataLoader, Adadelta, StepLR
    "gpt_char",                    # nanoGPT: weight tying, AdamW param groups, top-k sampling
    "makemore_bn",                 # makemore: Generator, hand-written BatchNorm, p.data updates
    "attention_d2l",               # d2l: masked_softmax (item assignment on a reshape), lazy layers
    "seq2seq_gru_attention",       # PyTorch tutorial: GRU encoder, Bahdanau attention decoder
    "vae",                         # pytorch/examples VAE: reparameterisation, BCE + KL
    "lstm_tagger",                 # PyTorch tutorial: LSTM part-of-speech tagger
    # the articles' sample models, corrected
    "article_transformer",         # 000: encoder layers with residuals and layer norm
    "article_sequence_classifier", # 001: a miniature BERT-style sequence classifier
    "article_text_lstm",           # 002: the Keras Embedding-LSTM-Dense classifier in PyTorch
    "article_cnn",                 # 004: CNN with fc1 sized for 32x32 inputs
    "article_lstm",                # 004: stacked LSTM classifier, as written
    "article_attention",           # 004: attention over padded encoder states
]
COMPARED = ("losses", "greedy")   # greedy: gpt_char's top_k=1 sample, the same text on both


def run(program, lib, weights, monkeypatch):
    """Run ``program`` on ``lib``; return the results it leaves that the test compares."""
    monkeypatch.setenv("LIB", lib)
    monkeypatch.setenv("WEIGHTS", str(weights))
    names = runpy.run_path(os.path.join(HERE, program + ".py"), run_name="__main__")
    return {name: names[name] for name in COMPARED if name in names}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """PyTorch on one thread: the programs are small, and the test machines are shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("program", PROGRAMS)
def test_program_gives_pytorchs_losses_step_by_step(program, tmp_path, monkeypatch):
    weights = tmp_path / "initial_weights.npz"
    expected = run(program, "torch", weights, monkeypatch)
    got = run(program, "minigrad", weights, monkeypatch)
    assert len(expected["losses"]) >= 20
    assert len(got["losses"]) == len(expected["losses"])
    np.testing.assert_allclose(got["losses"], expected["losses"], rtol=1e-4, atol=1e-6,
                               err_msg=f"{program}: minigrad's losses part from PyTorch's")
    assert got.get("greedy") == expected.get("greedy")
