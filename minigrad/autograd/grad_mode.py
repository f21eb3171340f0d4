"""Grad mode: whether new operations are recorded in the graph.

``no_grad`` is used for evaluation and for optimizer updates; ``enable_grad`` turns recording
back on inside a ``no_grad`` block; ``set_grad_enabled(mode)`` is both a function and a context
manager (``with set_grad_enabled(is_train):``). All are re-entrant and, as in PyTorch, the mode
belongs to the thread that sets it.

Inside a backward formula the same switch has a second meaning: the engine turns recording on
only when ``create_graph=True``. ``creating_graph()`` names that question, so an op's backward
reads ``if creating_graph():`` (write differentiable formulas) rather than a bare grad-mode test.
"""
import functools
import threading


class _Mode(threading.local):
    enabled = True          # each thread starts with recording on; the class default costs no lookup chain


_State = _Mode()


def is_grad_enabled():
    return _State.enabled


def creating_graph():
    """Asked inside a backward: is the engine recording the gradients themselves (``create_graph=True``)?

    Then a backward must be written in differentiable Tensor ops; otherwise it may use a fused
    kernel or raw arrays."""
    return _State.enabled


class _GradMode:
    """Sets grad mode on entry and restores the previous mode on exit; a stack, so one instance can be
    entered again while active (a recursive ``@no_grad()`` function)."""
    mode = True

    def __new__(cls, func=None):
        if callable(func):            # bare decorator: @no_grad
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func=None):
        self._previous = []

    def __enter__(self):
        self._previous.append(_State.enabled)
        _State.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _State.enabled = self._previous.pop()
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():              # a fresh context per call: thread- and recursion-safe
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Do not record operations: results have ``requires_grad=False``.

    Use as ``with no_grad():``, ``@no_grad()`` or ``@no_grad``."""
    mode = False


class enable_grad(_GradMode):
    """Record operations again (inside ``no_grad``)."""
    mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches recording off now; ``with set_grad_enabled(mode):`` switches
    it for the block and restores the previous mode after, as PyTorch."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        super().__init__()
        self.mode = bool(mode)
        self._previous.append(_State.enabled)     # takes effect at once, even without `with`
        _State.enabled = self.mode

    def __enter__(self):
        return self                               # already set by __init__

    def __call__(self, func):
        mode = self.mode
        _State.enabled = self._previous.pop()      # used as a decorator: undo the immediate switch

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)
        return wrapper
