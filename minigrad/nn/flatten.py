"""``Flatten`` and ``Unflatten``: reshape layers, e.g. between the convolutional and the linear part of a CNN."""
import math

from .module import Module


class Flatten(Module):
    """Merge dims ``start_dim`` .. ``end_dim`` into one: (N, C, H, W) → (N, C·H·W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: (N, 12) with dim=1, size (3, 4) → (N, 3, 4)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        sizes = self.unflattened_size
        if not -input.ndim <= self.dim < input.ndim:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for input of shape {tuple(input.shape)}")
        d = self.dim % input.ndim
        n, known, free = input.shape[d], math.prod(s for s in sizes if s != -1), sizes.count(-1)
        if not (free == 0 and known == n or free == 1 and known > 0 and n % known == 0):
            raise ValueError(f"Unflatten: can't split dim {self.dim} of size {n} (input {tuple(input.shape)}) "
                             f"into {sizes}")
        return input.reshape(input.shape[:d] + sizes + input.shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
