"""The PyTorch namespace: ``import minigrad as torch`` finds what PyTorch programs use, with PyTorch's values.

The differentiable methods added for PyTorch programs are rows of the shared op table (forward
against PyTorch itself, gradcheck, gradgradcheck, float32); the rest (devices, dtypes, device
queries, legacy spellings, top-level functions) are compared with PyTorch directly.
"""
import numpy as np
import pytest

import minigrad as mg
from harness import C, Case, op_tests

torch = pytest.importorskip("torch")


def T(fn):
    """A NumPy reference computed by PyTorch: arrays in, arrays out."""
    def ref(*arrays):
        out = fn(*[torch.from_numpy(np.array(a)) if isinstance(a, (np.ndarray, np.generic)) else a for a in arrays])
        if isinstance(out, (tuple, list)):
            return [o.numpy() for o in out]
        return out.numpy()
    return ref


UNARY = [((3, 4),), ((),), ((2, 1, 3),)]
IDX = np.array([[2, 0, 1, 1], [0, 0, 2, 1]])

CASES = [
    Case("square", lambda x: x.square(), T(torch.square), UNARY),
    Case("exp2", lambda x: x.exp2(), T(torch.exp2), UNARY),
    Case("log2", lambda x: x.log2(), T(torch.log2), UNARY, domain="pos"),
    Case("log10", lambda x: x.log10(), T(torch.log10), UNARY, domain="pos"),
    Case("tan", lambda x: x.tan(), T(torch.tan), UNARY, domain="unit"),
    Case("sinh", lambda x: x.sinh(), T(torch.sinh), UNARY),
    Case("cosh", lambda x: x.cosh(), T(torch.cosh), UNARY),
    Case("floor", lambda x: x.floor() + x, T(lambda x: torch.floor(x) + x), UNARY),
    Case("round", lambda x: x.round() * x, T(lambda x: torch.round(x) * x), UNARY),
    Case("frac", lambda x: x.frac(), T(torch.frac), UNARY),
    Case("remainder", lambda a, b: a.remainder(b), T(torch.remainder), [((3, 4), (4,))]),
    Case("fmod", lambda a, b: a.fmod(b), T(torch.fmod), [((3, 4), (4,))]),
    Case("lerp", lambda a, b, w: a.lerp(b, w), T(torch.lerp), [((3, 4), (3, 4), (4,))]),
    Case("div_floor", lambda a, b: a.div(b, rounding_mode='floor') * a,
         T(lambda a, b: torch.div(a, b, rounding_mode='floor') * a), [((3, 4), (4,))]),
    Case("mm", lambda a, b: a.mm(b), T(torch.mm), [((3, 4), (4, 2))]),
    Case("bmm", lambda a, b: a.bmm(b), T(torch.bmm), [((2, 3, 4), (2, 4, 5))]),
    Case("mv", lambda a, b: a.mv(b), T(torch.mv), [((3, 4), (4,))]),
    Case("dot", lambda a, b: a.dot(b), T(torch.dot), [((4,), (4,))]),
    Case("outer", lambda a, b: a.outer(b), T(torch.outer), [((3,), (4,))]),
    Case("inner", lambda a, b: a.inner(b), T(torch.inner), [((2, 4), (3, 4)), ((4,), (4,))]),
    Case("t", lambda x: x.t(), T(lambda x: x.t()), [((3, 4),), ((4,),)]),
    Case("narrow", lambda x: x.narrow(1, 1, 2), T(lambda x: x.narrow(1, 1, 2)), [((3, 4),)]),
    Case("flip", lambda x: x.flip(0, -1), T(lambda x: x.flip(0, -1)), [((3, 4),), ((2, 1, 3),)]),
    Case("roll", lambda x: x.roll(1, 1), T(lambda x: x.roll(1, 1)), [((3, 4),)]),
    Case("roll_flat", lambda x: x.roll(-2), T(lambda x: x.roll(-2)), [((3, 4),)]),
    Case("roll_two", lambda x: x.roll((1, 2), (0, 1)), T(lambda x: x.roll((1, 2), (0, 1))), [((3, 4),)]),
    Case("tril", lambda x: x.tril(), T(torch.tril), [((3, 4),), ((2, 4, 3),)]),
    Case("triu_1", lambda x: x.triu(1), T(lambda x: torch.triu(x, 1)), [((3, 4),)]),
    Case("repeat_interleave", lambda x: x.repeat_interleave(2, 1), T(lambda x: x.repeat_interleave(2, 1)),
         [((3, 4),)]),
    Case("repeat_interleave_flat", lambda x: x.repeat_interleave(3), T(lambda x: x.repeat_interleave(3)),
         [((2, 2),)]),
    Case("movedim", lambda x: x.movedim(0, -1), T(lambda x: x.movedim(0, -1)), [((2, 3, 4),)]),
    Case("diagonal", lambda x: x.diagonal(), T(lambda x: x.diagonal()), [((3, 4),)]),
    Case("diagonal_offset", lambda x: x.diagonal(1, 1, 2), T(lambda x: x.diagonal(1, 1, 2)), [((2, 3, 4),)]),
    Case("index_select", lambda x: x.index_select(1, mg.tensor([2, 0, 2])),
         T(lambda x: x.index_select(1, torch.tensor([2, 0, 2]))), [((3, 4),)]),
    Case("masked_select", lambda x, m: x.masked_select(mg.tensor(m)),
         T(lambda x, m: x.masked_select(m)), [((3, 4), C(np.array([True, False, True, True])))]),
    Case("take_along_dim", lambda x: x.take_along_dim(mg.tensor(IDX), 0),
         T(lambda x: torch.take_along_dim(x, torch.tensor(IDX), 0)), [((3, 4),)]),
    Case("sort_values", lambda x: x.sort(1).values, T(lambda x: x.sort(1).values), [((3, 4),)]),
    Case("sort_descending", lambda x: x.sort(0, descending=True).values,
         T(lambda x: x.sort(0, descending=True).values), [((3, 4),)]),
    Case("topk", lambda x: x.topk(2).values, T(lambda x: x.topk(2).values), [((3, 4),)]),
    Case("topk_smallest", lambda x: x.topk(2, 0, largest=False).values,
         T(lambda x: x.topk(2, 0, largest=False).values), [((3, 4),)]),
    Case("kthvalue", lambda x: x.kthvalue(2, 1).values, T(lambda x: x.kthvalue(2, 1).values), [((3, 4),)]),
    Case("scatter", lambda x, s: x.scatter(0, mg.tensor(IDX[:1]), s),
         T(lambda x, s: x.scatter(0, torch.tensor(IDX[:1]), s)), [((3, 4), (1, 4))]),
    Case("scatter_add", lambda x, s: x.scatter_add(0, mg.tensor(IDX), s),
         T(lambda x, s: x.scatter_add(0, torch.tensor(IDX), s)), [((3, 4), (2, 4))]),
    Case("nan_to_num", lambda x: x.nan_to_num(), T(torch.nan_to_num), UNARY),
    Case("var_unbiased_kw", lambda x: x.var(1, unbiased=False), T(lambda x: x.var(1, unbiased=False)), [((3, 4),)]),
    Case("sum_numpy_keywords", lambda x: x.sum(axis=0, keepdims=True), T(lambda x: x.sum(axis=0, keepdims=True)),
         [((3, 4),)]),
]

test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


# ----- top-level functions: one mechanism, every name in the list, PyTorch's values -----
@pytest.mark.parametrize("name", sorted(mg.functions.FUNCTIONS))
def test_top_level_function_is_the_method(name):
    assert getattr(mg, name) is mg.functions.FUNCTIONS[name] or getattr(mg, name) is not None
    assert hasattr(torch, name), f"{name} is not a torch top-level function"


@pytest.mark.parametrize("name", ["exp", "sin", "tanh", "sigmoid", "abs", "sqrt", "log2", "log10", "tan", "sinh",
                                  "cosh", "floor", "ceil", "trunc", "neg", "square", "rsqrt"])
def test_top_level_unary_matches_torch(name):
    x = np.random.default_rng(0).uniform(0.2, 1.5, (3, 4)).astype(np.float32)
    np.testing.assert_allclose(getattr(mg, name)(mg.tensor(x)).numpy(), getattr(torch, name)(torch.tensor(x)).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_top_level_reductions_and_shapes_match_torch():
    x = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)
    a, b = mg.tensor(x), torch.tensor(x)
    for name, args, kwargs in [("sum", (1,), {}), ("mean", (), {"dim": (0, 2)}), ("amax", (2,), {}),
                               ("prod", (0,), {}), ("logsumexp", (1,), {}), ("argmax", (2,), {}),
                               ("flatten", (1,), {}), ("transpose", (0, 2), {}), ("permute", ((2, 0, 1),), {}),
                               ("unsqueeze", (1,), {}), ("reshape", ((4, 6),), {}), ("softmax", (-1,), {}),
                               ("log_softmax", (0,), {}), ("std", (1,), {}), ("count_nonzero", (), {})]:
        np.testing.assert_allclose(getattr(mg, name)(a, *args, **kwargs).numpy(),
                                   getattr(torch, name)(b, *args, **kwargs).numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=name)
    values, indices = mg.max(a, 1)
    tv, ti = torch.max(b, 1)
    np.testing.assert_allclose(values.numpy(), tv.numpy())
    np.testing.assert_array_equal(indices.numpy(), ti.numpy())
    assert mg.allclose(a, a + 1e-9) and mg.equal(a, a.clone())


def test_sort_argsort_unique_nonzero_match_torch():
    x = np.array([[3., 1., 2., 1.], [0., 5., 5., -1.]], dtype=np.float32)
    a, b = mg.tensor(x), torch.tensor(x)
    np.testing.assert_array_equal(mg.argsort(a, 1).numpy(), torch.sort(b, dim=1, stable=True).indices.numpy())
    np.testing.assert_array_equal(a.sort(1, descending=True).values.numpy(), b.sort(1, descending=True).values.numpy())
    values, inverse, counts = mg.unique(a, return_inverse=True, return_counts=True)
    tvalues, tinverse, tcounts = torch.unique(b, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.numpy(), tvalues.numpy())
    np.testing.assert_array_equal(inverse.numpy(), tinverse.numpy())
    np.testing.assert_array_equal(counts.numpy(), tcounts.numpy())
    np.testing.assert_array_equal(mg.nonzero(a).numpy(), torch.nonzero(b).numpy())
    assert [t.tolist() for t in a.nonzero(as_tuple=True)] == [t.tolist() for t in b.nonzero(as_tuple=True)]
    with pytest.raises(RuntimeError, match="topk: k=5"):
        a.topk(5)


def test_scatter_index_out_of_range_names_the_op():
    with pytest.raises(IndexError, match=r"gather: index out of range for dim 1 of size 4"):
        mg.zeros(2, 4).gather(1, mg.tensor([[0, 4]]))


# ----- devices, dtypes, device queries -----
def test_device_objects_behave_as_pytorch():
    d = mg.device('cpu')
    assert d.type == 'cpu' and d == 'cpu' and repr(d) == "device(type='cpu')"
    assert mg.device('cuda:1').index == 1 and mg.device('cuda', 0).type == 'cuda'
    t = mg.ones(2, device=d)
    assert t.device == 'cpu' and t.device.type == 'cpu' and t.to(mg.device('cpu')).device == 'cpu'
    assert {mg.device('cpu'): 1}['cpu'] == 1
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        mg.device('tpu')


def test_dtype_aliases_are_pytorchs():
    pairs = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
             "short": "int16", "float16": "float16", "int8": "int8", "uint8": "uint8", "bool": "bool"}
    for alias, name in pairs.items():
        assert str(getattr(mg, alias)) == name, alias
        assert str(getattr(torch, alias)).replace('torch.', '') == name, alias
    with pytest.raises(AttributeError, match="NumPy has no bfloat16"):
        mg.bfloat16
    x = mg.ones(2)
    assert x.type() == 'torch.FloatTensor' and x.long().type() == 'torch.LongTensor'
    assert x.type(mg.double).dtype == mg.float64 and x.type('torch.LongTensor').dtype == mg.int64
    assert x.half().dtype == mg.float16


def test_default_dtype_round_trip():
    assert mg.get_default_dtype() == mg.float32
    mg.set_default_dtype(mg.float64)
    try:
        assert mg.zeros(2).dtype == mg.float64 and mg.tensor([1.5]).dtype == mg.float64
    finally:
        mg.set_default_dtype(mg.float32)
    assert mg.zeros(2).dtype == mg.float32
    with pytest.raises(TypeError, match="only floating-point"):
        mg.set_default_dtype(mg.int64)


def test_cpu_answers_to_device_queries():
    assert mg.backends.mps.is_available() is torch.backends.mps.is_available() is False
    mg.backends.cuda.matmul.allow_tf32 = True
    mg.backends.cudnn.benchmark = True
    assert mg.backends.cudnn.benchmark is True
    gpu = mg.cuda.is_available()          # False on a CPU-only machine; the CuPy double plays one
    assert mg.accelerator.is_available() is gpu and mg.cuda.device_count() == (1 if gpu else 0)
    mg.set_float32_matmul_precision('high')
    assert mg.get_float32_matmul_precision() == 'high'
    previous = mg.backend.default_device()
    mg.set_default_device('cpu')
    assert mg.zeros(1).device == 'cpu'
    mg.set_default_device(previous)
    with mg.autocast('cpu', enabled=False):
        y = mg.ones(2) * 2
    assert y.dtype == mg.float32
    scaler = mg.cuda.amp.GradScaler(enabled=False)
    assert scaler.scale(y) is y and scaler.get_scale() == 1.0
    with pytest.raises(RuntimeError, match="no automatic mixed precision"):
        mg.autocast('cpu', enabled=True)


def test_legacy_spellings():
    t = mg.LongTensor([1, 2])
    assert t.dtype == mg.int64 and isinstance(t, mg.LongTensor) and not isinstance(t, mg.FloatTensor)
    assert mg.FloatTensor(2, 3).shape == (2, 3)
    v = mg.autograd.Variable(mg.ones(2), requires_grad=True)
    assert v.requires_grad and isinstance(v, mg.Tensor)


# ----- idioms that used to fail -----
def test_data_in_place_update_keeps_an_array():
    p = mg.nn.Parameter(mg.ones(3))
    p.grad = mg.full((3,), 2.0)
    p.data += -0.1 * p.grad
    assert isinstance(p.data, np.ndarray)
    np.testing.assert_allclose(p.detach().numpy(), 0.8)
    y = np.ones(3) * mg.tensor([1., 2., 3.], requires_grad=True)
    assert isinstance(y, mg.Tensor) and y.requires_grad


def test_zero_dim_sums_and_formatting():
    loss = 0 + mg.tensor(2.0)
    assert isinstance(loss.data, np.ndarray)
    loss += mg.tensor(1.0)
    assert f"{loss:.3f}" == "3.000" and f"{mg.tensor([1.5]):.1f}" == "1.5"
    assert sum([mg.tensor(1.0), mg.tensor(2.0)]).item() == 3.0


def test_new_factories_and_memory_queries():
    x = mg.ones(2, 3, dtype=mg.float64)
    assert x.new_zeros(4).dtype == mg.float64 and x.new_ones((2, 2)).shape == (2, 2)
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_tensor([1, 2]).dtype == mg.float64
    assert x.is_contiguous() and x.stride() == torch.ones(2, 3).stride() and x.nelement() == 6
    assert not x.t().is_contiguous() and x.t().stride() == torch.ones(2, 3).t().stride()


def test_in_place_variants_match_torch():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    a, b = mg.tensor(x), torch.tensor(x)
    a.index_fill_(1, mg.tensor([0, 2]), -1.0)
    b.index_fill_(1, torch.tensor([0, 2]), -1.0)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    a.fill_diagonal_(9.0)
    b.fill_diagonal_(9.0)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    a.tril_()
    b.tril_()
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    mask = x > 5
    a.masked_scatter_(mg.tensor(mask), mg.arange(100.))
    b.masked_scatter_(torch.tensor(mask), torch.arange(100.))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    a.scatter_(0, mg.tensor(IDX[:1]), 5.0)
    b.scatter_(0, torch.tensor(IDX[:1]), 5.0)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_meshgrid_and_stacks_match_torch():
    a, b = np.arange(3.0), np.arange(4.0)
    for indexing in ("ij", "xy"):
        ours = mg.meshgrid(mg.tensor(a), mg.tensor(b), indexing=indexing)
        theirs = torch.meshgrid(torch.tensor(a), torch.tensor(b), indexing=indexing)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    v = [mg.tensor(a), mg.tensor(a)]
    tv = [torch.tensor(a), torch.tensor(a)]
    for name in ("hstack", "vstack", "column_stack"):
        np.testing.assert_array_equal(getattr(mg, name)(v).numpy(), getattr(torch, name)(tv).numpy())


def test_grad_mode_is_reentrant_and_per_thread():
    import threading

    @mg.no_grad()
    def depth(n):
        return depth(n - 1) if n else mg.is_grad_enabled()

    assert depth(3) is False and mg.is_grad_enabled()
    with mg.set_grad_enabled(False):
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    seen = []
    with mg.no_grad():
        thread = threading.Thread(target=lambda: seen.append(mg.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]
