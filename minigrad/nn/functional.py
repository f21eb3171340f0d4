"""minigrad.nn.functional (``import minigrad.nn.functional as F``): the stateless forms of the layers."""

# (the functions of linear, activation, dropout, embedding, normalization and loss layers go above this line)

# ---- forms defined beside their layers (those files import from this module lazily or by name) ----
from .conv import conv1d, conv2d  # noqa: E402
from .pooling import max_pool2d, avg_pool2d, adaptive_avg_pool2d  # noqa: E402
from .attention import scaled_dot_product_attention  # noqa: E402
