"""``minigrad.save`` / ``minigrad.load``: checkpoints as NumPy ``.npz`` files, never pickle.

A checkpoint is a state dict: nested dicts, lists and tuples whose leaves are tensors, NumPy
arrays, numbers, strings, booleans or ``None``, e.g.
``{'model': model.state_dict(), 'optim': opt.state_dict(), 'epoch': 3}``.

Why not pickle (which is what ``torch.save`` uses)? Unpickling runs code named by the file, so
loading a checkpoint from someone else could run anything. An ``.npz`` file is a zip of plain
arrays, and we read it with ``allow_pickle=False``, so a file can only ever give back data.

Refusing pickle is not enough on its own: a file made by hand could still try to exhaust memory
or crash the reader. So ``load`` trusts nothing in the file and checks before it allocates: the
entries may not inflate far beyond the file's size (``MAX_INFLATE_RATIO``); each array's ``.npy``
header (shape and dtype) must agree with the entry's size, and its dtype hold numbers or
booleans; the header must name every entry exactly once (a file holding entries it does not
name is refused, without reading them); and the JSON tree is checked node by node, at most
``MAX_DEPTH`` deep. Whatever is wrong, ``load`` raises ``CheckpointError``, naming the file and
the problem.

Layout of the zip:
- ``__minigrad__``: the structure as JSON text (stored as a ``uint8`` array), with a format name
  and version. Each leaf is tagged with its kind, so tuples stay tuples and integer dict keys
  (an optimizer's state is keyed by parameter index) stay integers.
- ``a0``, ``a1``, ...: one array per tensor or array leaf; the JSON names the entry.

A save is atomic: the file is written under a temporary name in the same directory, flushed
to disk, then renamed over the target in one step (``os.replace``), so a crash mid-save leaves
the previous checkpoint intact rather than half overwritten. The details that make this behave
like an ordinary write:
- The temporary file is ``.<name>.minigrad-tmp-<16 hex digits>``: hidden, and named after its
  target, so that the next save of that target can find and delete what a killed save left
  behind (nothing else would, and it is as large as the checkpoint).
- A new file gets the mode ``open(path, 'w')`` would give (0o666 less the umask, usually 0o644);
  an overwritten file keeps its mode.
- Saving to a symlink writes to the file it points to, and the link stays a link.
- After the rename the directory is fsynced too: the rename is a change to the directory, and
  until that reaches the disk a power cut can bring back the old file.
Two processes saving to the same path at the same moment race, as with any file: the file is
always one complete checkpoint, but one save may fail (its temporary file deleted by the other).
"""
import contextlib
import json
import math
import os
import re
import secrets
import stat
import zipfile
import zlib

import numpy

from . import dtypes
from .backend import check_device, to_device
from .creation import as_tensor
from .tensor import Tensor

FORMAT = 'minigrad-checkpoint'
VERSION = 1
_HEADER = '__minigrad__'

# A checkpoint nests dicts, lists and tuples at most this deep (a state dict nests 2 or 3 levels).
# Both save and load check it, so a hostile header cannot crash load with a RecursionError.
MAX_DEPTH = 100

# How far load lets a file inflate. save stores arrays uncompressed, so a real checkpoint takes
# as many bytes in memory as on disk; but a zip entry may be compressed, and a compressed entry of
# zeros inflates 1000-fold (255 KB to 256 MB). load refuses a file whose entries together declare
# more than MAX_INFLATE_FREE bytes *and* more than MAX_INFLATE_RATIO times the file's size, before
# inflating anything. Raise them to read a compressed file you trust.
MAX_INFLATE_RATIO = 100
MAX_INFLATE_FREE = 64 * 2**20


class CheckpointError(ValueError):
    """What ``load`` raises for a file that is not a readable minigrad checkpoint: another kind of
    file, a truncated or corrupted one, or one made by hand to exhaust memory or crash the reader.
    One error type for all of them, whose message names the file and what is wrong with it."""


def save(obj, path):
    """Write the state dict ``obj`` to ``path`` (an ``.npz`` container; CUDA tensors are copied to host)."""
    arrays = {}
    tree = _encode(obj, arrays, 'obj', depth=0)
    header = json.dumps({'format': FORMAT, 'version': VERSION, 'tree': tree})
    arrays[_HEADER] = numpy.frombuffer(header.encode('utf-8'), dtype=numpy.uint8)
    atomic_write(path, lambda f: _write_arrays(f, arrays))


def atomic_write(path, write):
    """Call ``write(f)`` on a temporary file beside ``path``, flush it to disk, then rename it over
    ``path`` in one step: readers see the old file or the new one, never half of one.
    (``minigrad.safetensors.save_file`` writes the same way.)

    A symlink is written through, to its target; a new file gets the umask's mode and an existing
    one keeps its own; temporary files that killed writes of the same target left are removed."""
    target = os.path.realpath(path)              # through any symlinks, to the file itself
    directory, name = os.path.split(target)
    mode = _mode_of(target)
    _remove_stale_temp_files(directory, name)
    tmp = os.path.join(directory, f'.{name}{_TMP_MARK}{secrets.token_hex(8)}')
    # O_EXCL: create a new file, never open one (or a link) that is already there. The mode given
    # here is filtered by the umask, as in open(); an old file's mode is then restored in full.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    _fsync_directory(directory)


_TMP_MARK = '.minigrad-tmp-'


def _mode_of(path):
    """The permission bits of the file at ``path``, or None when there is none yet."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None


def _remove_stale_temp_files(directory, name):
    """Delete the temporary files that killed saves of ``name`` left in ``directory``."""
    pattern = re.compile(re.escape(f'.{name}{_TMP_MARK}') + '[0-9a-f]{16}')
    for entry in os.listdir(directory):
        if pattern.fullmatch(entry):
            with contextlib.suppress(FileNotFoundError):     # another save of it removed it first
                os.unlink(os.path.join(directory, entry))


def _fsync_directory(directory):
    """Flush the directory entry the rename changed (POSIX; Windows cannot open a directory)."""
    if os.name == 'posix':
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_arrays(f, arrays):
    numpy.savez(f, **arrays)


def load(path, map_location=None, weights_only=True):
    """Read a checkpoint written by ``save``.

    Tensors come back on the CPU unless ``map_location`` names another device: ``'cuda'``, or a
    device object with a ``.type``. ``weights_only`` is accepted so that code written for
    ``torch.load`` runs, and ignored: minigrad's files hold only arrays and JSON, so a file only ever
    gives back data.
    A file that is not a readable checkpoint raises ``CheckpointError``.
    """
    path = os.fspath(path)
    device = check_device(getattr(map_location, 'type', map_location)) or 'cpu'
    try:
        with zipfile.ZipFile(path) as zf:
            _check_inflation(zf, os.path.getsize(path))
            entries = _Entries(zf)
            if f'{_HEADER}.npy' not in entries.unread:
                raise ValueError(f"it has no '{_HEADER}' entry (a plain .npz file, not saved by minigrad.save)")
            header = json.loads(entries.read(_HEADER).tobytes().decode('utf-8'))
            if not isinstance(header, dict) or header.get('format') != FORMAT:
                raise ValueError("its header does not name the minigrad checkpoint format")
            if header.get('version') != VERSION:
                raise ValueError(f"it is format version {header.get('version')}; this minigrad "
                                 f"reads version {VERSION}")
            obj = _decode(header.get('tree'), entries, device, depth=0)
            if entries.unread:
                raise ValueError(f"it holds entries its header does not name: {sorted(entries.unread)}")
            return obj
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError, zlib.error,
            RecursionError) as e:
        raise CheckpointError(f"minigrad.load: {path!r} is not a readable minigrad checkpoint: {e}") from e


def _check_inflation(zf, file_size):
    """Refuse a zip bomb: entries declaring far more bytes than the file holds (see MAX_INFLATE_RATIO)."""
    declared = sum(info.file_size for info in zf.infolist())
    if declared > max(MAX_INFLATE_FREE, MAX_INFLATE_RATIO * file_size):
        raise ValueError(f"its entries would inflate to {declared:,} bytes from {file_size:,} bytes on disk, "
                         f"more than MAX_INFLATE_RATIO={MAX_INFLATE_RATIO} times (raise "
                         f"minigrad.serialization.MAX_INFLATE_RATIO to read a compressed file you trust)")


_NPY_HEADER_READERS = {(1, 0): numpy.lib.format.read_array_header_1_0,
                       (2, 0): numpy.lib.format.read_array_header_2_0}


class _Entries:
    """The arrays of an open checkpoint, each read once, when the header names it.

    Reading an entry trusts nothing in it: its ``.npy`` header (shape and dtype) is read first and
    must agree with the entry's size before any memory is allocated for the data."""

    def __init__(self, zf):
        self.zf = zf
        self.unread = set(zf.namelist())

    def read(self, key):
        name = f'{key}.npy'
        if name not in self.unread:
            how = 'twice' if name in self.zf.namelist() else 'but the file has no such entry'
            raise ValueError(f"its header names the array {key!r} {how}")
        self.unread.remove(name)
        info = self.zf.getinfo(name)
        if info.flag_bits & 0x1:                # zipfile would ask for a password
            raise ValueError(f"entry {name!r} is encrypted")
        with self.zf.open(info) as f:
            version = numpy.lib.format.read_magic(f)
            if version not in _NPY_HEADER_READERS:
                raise ValueError(f"entry {name!r} is .npy format version {version}, not 1.0 or 2.0")
            shape, _, dtype = _NPY_HEADER_READERS[version](f)
            need = f.tell() + math.prod(shape) * dtype.itemsize
        if dtype.kind not in 'biufc':
            raise ValueError(f"entry {name!r} has dtype {dtype}; a checkpoint holds only numbers and booleans")
        if need != info.file_size:
            raise ValueError(f"entry {name!r} is {info.file_size:,} bytes, but its shape {shape} and dtype "
                             f"{dtype} need {need:,}")
        try:
            with self.zf.open(info) as f:
                return numpy.lib.format.read_array(f, allow_pickle=False)
        except MemoryError:
            raise ValueError(f"entry {name!r} needs {need:,} bytes, more memory than there is") from None


# ----- the structure <-> JSON tree, one tag per kind of leaf -----

def _encode(obj, arrays, where, depth):
    if depth > MAX_DEPTH:
        raise ValueError(f"minigrad.save: {where:.60}... nests deeper than {MAX_DEPTH} levels")
    if isinstance(obj, Tensor) or isinstance(obj, numpy.ndarray) or hasattr(obj, '__cuda_array_interface__'):
        kind = 'tensor' if isinstance(obj, Tensor) else 'ndarray'
        data = obj.detach().data if isinstance(obj, Tensor) else obj
        name = f'a{len(arrays)}'
        arrays[name] = to_device(data, 'cpu')
        if arrays[name].dtype.kind not in 'biufc':
            raise TypeError(f"minigrad.save: {where} is an array of dtype {arrays[name].dtype}, "
                            f"which cannot be stored without pickle")
        node = {'t': kind, 'key': name}
        if kind == 'tensor':
            node['requires_grad'] = obj.requires_grad
        return node
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {'t': 'value', 'v': obj}
    if isinstance(obj, numpy.generic):
        return {'t': 'value', 'v': obj.item()}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not _is_key(k):
                raise TypeError(f"minigrad.save: {where} has a key {k!r} of type {type(k).__name__}; "
                                f"keys must be strings or integers")
            items.append([k, _encode(v, arrays, f'{where}[{k!r}]', depth + 1)])
        return {'t': 'dict', 'items': items}
    if isinstance(obj, (list, tuple)):
        return {'t': type(obj).__name__,
                'items': [_encode(v, arrays, f'{where}[{i}]', depth + 1) for i, v in enumerate(obj)]}
    raise TypeError(f"minigrad.save: {where} is a {type(obj).__name__}; a checkpoint holds only "
                    f"dicts, lists, tuples, tensors, arrays, numbers, strings and None")


def _decode(node, entries, map_location, depth):
    """The object a header node describes; the header is untrusted, so every field is checked."""
    if depth > MAX_DEPTH:
        raise ValueError(f"its header nests deeper than {MAX_DEPTH} levels")
    kind = node.get('t') if isinstance(node, dict) else None
    if kind == 'value':
        return _field(node, 'v', (type(None), bool, int, float, str))
    if kind == 'dict':
        items = _field(node, 'items', (list,))
        for item in items:
            if not (isinstance(item, list) and len(item) == 2 and _is_key(item[0])):
                raise ValueError(f"a dict in its header has the item {item!r:.80}; expected "
                                 f"[key, value] with a string or integer key")
        return {k: _decode(v, entries, map_location, depth + 1) for k, v in items}
    if kind in ('list', 'tuple'):
        items = [_decode(v, entries, map_location, depth + 1) for v in _field(node, 'items', (list,))]
        return items if kind == 'list' else tuple(items)
    if kind == 'ndarray':
        return entries.read(_field(node, 'key', (str,)))
    if kind == 'tensor':
        key = _field(node, 'key', (str,))
        array = entries.read(key)
        requires_grad = _field(node, 'requires_grad', (bool,))
        if requires_grad and not dtypes.is_floating(array.dtype):
            raise ValueError(f"its header marks the {array.dtype} tensor {key!r} requires_grad; only "
                             f"floating-point tensors can require gradients")
        return as_tensor(to_device(array, map_location)).requires_grad_(requires_grad)
    raise ValueError(f"its header has the node {node!r:.80}, which is none of the kinds save writes")


def _field(node, name, types):
    """``node[name]``, checked to be an instance of one of the ``types``."""
    if name not in node or not isinstance(node[name], types):
        raise ValueError(f"a {node['t']!r} node of its header has {name}={node.get(name)!r:.80}; "
                         f"expected {' or '.join(t.__name__ for t in types)}")
    return node[name]


def _is_key(key):
    """Dict keys are strings or integers (bool is an int to Python, but not a key save writes)."""
    return isinstance(key, (str, int)) and not isinstance(key, bool)
