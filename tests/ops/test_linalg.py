"""Matrix products: ``@``/``matmul`` with NumPy's rules (1-D operands, batches, broadcast batches)
and ``einsum`` — rows of the shared op table (tests/harness.py).

For C = A @ B the gradients are dA = dC @ Bᵀ and dB = Aᵀ @ dC; a 1-D operand is treated as a
row (left) or column (right) vector whose added dimension is removed again, and batch
dimensions that were broadcast are summed away.
"""
import numpy as np

import minigrad as mg
from harness import C, Case, op_tests

MATMUL_SHAPES = [
    ((3,), (3,)),               # dot product: a 0-d result
    ((3,), (3, 4)),             # vector @ matrix
    ((2, 3), (3,)),             # matrix @ vector
    ((2, 3), (3, 4)),
    ((1, 3), (3, 1)),
    ((2, 2, 3), (2, 3, 4)),     # batched
    ((2, 1, 2, 3), (3, 3, 2)),  # broadcast batches: (2, 1) against (3,)
    ((2, 2, 3), (3,)),          # batch @ vector
    ((3,), (2, 3, 4)),          # vector @ batch
    ((2, 3), (2, 3, 1)),        # matrix broadcast against a batch
    ((2, 0), (0, 3)),           # an empty inner dimension: a sum of nothing, zeros
]

CASES = [
    Case("matmul_op", lambda a, b: a @ b, inputs=MATMUL_SHAPES),
    Case("matmul_method", lambda a, b: a.matmul(b), np.matmul, inputs=MATMUL_SHAPES[:4]),
    Case("ndarray_matmul", lambda c, x: c @ x, inputs=[(C(np.arange(6.0).reshape(2, 3)), (3, 4))]),
    Case("matmul_ndarray", lambda x, c: x @ c, inputs=[((2, 3), C(np.arange(12.0).reshape(3, 4)))]),
]

EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),   # attention scores
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ii->i", [(3, 3)]),                                  # a diagonal: a repeated index on one operand
    ("ii", [(3, 3)]),                                     # the trace, in implicit mode
    ("ij,jk", [(2, 3), (3, 4)]),                          # implicit output: ik
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),          # ellipsis with broadcasting
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),           # three operands
]
CASES += [Case(f"einsum_{eq}", lambda *ops, eq=eq: mg.einsum(eq, *ops), lambda *ops, eq=eq: np.einsum(eq, *ops),
               inputs=[tuple(shapes)]) for eq, shapes in EINSUM]

test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


def test_matmul_gradients_match_closed_form():
    rng = np.random.default_rng(0)
    a, b, g = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    ta, tb = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    (ta @ tb).backward(gradient=mg.tensor(g))
    np.testing.assert_allclose(ta.grad.numpy(), g @ b.T, rtol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), a.T @ g, rtol=1e-12)
