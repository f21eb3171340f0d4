"""Random number generators, as ``torch.Generator``: seeded sources of random numbers.

A ``Generator`` wraps the array module's own generator: NumPy's ``default_rng`` on ``'cpu'``,
CuPy's on ``'cuda'``. Every random function (``rand``, ``randperm``, ``multinomial``, dropout,
weight initialisation, the ``DataLoader``'s shuffling) draws from the *default* generator of its
device unless it is handed one with ``generator=``.

- ``manual_seed(n)`` reseeds the default generators of every device, so a whole program's draws
  repeat; ``default_generator`` is the CPU one. As in PyTorch, a fresh process starts from a
  non-deterministic seed (``initial_seed()`` tells which).
- A separate ``Generator().manual_seed(n)`` gives a stream of its own: drawing from it leaves the
  default stream untouched, so, say, a data split stays the same when the model above it changes.
"""
import secrets

import numpy

from . import backend

_DEFAULT_SEED = 67280421310721      # what a new torch.Generator starts from
_SEED_RANGE = (-2 ** 63, 2 ** 64)   # the seeds PyTorch accepts; negative ones wrap around 2**64


def _check_seed(seed):
    seed = int(seed)
    if not _SEED_RANGE[0] <= seed < _SEED_RANGE[1]:
        raise ValueError(f"manual_seed: the seed must lie in [-2**63, 2**64), got {seed}")
    return seed % 2 ** 64


class Generator:
    """A seeded source of random numbers on one device (``'cpu'`` or ``'cuda'``).

    Pass it as ``generator=`` to ``rand``, ``randperm``, ``multinomial``, ``RandomSampler``,
    ``DataLoader``, ... to draw from it instead of the default generator.
    """

    def __init__(self, device='cpu'):
        self.device = backend.check_device(device)
        self._xp = backend.module_for(self.device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        """Restart the stream from ``seed`` (an int); returns the generator, so that
        ``g = Generator().manual_seed(0)`` reads as one step."""
        self._initial_seed = _check_seed(seed)
        self._rng = self._xp.random.default_rng(self._initial_seed)
        return self

    def seed(self):
        """Reseed from a non-deterministic source (the operating system); returns the new seed."""
        return self.manual_seed(secrets.randbits(64))._initial_seed

    def initial_seed(self):
        """The seed the stream was last started from."""
        return self._initial_seed

    def get_state(self):
        """The generator's whole state, as a uint8 NumPy array, for ``set_state``. (PyTorch returns a
        uint8 tensor; this module sits below tensors, so it hands back the array such a tensor would hold.)

        It holds 7 unsigned 64-bit words: the initial seed, then NumPy's PCG64 state
        (``state`` and ``inc``, 128 bits each, high word first; ``has_uint32``; ``uinteger``).
        """
        pcg = self._pcg64_state('get_state')
        words = [self._initial_seed]
        for value in (pcg['state']['state'], pcg['state']['inc']):
            words += [value >> 64, value & (2 ** 64 - 1)]
        words += [pcg['has_uint32'], pcg['uinteger']]
        return numpy.array(words, dtype=numpy.uint64).view(numpy.uint8)

    def set_state(self, new_state):
        """Restore a state from ``get_state()``: the draws that followed it come again. Returns self."""
        pcg = self._pcg64_state('set_state')
        raw = numpy.asarray(new_state.numpy() if hasattr(new_state, 'numpy') else new_state)
        if raw.dtype != numpy.uint8 or raw.shape != (7 * 8,):
            raise RuntimeError(f"set_state: expected the uint8 state of 56 bytes that get_state() returns, "
                               f"got dtype {raw.dtype} and shape {raw.shape}")
        seed, state_hi, state_lo, inc_hi, inc_lo, has_uint32, uinteger = (int(w) for w in raw.view(numpy.uint64))
        pcg['state'] = {'state': state_hi << 64 | state_lo, 'inc': inc_hi << 64 | inc_lo}
        pcg['has_uint32'], pcg['uinteger'] = has_uint32, uinteger
        self._rng.bit_generator.state = pcg
        self._initial_seed = seed
        return self

    def _pcg64_state(self, op):
        """NumPy's state dictionary of the bit generator; only NumPy's PCG64 exposes one."""
        state = getattr(self._rng.bit_generator, 'state', None)
        if not isinstance(state, dict) or state.get('bit_generator') != 'PCG64':
            raise NotImplementedError(f"{op}: only the state of a 'cpu' generator (NumPy's PCG64) can be "
                                      f"read and restored, not one on {self.device!r}")
        return state

    def __repr__(self):
        return f"minigrad.Generator(device={self.device!r}, initial_seed={self._initial_seed})"


_seed = secrets.randbits(64)     # the seed of the default generators (the last manual_seed)
default_generator = Generator('cpu').manual_seed(_seed)
_defaults = {numpy: default_generator}      # array module -> its default Generator


def _default_for(xp):
    g = _defaults.get(xp)
    if g is None:       # only 'cuda' is missing: its default is made on first use, from the same seed
        g = _defaults[xp] = Generator('cuda').manual_seed(_seed)
    return g


def manual_seed(seed):
    """Reseed the default generator of every device, so every later draw repeats; returns
    ``default_generator``."""
    global _seed
    _seed = _check_seed(seed)
    for g in _defaults.values():
        g.manual_seed(_seed)
    return default_generator


def seed():
    """Reseed every default generator from a non-deterministic source; returns the new seed."""
    return manual_seed(secrets.randbits(64)).initial_seed()


def initial_seed():
    """The seed the default CPU generator last started from."""
    return default_generator.initial_seed()


def get_rng_state():
    """The state of the default CPU generator (a uint8 array), for ``set_rng_state``."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default CPU generator to a state from ``get_rng_state()``."""
    default_generator.set_state(new_state)


def generator(xp=numpy):
    """The default generator's array-module generator for module ``xp`` (``random``,
    ``standard_normal``, ``integers``): what every draw without ``generator=`` uses."""
    return _default_for(xp)._rng


def rng(xp, gen=None, op='random'):
    """The array-module generator a draw for module ``xp`` uses: that of the Generator ``gen`` when
    one is given (it must be on the device the result goes to, as in PyTorch), else the default one."""
    if gen is None:
        return generator(xp)
    if not isinstance(gen, Generator):
        raise TypeError(f"{op}: generator must be a minigrad.Generator, got {type(gen).__name__}")
    if gen._xp is not xp:
        wanted = 'cpu' if backend.is_numpy(xp) else 'cuda'
        raise RuntimeError(f"{op}: expected a generator on {wanted!r} (where the result goes), "
                           f"got one on '{gen.device}'")
    return gen._rng


def new_seed():
    """A seed drawn from the default CPU generator. PyTorch's random samplers draw one per epoch
    to start a fresh generator, so ``manual_seed`` fixes every epoch's order."""
    return int(default_generator._rng.integers(2 ** 63))
