"""Read and write ``.safetensors`` files, the format Hugging Face publishes model weights in.

A safetensors file is three parts, one after the other:

    [8 bytes]   N, the length of the header, as an unsigned little-endian 64-bit integer
    [N bytes]   the header: JSON text, ``{name: {"dtype": "F32", "shape": [384, 384],
                "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}``
    [the rest]  the byte buffer: every tensor's raw little-endian values, C order, back to back

``data_offsets`` count from the start of the byte buffer, end exclusive. Nothing in the file is
code, unlike a pickle (``torch.save``): reading it can only ever give back numbers. So we check
everything before trusting it: the header's length and JSON, each dtype, that each range is as
long as its dtype and shape say, and that the ranges tile the buffer exactly (no overlaps, no
gaps, nothing past the end of a truncated file). Every error names the file and the tensor.

Reading maps the file into memory (``numpy.memmap``, copy-on-write) instead of reading it:
each tensor is a view of its bytes, which the operating system pages in when they are used.
BF16 (bfloat16: the top half of a float32) has no NumPy dtype, so BF16 tensors come back as
float32, exactly (shifting the 16 bits up gives the same number). Writing supports the dtypes
NumPy has; files written here load with the ``safetensors`` package, and the other way round.
"""
import json
import math
import os

import numpy

from .backend import check_device, to_device
from .creation import as_tensor
from .serialization import atomic_write
from .tensor import Tensor

MAX_HEADER_BYTES = 100_000_000          # the same limit the safetensors package enforces

# safetensors' dtype names -> NumPy's (explicitly little-endian), in the safetensors package's own
# order (by item size); BF16 is read as uint16, then widened
_DTYPES = {'BOOL': '|b1', 'U8': '|u1', 'I8': '|i1', 'I16': '<i2', 'U16': '<u2', 'F16': '<f2',
           'BF16': '<u2', 'I32': '<i4', 'U32': '<u4', 'F32': '<f4', 'F64': '<f8', 'I64': '<i8',
           'U64': '<u8'}
_RANK = {name: i for i, name in enumerate(_DTYPES)}
_NAMES = {numpy.dtype(code).newbyteorder('='): name for name, code in _DTYPES.items() if name != 'BF16'}


def load_file(path, device='cpu'):
    """The tensors of the safetensors file ``path``, as ``{name: Tensor}`` in file order, on ``device``.

    Raises ValueError, naming the file and the tensor, for a malformed file.
    """
    path = os.fspath(path)
    device = check_device(device) or 'cpu'
    return {name: as_tensor(to_device(array, device)) for name, array in _read(path).items()}


def save_file(tensors, path, metadata=None):
    """Write ``{name: Tensor or array}`` to ``path`` as safetensors, atomically; ``metadata`` is an
    optional dict of strings stored in the header (e.g. ``{'format': 'pt'}``)."""
    path = os.fspath(path)
    if not isinstance(tensors, dict):
        raise TypeError(f"save_file: expected a dict of tensors, got {type(tensors).__name__}")
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("save_file: metadata must be a dict of str to str")
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str) or name == '__metadata__':
            raise TypeError(f"save_file: tensor name {name!r} must be a string other than '__metadata__'")
        array = to_device(value.detach().data if isinstance(value, Tensor) else value, 'cpu')
        if not isinstance(array, numpy.ndarray) or array.dtype.newbyteorder('=') not in _NAMES:
            raise TypeError(f"save_file: tensor {name!r} has dtype {getattr(array, 'dtype', type(value).__name__)}, "
                            f"which safetensors cannot store (supported: {', '.join(_DTYPES)})")
        arrays[name] = array.astype(array.dtype.newbyteorder('<'), order='C', copy=False)
    # the order the safetensors package writes (so the files are the same bytes): latest dtype in
    # _DTYPES first, then by name. Widest first also starts every tensor at a multiple of its size.
    order = sorted(arrays, key=lambda n: (-_RANK[_NAMES[arrays[n].dtype.newbyteorder('=')]], n))
    header, offset = {}, 0
    if metadata:
        header['__metadata__'] = metadata
    for name in order:
        a = arrays[name]
        header[name] = {'dtype': _NAMES[a.dtype.newbyteorder('=')], 'shape': list(a.shape),
                        'data_offsets': [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)         # pad so the byte buffer starts 8-byte aligned

    def write(f):
        f.write(len(text).to_bytes(8, 'little'))
        f.write(text)
        for name in order:
            f.write(arrays[name].tobytes())

    atomic_write(path, write)


# ----- reading, one check at a time -----

def _map(path):
    """The whole file as a read-only-on-disk uint8 array (copy-on-write: writes stay in memory)."""
    if os.path.getsize(path) == 0:     # mmap cannot map an empty file
        raise ValueError(f"safetensors: {path!r} is empty (truncated file?)")
    return numpy.memmap(path, dtype=numpy.uint8, mode='c')


def _header(path, raw):
    """``(header dict, byte buffer)`` after checking the length prefix and the JSON."""
    if raw.size < 8:
        raise ValueError(f"safetensors: {path!r} is {raw.size} bytes, shorter than the 8-byte header "
                         f"length (truncated file?)")
    n = int(raw[:8].view('<u8')[0])
    if n > MAX_HEADER_BYTES:
        raise ValueError(f"safetensors: {path!r} declares a header of {n} bytes, more than the "
                         f"{MAX_HEADER_BYTES} allowed (not a safetensors file, or corrupted)")
    if 8 + n > raw.size:
        raise ValueError(f"safetensors: {path!r} declares a {n}-byte header but holds only "
                         f"{raw.size - 8} bytes after the length (truncated file?)")
    try:
        header = json.loads(bytes(raw[8:8 + n]).decode('utf-8'), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"safetensors: the header of {path!r} is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise ValueError(f"safetensors: the header of {path!r} is not a JSON object")
    metadata = header.get('__metadata__', {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(f"safetensors: __metadata__ in {path!r} must be an object of strings")
    return header, raw[8 + n:]


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"the header names {repeated} more than once")
    return dict(pairs)


def _entry(path, name, info):
    """``(begin, end, numpy dtype, shape, dtype name)`` of one header entry, each field checked."""
    where = f"safetensors: tensor {name!r} in {path!r}"
    if not isinstance(info, dict) or not {'dtype', 'shape', 'data_offsets'} <= info.keys():
        raise ValueError(f"{where}: the entry needs dtype, shape and data_offsets, got {info!r}")
    dtype_name, shape, offsets = info['dtype'], info['shape'], info['data_offsets']
    if dtype_name not in _DTYPES:
        raise ValueError(f"{where}: unknown dtype {dtype_name!r} (minigrad reads {', '.join(_DTYPES)})")
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise ValueError(f"{where}: shape must be a list of non-negative integers, got {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]):
        raise ValueError(f"{where}: data_offsets must be [begin, end] with 0 <= begin <= end, got {offsets!r}")
    dtype = numpy.dtype(_DTYPES[dtype_name])
    nbytes = math.prod(shape) * dtype.itemsize
    if offsets[1] - offsets[0] != nbytes:
        raise ValueError(f"{where}: data_offsets {offsets} span {offsets[1] - offsets[0]} bytes, but "
                         f"{dtype_name} of shape {shape} needs {nbytes} (wrong offsets)")
    return offsets[0], offsets[1], dtype, tuple(shape), dtype_name


def _read(path):
    """``{name: NumPy array}``: views of the mapped file (BF16 and big-endian hosts: converted copies)."""
    header, buffer = _header(path, _map(path))
    entries = {name: _entry(path, name, info) for name, info in header.items() if name != '__metadata__'}
    # sorted by where they start, the ranges must follow each other exactly and fill the buffer
    end, previous = 0, None
    for name, (begin, stop, *_) in sorted(entries.items(), key=lambda item: item[1][:2]):
        if begin < end:
            raise ValueError(f"safetensors: tensor {name!r} in {path!r} (bytes {begin}..{stop}) overlaps "
                             f"tensor {previous!r} (which ends at byte {end})")
        if begin > end:
            raise ValueError(f"safetensors: tensor {name!r} in {path!r} starts at byte {begin}, leaving "
                             f"a gap after byte {end} (wrong offsets)")
        if stop > buffer.size:
            raise ValueError(f"safetensors: tensor {name!r} in {path!r} ends at byte {stop} but the data "
                             f"holds only {buffer.size} bytes (truncated file?)")
        end, previous = stop, name
    if end != buffer.size:
        raise ValueError(f"safetensors: {path!r} has {buffer.size - end} bytes after its last tensor "
                         f"that no header entry describes (wrong offsets)")
    arrays = {}
    for name, (begin, stop, dtype, shape, dtype_name) in entries.items():
        array = buffer[begin:stop].view(dtype).reshape(shape)
        if dtype_name == 'BF16':
            # bfloat16 is the high 16 bits of a float32: put them back in place, the low bits zero
            array = (array.astype(numpy.uint32) << 16).view(numpy.float32)
        arrays[name] = array.astype(array.dtype.newbyteorder('='), copy=False)
    return arrays
