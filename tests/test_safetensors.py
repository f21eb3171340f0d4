"""minigrad.safetensors: the reader and writer of Hugging Face's weight format.

- round trips of every NumPy dtype the format has, 0-d and empty tensors, metadata, device;
- BF16 in a file comes back as float32, exactly;
- files written here load with the ``safetensors`` package and the other way round, byte for byte;
- every malformed file raises a ValueError naming the file (and the tensor, where there is one);
- the writer is atomic: a crash mid-write leaves the previous file.
"""
import json
import struct

import numpy as np
import pytest

import minigrad as mg
from minigrad import safetensors as st


def raw_file(path, header, data=b'', length=None):
    """Write a safetensors file by hand: the 8-byte length, the JSON header, the data bytes."""
    text = json.dumps(header).encode() if isinstance(header, dict) else header
    path.write_bytes(struct.pack('<Q', len(text) if length is None else length) + text + data)
    return path


ARRAYS = {
    'f32': np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
    'f64': np.linspace(-1, 1, 5),
    'f16': np.array([0.5, -2.0, 65504.0], dtype=np.float16),
    'i64': np.array([[1, -2], [3, 2**40]], dtype=np.int64),
    'i32': np.array([7, -8], dtype=np.int32),
    'i16': np.array([-3], dtype=np.int16),
    'i8': np.array([-1, 1], dtype=np.int8),
    'u8': np.array([0, 255], dtype=np.uint8),
    'u16': np.array([65535], dtype=np.uint16),
    'u32': np.array([2**32 - 1], dtype=np.uint32),
    'u64': np.array([2**64 - 1], dtype=np.uint64),
    'bool': np.array([True, False, True]),
    'scalar': np.array(3.5, dtype=np.float32),
    'empty': np.zeros((0, 4), dtype=np.float32),
}


def test_round_trip_of_every_dtype(tmp_path, device):
    path = tmp_path / 'all.safetensors'
    mg.save_safetensors({k: mg.as_tensor(v) if k == 'f32' else v for k, v in ARRAYS.items()}, path,
                        metadata={'format': 'np'})
    loaded = mg.load_safetensors(path, device=device)
    assert set(loaded) == set(ARRAYS)
    for name, expected in ARRAYS.items():
        t = loaded[name]
        assert isinstance(t, mg.Tensor) and t.device == device and t.dtype == expected.dtype, name
        np.testing.assert_array_equal(t.cpu().numpy(), expected, err_msg=name)


def test_loaded_tensors_can_be_changed_without_touching_the_file(tmp_path):
    path = tmp_path / 'w.safetensors'
    st.save_file({'w': np.ones(3, dtype=np.float32)}, path)
    before = path.read_bytes()
    w = st.load_file(path)['w']
    w.data[0] = 5.0              # the map is copy-on-write
    assert path.read_bytes() == before
    assert st.load_file(path)['w'].tolist() == [1.0, 1.0, 1.0]


def test_bf16_is_read_as_float32(tmp_path):
    values = np.array([1.0, -2.5, 3.140625, 0.0], dtype=np.float32)   # exactly representable in bf16
    bits = (values.view(np.uint32) >> 16).astype('<u2')
    path = raw_file(tmp_path / 'bf16.safetensors',
                    {'x': {'dtype': 'BF16', 'shape': [2, 2], 'data_offsets': [0, 8]}}, bits.tobytes())
    x = st.load_file(path)['x']
    assert x.dtype == mg.float32 and x.shape == (2, 2)
    np.testing.assert_array_equal(x.numpy().ravel(), values)


def test_the_safetensors_package_reads_our_files_and_we_read_its_files(tmp_path):
    sn = pytest.importorskip('safetensors.numpy')
    ours, theirs = tmp_path / 'ours.safetensors', tmp_path / 'theirs.safetensors'
    st.save_file(ARRAYS, ours, metadata={'format': 'np'})
    sn.save_file(ARRAYS, str(theirs), metadata={'format': 'np'})
    for name, array in sn.load_file(str(ours)).items():
        np.testing.assert_array_equal(array, ARRAYS[name])
    for name, t in st.load_file(theirs).items():
        np.testing.assert_array_equal(t.numpy(), ARRAYS[name])
    assert ours.read_bytes() == theirs.read_bytes()       # the same header layout and padding


@pytest.mark.parametrize('header, data, length, message', [
    ({'x': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}}, b'\0' * 4, None, "'x'.*truncated"),
    (b'{"x":', b'', 1000, 'truncated'),
    (b'{}', b'', 200_000_000, 'header of 200000000 bytes'),
    (b'{"x": [1, 2', b'', None, 'not valid JSON'),
    (b'[1, 2]', b'', None, 'not a JSON object'),
    (b'{"x": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}, "x": {}}', b'', None, 'more than once'),
    ({'x': {'dtype': 'F8_E4M3', 'shape': [1], 'data_offsets': [0, 1]}}, b'\0', None, "'x'.*unknown dtype 'F8_E4M3'"),
    ({'x': {'dtype': 'F32', 'shape': [3], 'data_offsets': [0, 8]}}, b'\0' * 8, None, "'x'.*span 8 bytes.*needs 12"),
    ({'x': {'dtype': 'F32', 'shape': [-1], 'data_offsets': [0, 0]}}, b'', None, "'x'.*shape"),
    ({'x': {'dtype': 'F32', 'shape': [1], 'data_offsets': [4, 0]}}, b'\0' * 4, None, "'x'.*data_offsets"),
    ({'x': {'dtype': 'F32', 'shape': [1]}}, b'\0' * 4, None, "'x'.*needs dtype, shape and data_offsets"),
    ({'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},
      'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [4, 12]}}, b'\0' * 12, None, "'b'.*overlaps tensor 'a'"),
    ({'a': {'dtype': 'F32', 'shape': [1], 'data_offsets': [4, 8]}}, b'\0' * 8, None, "'a'.*gap"),
    ({'a': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 4]}}, b'\0' * 8, None, '4 bytes after its last tensor'),
    ({'__metadata__': {'n': 1}}, b'', None, '__metadata__'),
])
def test_malformed_files_raise_errors_naming_file_and_tensor(tmp_path, header, data, length, message):
    path = raw_file(tmp_path / 'bad.safetensors', header, data, length)
    with pytest.raises(ValueError, match=message) as info:
        st.load_file(path)
    assert 'bad.safetensors' in str(info.value)


@pytest.mark.parametrize('content', [b'', b'\x10\0\0'])
def test_empty_or_shorter_than_the_length_prefix(tmp_path, content):
    path = tmp_path / 'short.safetensors'
    path.write_bytes(content)
    with pytest.raises(ValueError, match="short.safetensors.*(empty|shorter)"):
        st.load_file(path)


@pytest.mark.parametrize('tensors, metadata, message', [
    ({'x': np.array([1 + 2j])}, None, "'x' has dtype complex128"),
    ({'x': np.array(['a'])}, None, "'x' has dtype <U1"),
    ({'x': [1.0]}, None, "'x' has dtype list"),
    ({1: np.zeros(1)}, None, 'name 1 must be a string'),
    ({'__metadata__': np.zeros(1)}, None, 'other than'),
    ({'x': np.zeros(1)}, {'epoch': 3}, 'metadata must be a dict of str'),
    ([np.zeros(1)], None, 'expected a dict'),
])
def test_writer_rejects_what_the_format_cannot_hold(tmp_path, tensors, metadata, message):
    with pytest.raises(TypeError, match=message):
        st.save_file(tensors, tmp_path / 'x.safetensors', metadata=metadata)
    assert not list(tmp_path.iterdir())


def test_crash_mid_write_leaves_the_previous_file(tmp_path):
    path = tmp_path / 'w.safetensors'
    st.save_file({'w': np.ones(2, dtype=np.float32)}, path)

    class Exploding(np.ndarray):
        def tobytes(self, *args):
            raise OSError('disk full')
    with pytest.raises(OSError, match='disk full'):
        st.save_file({'w': np.zeros(4, dtype=np.float32), 'x': np.zeros(2).view(Exploding)}, path)
    assert st.load_file(path)['w'].tolist() == [1.0, 1.0]
    assert [p.name for p in tmp_path.iterdir()] == ['w.safetensors']     # no temporary left behind
