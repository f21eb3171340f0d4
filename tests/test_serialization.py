"""minigrad.save / minigrad.load: round trips, no pickle, one clear error for bad or hostile files, atomic
writes that otherwise behave like ordinary ones (file modes, symlinks, temporary files, fsync)."""
import io
import json
import os
import re
import stat
import zipfile

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad import serialization


def nested(device):
    return {
        'weights': minigrad.randn(3, 4, device=device),
        'leaf': minigrad.tensor([1.0, 2.0], requires_grad=True, device=device),
        'inner': {'ids': minigrad.tensor([[1, 2], [3, 4]], device=device), 'flags': minigrad.tensor([True, False])},
        'numbers': [1, 2.5, -0.0, float('inf'), True, None, 'text'],
        'pair': (0.9, 0.999),
        'array': np.arange(6, dtype=np.int16).reshape(2, 3),
        0: 'integer keys stay integers',
        'empty': {},
    }


def test_nested_round_trip(tmp_path, device):
    obj = nested(device)
    minigrad.save(obj, tmp_path / 'ck.npz')
    back = minigrad.load(tmp_path / 'ck.npz')
    assert list(back) == list(obj)
    for key in ('weights', 'leaf'):
        assert isinstance(back[key], minigrad.Tensor) and back[key].device == 'cpu'
        assert back[key].dtype == obj[key].dtype
        np.testing.assert_array_equal(back[key].detach().numpy(), obj[key].detach().numpy())
    assert back['leaf'].requires_grad and back['leaf'].is_leaf and not back['weights'].requires_grad
    assert back['inner']['ids'].dtype == minigrad.int64 and back['inner']['flags'].dtype == minigrad.bool
    assert back['inner']['ids'].tolist() == [[1, 2], [3, 4]]
    assert back['numbers'] == obj['numbers'] and isinstance(back['numbers'][0], int)
    assert back['pair'] == (0.9, 0.999) and isinstance(back['pair'], tuple)
    assert back['array'].dtype == np.int16 and (back['array'] == obj['array']).all()
    assert back[0] == obj[0] and back['empty'] == {}


def test_map_location(tmp_path, device):
    minigrad.save({'w': minigrad.ones(2, device=device)}, tmp_path / 'ck.npz')
    if minigrad.cuda.is_available():
        assert minigrad.load(tmp_path / 'ck.npz', map_location='cuda')['w'].device == 'cuda'
    else:
        with pytest.raises(RuntimeError, match='CuPy'):
            minigrad.load(tmp_path / 'ck.npz', map_location='cuda')
    assert minigrad.load(tmp_path / 'ck.npz', map_location='cpu')['w'].device == 'cpu'


def test_model_state_dict_round_trip_gives_identical_outputs(tmp_path, device):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to(device)
    minigrad.save({'model': model.state_dict(), 'epoch': 3}, tmp_path / 'model.npz')
    minigrad.manual_seed(1)
    fresh = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    ck = minigrad.load(tmp_path / 'model.npz')
    fresh.load_state_dict(ck['model'])
    assert ck['epoch'] == 3
    x = minigrad.randn(5, 4)
    with minigrad.no_grad():
        np.testing.assert_array_equal(fresh(x).numpy(), model(x.to(device)).cpu().numpy())


def test_file_is_a_plain_npz_without_pickle(tmp_path):
    minigrad.save(nested('cpu'), tmp_path / 'ck.npz')
    with np.load(tmp_path / 'ck.npz', allow_pickle=False) as npz:
        assert '__minigrad__' in npz.files
        assert all(npz[name].dtype != object for name in npz.files)


def test_path_is_used_as_given(tmp_path):
    minigrad.save({'x': 1}, tmp_path / 'checkpoint.bin')
    assert os.listdir(tmp_path) == ['checkpoint.bin']
    assert minigrad.load(str(tmp_path / 'checkpoint.bin')) == {'x': 1}


def write_checkpoint_then(tmp_path, damage):
    path = tmp_path / 'ck.npz'
    minigrad.save(nested('cpu'), path)
    damage(path)
    return path


@pytest.mark.parametrize('damage', [
    lambda p: p.write_bytes(p.read_bytes()[:len(p.read_bytes()) // 2]),
    lambda p: p.write_bytes(p.read_bytes()[:-30]),
    lambda p: p.write_bytes(np.random.default_rng(0).bytes(1000)),
    lambda p: p.write_bytes(b''),
    lambda p: np.savez(p, weights=np.ones(3)),
    lambda p: p.write_bytes(npy(np.ones(3))),
], ids=['truncated-half', 'truncated-tail', 'random-bytes', 'empty', 'plain-npz', 'npy'])
def test_not_a_checkpoint_raises_naming_the_path(tmp_path, damage):
    path = write_checkpoint_then(tmp_path, damage)
    with pytest.raises(ValueError, match='not a readable minigrad checkpoint') as info:
        minigrad.load(path)
    assert str(path) in str(info.value)


def test_other_format_version_is_refused(tmp_path):
    path = tmp_path / 'ck.npz'
    header = b'{"format": "minigrad-checkpoint", "version": 99, "tree": {"t": "value", "v": 1}}'
    np.savez(path, __minigrad__=np.frombuffer(header, dtype=np.uint8))
    with pytest.raises(ValueError, match='version 99'):
        minigrad.load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        minigrad.load(tmp_path / 'nope.npz')


@pytest.mark.parametrize('obj, match', [
    ({'s': {1, 2}}, r"obj\['s'\] is a set"),
    ({1.5: 'x'}, 'keys must be strings or integers'),
    ({'a': [np.array(['x'], dtype=object)]}, r"obj\['a'\]\[0\] is an array of dtype object"),
])
def test_unsupported_values_raise_and_write_nothing(tmp_path, obj, match):
    with pytest.raises(TypeError, match=match):
        minigrad.save(obj, tmp_path / 'ck.npz')
    assert os.listdir(tmp_path) == []


def test_crash_mid_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / 'ck.npz'
    minigrad.save({'epoch': 1, 'w': minigrad.ones(3)}, path)
    before = path.read_bytes()

    def crash_halfway(f, arrays):
        f.write(b'PK\x03\x04 half a zip')
        [tmp] = [name for name in os.listdir(tmp_path) if name != 'ck.npz']
        assert re.fullmatch(r'\.ck\.npz\.minigrad-tmp-[0-9a-f]{16}', tmp)    # hidden, and named after its target
        raise KeyboardInterrupt('power cut')

    monkeypatch.setattr(serialization, '_write_arrays', crash_halfway)
    with pytest.raises(KeyboardInterrupt):
        minigrad.save({'epoch': 2, 'w': minigrad.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['ck.npz']          # the temporary file was removed
    assert minigrad.load(path)['epoch'] == 1
    assert zipfile.is_zipfile(path)


# ----- how save writes: file modes, symlinks, temporary files, fsync -----

def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test (``umask(0o077)``), restored afterwards."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize('mask, mode', [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)],
                         ids=['umask022', 'umask077', 'umask002'])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path, umask, mask, mode):
    umask(mask)
    minigrad.save({'x': 1}, tmp_path / 'ck.npz')
    assert mode_of(tmp_path / 'ck.npz') == mode          # as open(path, 'w'), torch.save and numpy.save do


@pytest.mark.parametrize('mode', [0o644, 0o640, 0o600, 0o664], ids=oct)
def test_overwriting_keeps_the_files_mode(tmp_path, umask, mode):
    umask(0o077)                                          # would clear the group and other bits of a new file
    path = tmp_path / 'ck.npz'
    minigrad.save({'x': 1}, path)
    os.chmod(path, mode)
    minigrad.save({'x': 2}, path)
    assert mode_of(path) == mode and minigrad.load(path) == {'x': 2}


@pytest.mark.parametrize('link_text', ['absolute', 'relative', 'chain', 'dangling'])
def test_saving_to_a_symlink_writes_through_to_its_target(tmp_path, link_text):
    real = tmp_path / 'runs' / 'ck.npz'
    real.parent.mkdir()
    if link_text != 'dangling':
        minigrad.save({'epoch': 1}, real)
    link = tmp_path / 'latest.npz'
    if link_text == 'chain':
        os.symlink(real, tmp_path / 'middle.npz')
        os.symlink('middle.npz', link)
    else:
        os.symlink(real if link_text != 'relative' else os.path.join('runs', 'ck.npz'), link)
    minigrad.save({'epoch': 2}, link)
    assert os.path.islink(link) and os.path.samefile(link, real)      # the link is still a link to the same file
    assert minigrad.load(real) == {'epoch': 2}
    assert os.listdir(real.parent) == ['ck.npz']                       # the temporary file lived next to the target


def test_stale_temporary_files_of_the_target_are_removed_on_the_next_save(tmp_path):
    left_by_a_killed_save = tmp_path / '.ck.npz.minigrad-tmp-0123456789abcdef'
    left_by_a_killed_save.write_bytes(b'x' * 100_000)
    others = ['.other.npz.minigrad-tmp-0123456789abcdef',   # another checkpoint's
              '.ck.npz.minigrad-tmp-notours',              # not a name save makes
              '.ck.npz.minigrad-tmp-0123456789abcdef0']
    for name in others:
        (tmp_path / name).write_bytes(b'keep')
    minigrad.save({'x': 1}, tmp_path / 'ck.npz')
    assert sorted(os.listdir(tmp_path)) == sorted(others + ['ck.npz'])


def test_the_directory_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    """Without the directory fsync, a power cut after the rename can bring back the old name."""
    events = []
    fsync, replace = os.fsync, os.replace
    monkeypatch.setattr(os, 'fsync', lambda fd: (events.append(
        'fsync dir' if stat.S_ISDIR(os.fstat(fd).st_mode) else 'fsync file'), fsync(fd)))
    monkeypatch.setattr(os, 'replace', lambda a, b: (events.append('rename'), replace(a, b)))
    minigrad.save({'x': 1}, tmp_path / 'ck.npz')
    assert events == ['fsync file', 'rename', 'fsync dir']


# ----- load on hostile or malformed files: one error type, naming the file and what is wrong -----

def npy(array):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, allow_pickle=True)
    return buf.getvalue()


def npy_header_only(shape, descr='<f8', data=b''):
    """The bytes of a ``.npy`` entry whose header claims ``shape`` but whose data is just ``data``."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {'descr': descr, 'fortran_order': False, 'shape': shape})
    return buf.getvalue() + data


def craft(path, tree, entries=None, compression=zipfile.ZIP_STORED, version=1):
    """A checkpoint made by hand: the header naming ``tree``, and raw ``.npy`` entries (name -> bytes)."""
    header = json.dumps({'format': 'minigrad-checkpoint', 'version': version, 'tree': tree}).encode()
    with zipfile.ZipFile(path, 'w', compression) as zf:
        zf.writestr('__minigrad__.npy', npy(np.frombuffer(header, np.uint8)))
        for name, data in (entries or {}).items():
            zf.writestr(name + '.npy', data)
    return path


def tensor_node(key='a0', requires_grad=False):
    return {'t': 'tensor', 'key': key, 'requires_grad': requires_grad}


def refused(path, *fragments):
    """Load ``path``, expecting a CheckpointError that names the file and each of ``fragments``."""
    with pytest.raises(serialization.CheckpointError, match='not a readable minigrad checkpoint') as info:
        minigrad.load(path)
    message = str(info.value)
    assert str(path) in message and all(f in message for f in fragments), message
    return message


def test_checkpoint_error_is_a_value_error():
    assert issubclass(serialization.CheckpointError, ValueError)


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / 'bomb.npz'
    craft(path, {'t': 'ndarray', 'key': 'a0'})
    with zipfile.ZipFile(path, 'a', zipfile.ZIP_DEFLATED) as zf, zf.open('a0.npy', 'w', force_zip64=True) as f:
        f.write(npy_header_only((80, 2**20), '|u1'))
        for _ in range(80):
            f.write(bytes(2**20))                    # 80 MiB of zeros deflate to about 80 KB
    assert os.path.getsize(path) < 2**20
    refused(path, 'bytes on disk', 'MAX_INFLATE_RATIO')


def test_a_small_compressed_checkpoint_still_loads(tmp_path):
    """The limit is generous: compression up to 64 MiB is never refused (and save does not compress)."""
    path = tmp_path / 'ck.npz'
    craft(path, {'t': 'ndarray', 'key': 'a0'}, {'a0': npy(np.zeros(2**20))}, zipfile.ZIP_DEFLATED)
    assert os.path.getsize(path) < 2**20 / 100
    assert (minigrad.load(path) == 0).all()


def test_entries_the_header_does_not_name_are_refused_unread(tmp_path):
    path = craft(tmp_path / 'ck.npz', {'t': 'value', 'v': 1}, {'extra': b'not even a .npy file'})
    refused(path, "extra.npy", 'does not name')


@pytest.mark.parametrize('tree, entries, fragment', [
    (tensor_node('a7'), {}, "'a7'"),
    ({'t': 'list', 'items': [tensor_node(), tensor_node()]}, {'a0': npy(np.ones(2))}, 'twice'),
    (tensor_node(), {'a0': npy_header_only((2**40,))}, '(1099511627776,)'),
    (tensor_node(), {'a0': npy_header_only((3,), data=bytes(8))}, 'need 152'),
    (tensor_node(), {'a0': npy(np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))}, 'dtype'),
    (tensor_node(), {'a0': npy(np.array([{}], dtype=object))}, 'dtype object'),
    ({'t': 'ndarray', 'key': 'a0'}, {'a0': npy(np.array(['text']))}, 'dtype <U4'),
    (tensor_node(requires_grad=True), {'a0': npy(np.arange(3))}, 'int64'),
], ids=['missing-entry', 'entry-named-twice', '2**40-elements', 'size-disagrees-with-shape', 'structured-dtype',
        'object-dtype', 'string-dtype', 'requires-grad-on-integers'])
def test_bad_entries_are_refused(tmp_path, tree, entries, fragment):
    refused(craft(tmp_path / 'ck.npz', tree, entries), fragment)


def nested_lists(depth):
    return json.loads('{"t": "list", "items": [' * depth + '{"t": "value", "v": 1}' + ']}' * depth)


@pytest.mark.parametrize('tree', [
    5, {}, {'t': 'nope'}, {'t': 'list'}, {'t': 'list', 'items': 5}, {'t': 'dict', 'items': [[1]]},
    {'t': 'dict', 'items': [[[1], {'t': 'value', 'v': 1}]]}, {'t': 'dict', 'items': [[1.5, {'t': 'value', 'v': 1}]]},
    {'t': 'dict', 'items': [[True, {'t': 'value', 'v': 1}]]}, {'t': 'value'}, {'t': 'value', 'v': [1, 2]},
    {'t': 'tensor', 'key': ['a0'], 'requires_grad': False}, {'t': 'tensor', 'key': 'a0'},
    {'t': 'tensor', 'key': 'a0', 'requires_grad': 'yes'}, {'t': 'ndarray', 'key': None}, nested_lists(150),
], ids=lambda tree: json.dumps(tree)[:40])
def test_malformed_headers_are_refused(tmp_path, tree):
    refused(craft(tmp_path / 'ck.npz', tree, {'a0': npy(np.ones(2))}), 'header')


def test_a_header_nested_too_deeply_for_python_is_refused(tmp_path):
    path = tmp_path / 'ck.npz'
    header = '{"format": "minigrad-checkpoint", "version": 1, "tree": ' + '[' * 100_000 + ']' * 100_000 + '}'
    np.savez(path, __minigrad__=np.frombuffer(header.encode(), np.uint8))
    refused(path, 'recursion')


def test_save_refuses_what_load_would_refuse(tmp_path):
    deep = 1
    for _ in range(150):
        deep = [deep]
    with pytest.raises(ValueError, match=r'minigrad.save: obj\[0\].*nests deeper than 100 levels'):
        minigrad.save(deep, tmp_path / 'ck.npz')
    assert os.listdir(tmp_path) == []


# ----- torch.load's keywords -----

class Device:
    """What torch.device looks like to load: a ``.type``, and a repr that is not a device name."""
    def __init__(self, type):
        self.type = type

    def __repr__(self):
        return f"device(type='{self.type}')"


def test_load_takes_torch_loads_keywords(tmp_path):
    minigrad.save({'w': minigrad.ones(2)}, tmp_path / 'ck.npz')
    for weights_only in (True, False):
        assert minigrad.load(tmp_path / 'ck.npz', weights_only=weights_only)['w'].tolist() == [1.0, 1.0]
    for where in ('cpu', Device('cpu'), None):
        assert minigrad.load(tmp_path / 'ck.npz', weights_only=True, map_location=where)['w'].device == 'cpu'
    if not minigrad.cuda.is_available():
        with pytest.raises(RuntimeError, match='CuPy'):
            minigrad.load(tmp_path / 'ck.npz', map_location=Device('cuda'))


def test_an_encrypted_entry_is_refused(tmp_path):
    path = craft(tmp_path / 'ck.npz', tensor_node(), {'a0': npy(np.ones(2))})
    data = bytearray(path.read_bytes())
    record = data.rindex(b'PK\x01\x02')            # a0's record in the zip's central directory
    data[record + 8] |= 1                         # its "encrypted" flag
    path.write_bytes(data)
    refused(path, "'a0.npy' is encrypted")
