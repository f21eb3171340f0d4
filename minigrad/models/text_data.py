"""Real English text that ships with every Python: sentences from the standard library's
docstrings, and a labelled topic-classification set built from them.

Why this source. A fine-tuning example needs labelled text that is (1) real prose written by
people, (2) available offline and in CI, (3) legitimately redistributable. scikit-learn ships no
text set offline (``fetch_20newsgroups`` downloads), nltk's corpora need ``nltk.download``, and
the articles are not in the repository. The docstrings of the standard library are on every
machine that runs minigrad, under the Python Software Foundation License, and they carry a label
nobody has to invent: the module that documents a sentence says what it is about. A sentence of
``shutil`` is about files, one of ``statistics`` about numbers, one of ``smtplib`` about the
network. ``docstring_topics`` groups modules into ``TOPICS`` and returns (sentence, topic) pairs.

The text depends on the Python version (docstrings change between releases), not on the run:
the same interpreter always gives the same sentences in the same order.
"""
import importlib
import inspect
import random
import re
import warnings

# topic -> the modules whose docstrings speak about it
TOPICS = {
    'files': ('pathlib', 'shutil', 'os.path', 'tempfile', 'glob', 'fnmatch', 'filecmp', 'zipfile', 'tarfile', 'io'),
    'numbers': ('math', 'statistics', 'random', 'fractions', 'decimal', 'cmath', 'numbers'),
    'text': ('string', 'textwrap', 'difflib', 're', 'unicodedata', 'html', 'codecs'),
    'time': ('datetime', 'calendar', 'time', 'zoneinfo', 'sched'),
    'network': ('socket', 'urllib.parse', 'urllib.request', 'http.client', 'http.server', 'smtplib',
                'ipaddress', 'email.message', 'ftplib'),
}

# a sentence ends at . ! or ? followed by space and a capital letter
_SENTENCE_END = re.compile(r'(?<=[.!?])\s+(?=[A-Z])')


def _docstrings(name):
    """The docstrings of module ``name``, its public classes and functions defined there, and the
    public methods of those classes, in a fixed (alphabetical) order."""
    module = importlib.import_module(name)
    home = name.split('.')[0]
    objects = [module]
    # reading a deprecated alias (typing.re, typing.io) warns; we only want its docstring
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        for attr in sorted(dir(module)):
            obj = getattr(module, attr)
            if attr.startswith('_') or not (inspect.isclass(obj) or inspect.isroutine(obj)):
                continue
            # defined in this module (or its C half, ``_socket`` for ``socket``), not imported from elsewhere
            if (getattr(obj, '__module__', None) or '').split('.')[0].lstrip('_') not in (home, 'posixpath'):
                continue
            objects.append(obj)
            if inspect.isclass(obj):
                objects += [getattr(obj, m) for m in sorted(vars(obj))
                            if not m.startswith('_') and inspect.isroutine(getattr(obj, m, None))]
        return [doc for doc in map(inspect.getdoc, objects) if doc]


def _sentences(doc, min_words=6, max_words=40):
    """The prose sentences of a docstring, in order: paragraphs with ``>>>`` examples skipped,
    whitespace collapsed, and only sentences of ``min_words``..``max_words`` words that end with
    . ! or ? and are mostly letters (not code, tables or signatures)."""
    out = []
    for paragraph in re.split(r'\n\s*\n', doc):
        if '>>>' in paragraph:
            continue
        for s in _SENTENCE_END.split(' '.join(paragraph.split())):
            if (min_words <= len(s.split()) <= max_words and s[-1] in '.!?'
                    and sum(c.isalpha() or c == ' ' for c in s) > 0.85 * len(s)):
                out.append(s)
    return out


def docstring_documents(modules):
    """One document per docstring of ``modules`` (names): the list of its sentences, in order,
    with sentences seen before (re-exported objects, repeated phrases) dropped."""
    seen, documents = set(), []
    for name in modules:
        for doc in _docstrings(name):
            sentences = [s for s in _sentences(doc) if not (s in seen or seen.add(s))]
            if sentences:
                documents.append(sentences)
    return documents


def docstring_sentences(modules):
    """Every sentence of ``docstring_documents(modules)``, in one list."""
    return [s for document in docstring_documents(modules) for s in document]


def docstring_topics(per_topic=160, seed=0):
    """``(texts, labels, names)``: up to ``per_topic`` sentences for each topic of ``TOPICS``
    (drawn with ``seed``, so the classes are balanced), their topic indices, and the topic names.
    A sentence that two topics share is dropped from both."""
    names = list(TOPICS)
    pools = [docstring_sentences(TOPICS[t]) for t in names]
    shared = {s for i, a in enumerate(pools) for b in pools[i + 1:] for s in set(a) & set(b)}
    rng = random.Random(seed)
    texts, labels = [], []
    for label, pool in enumerate(pools):
        pool = [s for s in pool if s not in shared]
        for s in rng.sample(pool, min(per_topic, len(pool))):
            texts.append(s)
            labels.append(label)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order], names


def train_test_split(texts, labels, test_fraction=0.4):
    """The first ``1 - test_fraction`` of each class for training, the rest for testing (the
    inputs are already shuffled by ``docstring_topics``): ``(train_texts, train_labels,
    test_texts, test_labels)``, each class in the same proportion on both sides."""
    by_class = {}
    for i, y in enumerate(labels):
        by_class.setdefault(y, []).append(i)
    train, test = [], []
    for idx in by_class.values():
        cut = round(len(idx) * (1 - test_fraction))
        train += idx[:cut]
        test += idx[cut:]
    train.sort()
    test.sort()
    return ([texts[i] for i in train], [labels[i] for i in train],
            [texts[i] for i in test], [labels[i] for i in test])
