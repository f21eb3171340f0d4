"""minigrad.autograd: custom ``Function``s, grad mode, ``grad``, ``gradcheck`` and ``gradgradcheck``."""
from .grad_mode import no_grad, enable_grad, is_grad_enabled, set_grad_enabled, creating_graph
from .function import Function
from .api import grad, backward
from .gradcheck import gradcheck, gradgradcheck
