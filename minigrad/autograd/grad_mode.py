"""Grad mode: whether new operations are recorded in the graph.

``no_grad`` is used for evaluation and for optimizer updates; ``enable_grad`` turns recording
back on inside a ``no_grad`` block. Both are context managers and decorators, as in PyTorch.
"""
import contextlib


class _State:
    enabled = True


def is_grad_enabled():
    return _State.enabled


def set_grad_enabled(mode):
    _State.enabled = bool(mode)


class _GradMode(contextlib.ContextDecorator):
    mode = True

    def __enter__(self):
        self._prev = _State.enabled
        _State.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _State.enabled = self._prev
        return False


class no_grad(_GradMode):
    """Do not record operations: results have ``requires_grad=False``.

    Use as ``with no_grad():``, ``@no_grad()`` or ``@no_grad``."""
    mode = False

    def __new__(cls, func=None):
        if func is not None:          # bare decorator: @no_grad
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func=None):
        pass


class enable_grad(_GradMode):
    """Record operations again (inside ``no_grad``)."""
    mode = True
