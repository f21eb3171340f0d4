"""Top-level functions: ``minigrad.exp(x)`` is ``x.exp()``, for every Tensor method PyTorch also has
as ``torch.X``.

PyTorch programs write both ``x.sum(0)`` and ``torch.sum(x, 0)``. Rather than a hand-written
wrapper per name, one function, ``_method_as_function``, turns a method name into the top-level
function that calls that method on its first argument (a NumPy array or a number is made a
tensor first). The list below is the whole of it; the maths lives in the methods (``tensor.py``)
and their ops (``ops/``).
"""
from .tensor import Tensor

METHODS = (
    # elementwise
    'abs', 'exp', 'exp2', 'log', 'log2', 'log10', 'log1p', 'sqrt', 'rsqrt', 'reciprocal',
    'square', 'sign', 'sin', 'cos', 'tan', 'sinh', 'cosh', 'tanh', 'sigmoid', 'relu', 'pow', 'clamp',
    'clip', 'clamp_min', 'clamp_max', 'maximum', 'minimum',
    'floor', 'ceil', 'round', 'trunc', 'frac', 'neg', 'negative', 'add', 'sub', 'subtract', 'mul',
    'multiply', 'div', 'divide', 'true_divide', 'remainder', 'fmod', 'lerp', 'logical_not',
    'logical_and', 'logical_or', 'logical_xor', 'isnan', 'isinf', 'isfinite', 'eq', 'ne', 'lt', 'le',
    'gt', 'ge', 'masked_fill', 'nan_to_num',
    # reductions
    'sum', 'mean', 'var', 'std', 'prod', 'amax', 'amin', 'max', 'min', 'argmax',
    'argmin', 'logsumexp', 'norm', 'all', 'any', 'count_nonzero', 'var_mean', 'std_mean',
    # linear algebra
    'matmul', 'mm', 'bmm', 'mv', 'dot', 'outer', 'inner', 't',
    # shape
    'reshape', 'flatten', 'transpose', 'swapaxes', 'permute', 'squeeze', 'unsqueeze', 'split', 'chunk',
    'unbind', 'narrow', 'flip', 'roll', 'tril', 'triu', 'repeat_interleave', 'movedim', 'diagonal',
    'broadcast_to', 'numel', 'clone', 'detach',
    # indexing, sorting
    'gather', 'index_select', 'masked_select', 'take_along_dim', 'nonzero', 'topk', 'sort', 'argsort',
    'kthvalue', 'unique', 'scatter', 'scatter_add',
    # activations and friends
    'softmax', 'log_softmax', 'equal', 'allclose', 'isclose',
)


def _method_as_function(name):
    method = getattr(Tensor, name)

    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            input = Tensor(input)
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``minigrad.{name}(input, ...)`` is ``input.{name}(...)``.\n\n" + (method.__doc__ or '')
    return function


FUNCTIONS = {name: _method_as_function(name) for name in dict.fromkeys(METHODS)}
