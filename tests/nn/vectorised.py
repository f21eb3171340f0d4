"""``python_calls``: how much Python a piece of code runs, to check that it is vectorised.

A layer whose work is all inside NumPy calls runs the same Python functions whatever the size of
its input; a Python loop over pixels, channels or batch elements shows up as a count that grows
with the input. Counting calls (instead of timing) makes the check exact and independent of the
machine's speed.
"""
import gc
import sys


def python_calls(fn):
    """The number of Python and C function calls made while running ``fn()``."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event in ('call', 'c_call'):
            count += 1

    gc.collect()
    gc.disable()          # a collection could run finalizers inside one run and not the other
    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
        gc.enable()
    return count
