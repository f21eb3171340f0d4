"""``minigrad.save`` / ``minigrad.load``: checkpoints as NumPy ``.npz`` files, never pickle.

A checkpoint is a state dict: nested dicts, lists and tuples whose leaves are tensors, NumPy
arrays, numbers, strings, booleans or ``None``, e.g.
``{'model': model.state_dict(), 'optim': opt.state_dict(), 'epoch': 3}``.

Why not pickle (which is what ``torch.save`` uses)? Unpickling runs code named by the file, so
loading a checkpoint from someone else could run anything. An ``.npz`` file is a zip of plain
arrays, and we read it with ``allow_pickle=False``, so a file can only ever give back data.

Layout of the zip:
- ``__minigrad__``: the structure as JSON text (stored as a ``uint8`` array), with a format name
  and version. Each leaf is tagged with its kind, so tuples stay tuples and integer dict keys
  (an optimizer's state is keyed by parameter index) stay integers.
- ``a0``, ``a1``, ...: one array per tensor or array leaf; the JSON names the entry.

A save is atomic: the file is written under a temporary name in the same directory, flushed
to disk, then renamed over the target in one step (``os.replace``), so a crash mid-save leaves
the previous checkpoint intact rather than half overwritten.
"""
import json
import os
import tempfile
import zipfile

import numpy

from .backend import check_device, to_device
from .creation import as_tensor
from .tensor import Tensor

FORMAT = 'minigrad-checkpoint'
VERSION = 1
_HEADER = '__minigrad__'


def save(obj, path):
    """Write the state dict ``obj`` to ``path`` (an ``.npz`` container; CUDA tensors are copied to host)."""
    arrays = {}
    tree = _encode(obj, arrays, 'obj')
    header = json.dumps({'format': FORMAT, 'version': VERSION, 'tree': tree})
    arrays[_HEADER] = numpy.frombuffer(header.encode('utf-8'), dtype=numpy.uint8)
    atomic_write(path, lambda f: _write_arrays(f, arrays))


def atomic_write(path, write):
    """Call ``write(f)`` on a temporary file beside ``path``, flush it to disk, then rename it over
    ``path`` in one step: readers see the old file or the new one, never half of one.
    (``minigrad.safetensors.save_file`` writes the same way.)"""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _write_arrays(f, arrays):
    numpy.savez(f, **arrays)


def load(path, map_location=None):
    """Read a checkpoint written by ``save``; tensors come back on the CPU unless ``map_location='cuda'``."""
    path = os.fspath(path)
    map_location = check_device(map_location) or 'cpu'
    try:
        npz = numpy.load(path, allow_pickle=False)
        if not isinstance(npz, numpy.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, not an .npz container")
        with npz:
            if _HEADER not in npz.files:
                raise ValueError(f"it has no '{_HEADER}' entry (a plain .npz file, not saved by minigrad.save)")
            header = json.loads(npz[_HEADER].tobytes().decode('utf-8'))
            if not isinstance(header, dict) or header.get('format') != FORMAT:
                raise ValueError("its header does not name the minigrad checkpoint format")
            if header.get('version') != VERSION:
                raise ValueError(f"it is format version {header.get('version')}; this minigrad "
                                 f"reads version {VERSION}")
            arrays = {name: npz[name] for name in npz.files if name != _HEADER}
            return _decode(header['tree'], arrays, map_location)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise ValueError(f"minigrad.load: {path!r} is not a readable minigrad checkpoint "
                         f"(it may be truncated, corrupted or another kind of file): {e}") from e


# ----- the structure <-> JSON tree, one tag per kind of leaf -----

def _encode(obj, arrays, where):
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
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"minigrad.save: {where} has a key {k!r} of type {type(k).__name__}; "
                                f"keys must be strings or integers")
            items.append([k, _encode(v, arrays, f'{where}[{k!r}]')])
        return {'t': 'dict', 'items': items}
    if isinstance(obj, (list, tuple)):
        return {'t': type(obj).__name__,
                'items': [_encode(v, arrays, f'{where}[{i}]') for i, v in enumerate(obj)]}
    raise TypeError(f"minigrad.save: {where} is a {type(obj).__name__}; a checkpoint holds only "
                    f"dicts, lists, tuples, tensors, arrays, numbers, strings and None")


def _decode(node, arrays, map_location):
    kind = node['t']
    if kind == 'value':
        return node['v']
    if kind == 'dict':
        return {k: _decode(v, arrays, map_location) for k, v in node['items']}
    if kind in ('list', 'tuple'):
        items = [_decode(v, arrays, map_location) for v in node['items']]
        return items if kind == 'list' else tuple(items)
    if kind == 'ndarray':
        return arrays[node['key']]
    if kind == 'tensor':
        data = to_device(arrays[node['key']], map_location)
        return as_tensor(data).requires_grad_(node['requires_grad'])
    raise ValueError(f"minigrad.load: unknown entry kind {kind!r} in the checkpoint")
