"""minigrad.autograd: custom ``Function``s, grad mode, ``grad``, ``gradcheck`` and ``gradgradcheck``.

How the engine works, in the order to read the files:

1. ``minigrad/tensor.py``: a ``Tensor`` holds ``data`` (a NumPy or CuPy array) and ``grad_fn``, the
   graph node that made it. ``x * y`` is ``elementwise.Mul.apply(x, y)``; every method is such a call.
2. ``minigrad/ops/elementwise.py``: one ``Function`` per op, ``forward`` (arrays in, array out) and
   ``backward`` (gradient Tensors in, one gradient per input out) side by side.
3. ``function.py``: ``Function.apply`` runs ``forward`` and, when an input requires a gradient,
   keeps the call's ``ctx`` as the output's ``grad_fn``, with ``next_edges`` pointing at the nodes
   that made the inputs (``_record``). The graph is nothing more than these links.
4. ``engine.py``: ``loss.backward()`` walks the links backwards, node by node in topological order,
   calling each ``backward`` and adding the results into the leaves' ``.grad``.
5. ``api.py`` (``backward``, ``grad``), ``grad_mode.py`` (``no_grad``, ``creating_graph``) and
   ``gradcheck.py`` (every gradient compared with finite differences) complete the picture.
"""
from .grad_mode import no_grad, enable_grad, is_grad_enabled, set_grad_enabled, creating_graph
from .function import Function
from .api import grad, backward, Variable
from .gradcheck import gradcheck, gradgradcheck
