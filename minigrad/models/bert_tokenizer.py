"""``BertTokenizer``: text to the token ids BERT reads, exactly as Hugging Face's tokenizer does.

Two stages turn a string into tokens:

1. The *basic* tokenizer cuts text into words:
   - clean: drop NUL, U+FFFD and control characters; every whitespace character becomes a space;
   - put spaces around each CJK ideograph, so each Chinese character is a word of its own
     (Chinese is written without spaces, and BERT's vocabulary has single characters);
   - NFC-normalise (one code point for "é", whether typed as one or two), split on whitespace;
   - lower-case and strip accents: NFD splits "é" into "e" + a combining accent (category Mn),
     which is dropped;
   - split off every punctuation character as a word of its own ("don't" -> "don", "'", "t").
2. *WordPiece* cuts each word into vocabulary pieces, greedily, longest match first:
   "unaffable" -> "un", "##aff", "##able" ("##" marks a piece that continues a word). A word
   with a part no piece matches, or longer than 100 characters, becomes the one token [UNK].

The special tokens ([CLS], [SEP], [PAD], [UNK], [MASK]) are matched in the raw text first and
never cut. A sequence is then ``[CLS] A [SEP]`` (token type 0), and a pair ``[CLS] A [SEP] B
[SEP]`` (B's tokens and its [SEP] are type 1). Batches are padded on the right with [PAD], and
``attention_mask`` is 1 on real tokens and 0 on padding, so the model can ignore the padding.
"""
import json
import os
import re
import unicodedata

import numpy

from ..creation import tensor
from .output import ModelOutput

# the CJK Unified Ideographs blocks (not Hangul, Hiragana or Katakana, which use spaces)
_CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
        (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _is_whitespace(ch):
    return ch in ' \t\n\r' or unicodedata.category(ch) == 'Zs'


def _is_control(ch):
    """Categories Cc, Cf, Co, Cs, Cn; tab, newline and carriage return count as whitespace instead."""
    return ch not in '\t\n\r' and unicodedata.category(ch).startswith('C')


def _is_punctuation(ch):
    """Unicode punctuation (P*), and every ASCII character that is not a letter, digit or space
    ("$", "^", "`" are symbols to Unicode but punctuation to BERT)."""
    cp = ord(ch)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 \
        or unicodedata.category(ch).startswith('P')


def _is_cjk(ch):
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK)


def _split_punctuation(word):
    """'hello,world!' -> ['hello', ',', 'world', '!']"""
    pieces, current = [], ''
    for ch in word:
        if _is_punctuation(ch):
            pieces += [current, ch] if current else [ch]
            current = ''
        else:
            current += ch
    return pieces + [current] if current else pieces


class BatchEncoding(ModelOutput):
    """The tokenizer's output: ``input_ids``, ``token_type_ids``, ``attention_mask`` (keys and attributes)."""


class BertTokenizer:
    """``BertTokenizer(vocab, do_lower_case=True, strip_accents=None, tokenize_chinese_chars=True,
    model_max_length=512)``; ``vocab`` is the list of tokens (a token's id is its position).

    ``strip_accents=None`` strips them exactly when lower-casing, as Hugging Face does.
    """

    def __init__(self, vocab, do_lower_case=True, strip_accents=None, tokenize_chinese_chars=True,
                 model_max_length=512, unk_token='[UNK]', sep_token='[SEP]', pad_token='[PAD]',
                 cls_token='[CLS]', mask_token='[MASK]', max_input_chars_per_word=100):
        self.vocab = {token: i for i, token in enumerate(vocab)}
        self.ids_to_tokens = list(vocab)
        self.do_lower_case, self.strip_accents = do_lower_case, strip_accents
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.model_max_length, self.max_input_chars_per_word = model_max_length, max_input_chars_per_word
        self.unk_token, self.sep_token, self.pad_token = unk_token, sep_token, pad_token
        self.cls_token, self.mask_token = cls_token, mask_token
        self.all_special_tokens = [unk_token, sep_token, pad_token, cls_token, mask_token]
        missing = [t for t in self.all_special_tokens if t not in self.vocab]
        if missing:
            raise ValueError(f"BertTokenizer: the special tokens {missing} are not in the vocabulary")
        # one regex finds the special tokens in raw text; the capturing group keeps them in split()
        self._special = re.compile('(' + '|'.join(map(re.escape, sorted(self.all_special_tokens, key=len,
                                                                       reverse=True))) + ')')

    @classmethod
    def from_pretrained(cls, directory):
        """Read ``vocab.txt`` (one token per line) and, when present, the settings in
        ``tokenizer_config.json`` (lower-casing, accents, Chinese characters, maximum length)."""
        with open(os.path.join(directory, 'vocab.txt'), encoding='utf-8') as f:
            vocab = f.read().split('\n')
        if vocab and vocab[-1] == '':
            vocab.pop()               # the newline after the last token
        settings = {}
        config = os.path.join(directory, 'tokenizer_config.json')
        if os.path.exists(config):
            with open(config, encoding='utf-8') as f:
                settings = json.load(f)
        names = ('do_lower_case', 'strip_accents', 'tokenize_chinese_chars', 'model_max_length', 'unk_token',
                 'sep_token', 'pad_token', 'cls_token', 'mask_token')
        return cls(vocab, **{k: settings[k] for k in names if settings.get(k) is not None})

    @property
    def vocab_size(self):
        return len(self.ids_to_tokens)

    def __len__(self):
        return self.vocab_size

    # ----- text -> tokens -> ids -----
    def tokenize(self, text):
        """The WordPiece tokens of ``text`` (without [CLS] and [SEP])."""
        tokens = []
        for part in self._special.split(text):
            if part in self.all_special_tokens:
                tokens.append(part)
            else:
                for word in self.basic_tokenize(part):
                    tokens += self._wordpiece(word)
        return tokens

    def basic_tokenize(self, text):
        """The words of ``text`` before WordPiece (stage 1 of the module docstring: clean, CJK, NFC,
        whitespace, lower-case and accents, punctuation); what a new vocabulary is counted from."""
        chars = []
        for ch in text:
            if ch in '\0\ufffd' or _is_control(ch):
                continue
            if _is_whitespace(ch):
                chars.append(' ')
            elif self.tokenize_chinese_chars and _is_cjk(ch):
                chars.append(f' {ch} ')
            else:
                chars.append(ch)
        words = []
        for word in unicodedata.normalize('NFC', ''.join(chars)).split():
            if self.do_lower_case:
                word = word.lower()
            if self.strip_accents or (self.strip_accents is None and self.do_lower_case):
                word = ''.join(c for c in unicodedata.normalize('NFD', word) if unicodedata.category(c) != 'Mn')
            words += _split_punctuation(word)
        return words

    def _wordpiece(self, word):
        """Stage 2: greedy longest-match-first pieces of one word, or [UNK]."""
        if len(word) > self.max_input_chars_per_word:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else '##' + word[start:end]
                if piece in self.vocab:
                    break
            else:
                return [self.unk_token]       # no piece matches here: the whole word is unknown
            pieces.append(piece)
            start = end
        return pieces

    def convert_tokens_to_ids(self, tokens):
        """The id of a token (or a list of ids for a list); tokens outside the vocabulary get [UNK]'s id."""
        if isinstance(tokens, str):
            return self.vocab.get(tokens, self.vocab[self.unk_token])
        return [self.convert_tokens_to_ids(t) for t in tokens]

    def convert_ids_to_tokens(self, ids):
        if isinstance(ids, int):
            return self.ids_to_tokens[ids]
        return [self.ids_to_tokens[int(i)] for i in ids]

    # ----- sequences -> model inputs -----
    def __call__(self, text, text_pair=None, padding=False, truncation=False, max_length=None,
                 return_tensors=None, add_special_tokens=True):
        """Encode one text or a list of texts (and their pairs) into a ``BatchEncoding``.

        ``padding``: False, True / 'longest' (to the longest in the batch) or 'max_length'.
        ``truncation=True`` cuts to ``max_length`` (default: ``model_max_length``) tokens,
        specials included; a pair is cut from its longer side first.
        ``return_tensors``: None (Python lists, as Hugging Face), 'np' (int64 arrays) or 'mg'
        (minigrad Tensors); these two always have a batch axis and need equal lengths (pad).
        """
        batched = isinstance(text, (list, tuple))
        texts = list(text) if batched else [text]
        pairs = [None] * len(texts) if text_pair is None else (list(text_pair) if batched else [text_pair])
        if len(pairs) != len(texts):
            raise ValueError(f"BertTokenizer: {len(texts)} texts but {len(pairs)} text pairs")
        if padding not in (False, True, 'longest', 'max_length', 'do_not_pad'):
            raise ValueError(f"BertTokenizer: padding must be False, True, 'longest' or 'max_length', got {padding!r}")
        if return_tensors not in (None, 'np', 'mg'):
            raise ValueError(f"BertTokenizer: return_tensors must be None, 'np' or 'mg', got {return_tensors!r}")
        if max_length is None and (truncation or padding == 'max_length'):
            max_length = self.model_max_length
        rows = [self._encode_one(a, b, max_length if truncation else None, add_special_tokens)
                for a, b in zip(texts, pairs)]
        width = (max(len(ids) for ids, _ in rows) if padding in (True, 'longest')
                 else max_length if padding == 'max_length' else 0)

        def pad(seq, value):
            return seq + [value] * (width - len(seq))

        enc = BatchEncoding(input_ids=[pad(ids, self.vocab[self.pad_token]) for ids, _ in rows],
                            token_type_ids=[pad(types, 0) for _, types in rows],
                            attention_mask=[pad([1] * len(ids), 0) for ids, _ in rows])
        if return_tensors is None:
            return enc if batched else BatchEncoding({k: v[0] for k, v in enc.items()})
        if len({len(ids) for ids in enc['input_ids']}) > 1:
            raise ValueError("BertTokenizer: the sequences have different lengths and cannot be stacked "
                             "into one array; pass padding=True")
        make = (lambda v: numpy.array(v, dtype=numpy.int64)) if return_tensors == 'np' else tensor
        return BatchEncoding({k: make(v) for k, v in enc.items()})

    def _encode_one(self, text, pair, max_length, add_special_tokens):
        """``(input_ids, token_type_ids)`` of one text or pair, truncated to ``max_length`` unless None."""
        a = self.convert_tokens_to_ids(self.tokenize(text))
        b = None if pair is None else self.convert_tokens_to_ids(self.tokenize(pair))
        if max_length is not None:
            budget = max_length - ((2 if b is None else 3) if add_special_tokens else 0)
            if budget < 0:
                raise ValueError(f"BertTokenizer: max_length={max_length} leaves no room for the special tokens")
            if b is None:
                a = a[:budget]
            elif len(a) + len(b) > budget:
                # 'longest_first', as Hugging Face's tokenizers: the shorter side keeps at most half
                # the budget (rounded down; on a tie the first side counts as the shorter), the
                # longer side the rest
                short = min(len(a), len(b), budget // 2)
                a, b = (a[:short], b[:budget - short]) if len(a) <= len(b) else (a[:budget - short], b[:short])
        cls, sep = ([self.vocab[self.cls_token]], [self.vocab[self.sep_token]]) if add_special_tokens else ([], [])
        ids, types = cls + a + sep, [0] * len(cls + a + sep)
        if b is not None:
            ids, types = ids + b + sep, types + [1] * len(b + sep)
        return ids, types

    # ----- ids -> text -----
    def decode(self, ids, skip_special_tokens=False, clean_up_tokenization_spaces=True):
        """Text from ids: tokens joined by spaces, each "##" piece glued to the one before.

        Lower-casing and stripped accents cannot be undone. ``clean_up_tokenization_spaces``
        drops the space before . ? ! and , (Hugging Face cleans token by token, so "don ' t"
        keeps its spaces; we give the same text).
        """
        if hasattr(ids, 'tolist'):
            ids = ids.tolist()
        tokens = self.convert_ids_to_tokens(ids)
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in self.all_special_tokens]
        text = ''
        for i, t in enumerate(tokens):
            if t.startswith('##'):
                text += t[2:]
            elif i == 0 or (clean_up_tokenization_spaces and t in ('.', '?', '!', ',')):
                text += t
            else:
                text += ' ' + t
        return text

    def __repr__(self):
        return (f"BertTokenizer(vocab_size={self.vocab_size}, do_lower_case={self.do_lower_case}, "
                f"model_max_length={self.model_max_length})")
