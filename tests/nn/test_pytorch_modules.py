"""The Module API PyTorch programs use: hooks, lookups by name, dtype casts, parameter containers, utils.

Most tests run one small script twice, under minigrad and under PyTorch (``lib`` is ``minigrad``
or ``torch``), and require the same record: what the hooks saw, the names the walks yield, the
values and gradients.
"""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from helpers import assert_close, to_numpy


def _values(x):
    """A record-friendly form of a tensor (or None, or a tuple of them): nested lists, rounded."""
    if x is None:
        return None
    if isinstance(x, tuple):
        return tuple(_values(t) for t in x)
    return np.round(to_numpy(x).astype(np.float64), 5).tolist()


def _both(script):
    torch = pytest.importorskip("torch")
    ours, theirs = script(mg), script(torch)
    assert ours == theirs
    return ours


def _net(lib):
    """Linear(3, 4) -> ReLU -> Linear(4, 2) with fixed weights, in either library."""
    net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    rng = np.random.default_rng(0)
    net.load_state_dict({k: lib.tensor(rng.standard_normal(tuple(v.shape)).astype(np.float32))
                         for k, v in net.state_dict().items()})
    return net


X = np.array([[1.0, -2.0, 0.5], [0.3, 0.8, -1.2]], dtype=np.float32)


# ----- forward hooks -----
def test_forward_hooks_see_and_replace_inputs_and_outputs():
    def script(lib):
        net, log = _net(lib), []
        seen = net[1].register_forward_hook(lambda m, args, out: log.append(('act', _values(out))))
        doubled = net[0].register_forward_pre_hook(lambda m, args: args[0] * 2)          # a lone value
        shifted = net[2].register_forward_hook(lambda m, args, out: out + 1)
        log.append(('out', _values(net(lib.tensor(X)))))
        doubled.remove()
        shifted.remove()
        log.append(('plain', _values(net(lib.tensor(X)))))
        seen.remove()
        log.append(('unhooked', _values(net(lib.tensor(X)))))
        return log
    log = _both(script)
    assert len(log) == 5                 # the recording hook ran twice, then not after remove()


def test_hook_order_prepend_kwargs_and_handle_as_context_manager():
    def script(lib):
        lin, log = _net(lib)[0], []
        lin.register_forward_hook(lambda m, args, out: log.append('second'))
        lin.register_forward_hook(lambda m, args, out: log.append('first'), prepend=True)
        lin.register_forward_pre_hook(lambda m, args, kwargs: (tuple(a + 1 for a in args), kwargs), with_kwargs=True)
        lin.register_forward_hook(lambda m, args, kwargs, out: log.append(('kw', len(args), sorted(kwargs), _values(out))),
                                  with_kwargs=True)
        with lin.register_forward_hook(lambda m, args, out: out * 0):
            log.append(_values(lin(lib.tensor(X))))
        log.append(_values(lin(input=lib.tensor(X[:1]))))
        return log
    _both(script)


def test_hooks_survive_deepcopy_and_are_not_in_state_dict():
    import copy
    lin = nn.Linear(2, 2)
    calls = []
    lin.register_forward_hook(lambda m, args, out: calls.append(m))
    twin = copy.deepcopy(lin)
    twin(mg.zeros(1, 2))
    assert calls == [twin] and list(lin.state_dict()) == ['weight', 'bias']


# ----- backward hooks -----
def test_full_backward_hooks_as_torch():
    def script(lib):
        net, log = _net(lib), []
        lin = net[2]

        def hook(m, grad_input, grad_output):
            log.append(('full', _values(grad_input), _values(grad_output)))
            return None if grad_input[0] is None else (grad_input[0] * 2,)
        handle = lin.register_full_backward_hook(hook)
        lin.register_full_backward_pre_hook(lambda m, grad_output: (grad_output[0] * 3,))
        x = lib.tensor(X, requires_grad=True)
        (net(x) ** 2).sum().backward()
        log.append(('grads', _values(x.grad), _values(net[0].weight.grad), _values(lin.weight.grad)))
        (lin(lib.tensor(X[:, :2] @ np.ones((2, 4), np.float32))) ** 2).sum().backward()    # no input needs grad
        handle.remove()
        x.grad = None
        (net(x) ** 2).sum().backward()
        log.append(('removed', _values(x.grad)))
        return log
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # PyTorch warns when the hook fires with grad_input all None
        _both(script)


# ----- lookups, walks, casts -----
def _tower(lib):
    """A module with a shared layer, a persistent and a non-persistent buffer, nested children."""
    m = lib.nn.Module()
    m.body = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
    m.head = lib.nn.Linear(3, 1)
    m.tied = m.head
    m.register_buffer('scale', lib.ones(1))
    m.register_buffer('cache', lib.zeros(2), persistent=False)
    return m


def test_walks_with_prefix_recurse_and_duplicates_as_torch():
    def script(lib):
        m = _tower(lib)
        return [
            [n for n, _ in m.named_parameters()],
            [n for n, _ in m.named_parameters(prefix='model', recurse=True)],
            [n for n, _ in m.body.named_parameters(recurse=False)],
            [n for n, _ in m.named_parameters(remove_duplicate=False)],
            [n for n, _ in m.named_buffers(prefix='m')],
            [n for n, _ in m.named_buffers(recurse=False)],
            [n for n, _ in m.named_modules()],
            [n for n, _ in m.named_modules(prefix='root', remove_duplicate=False)],
            [n for n, _ in m.named_children()],
            list(m.state_dict()),
        ]
    names = _both(script)
    assert 'cache' not in names[-1] and 'tied.weight' in names[3]


def test_get_submodule_parameter_and_buffer():
    m = _tower(mg)
    assert m.get_parameter('body.0.weight') is m.body[0].weight
    assert m.get_parameter('tied.bias') is m.head.bias
    assert m.get_buffer('body.1.running_mean') is m.body[1].running_mean
    assert m.get_buffer('cache') is m.cache
    with pytest.raises(AttributeError, match="Linear has no parameter 'gamma'"):
        m.get_parameter('head.gamma')
    with pytest.raises(AttributeError, match="BatchNorm1d has no buffer 'weight'"):
        m.get_buffer('body.1.weight')
    with pytest.raises(AttributeError, match="has no submodule 'tail'"):
        m.get_parameter('tail.weight')


def test_half_float_double_and_requires_grad():
    m = _tower(mg)
    weight = m.head.weight
    assert m.half() is m and weight.dtype == mg.float16 and m.scale.dtype == mg.float16
    assert m.body[1].num_batches_tracked.dtype == mg.int64       # integer buffers are not cast
    m.double()
    assert weight.dtype == mg.float64 and m.head.weight is weight
    m.float()
    assert weight.dtype == mg.float32
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())
    m.body.requires_grad_()
    assert [n for n, p in m.named_parameters() if p.requires_grad] == ['body.0.weight', 'body.0.bias',
                                                                      'body.1.weight', 'body.1.bias']


# ----- ParameterList, ParameterDict -----
def test_parameter_containers_as_torch():
    def script(lib):
        m = lib.nn.Module()
        m.scales = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2)), lib.zeros(3)])     # a tensor is wrapped
        m.scales.append(lib.nn.Parameter(lib.full((2, 2), 0.5)))
        m.scales.extend([lib.ones(1)])
        m.gates = lib.nn.ParameterDict({'a': lib.nn.Parameter(lib.ones(2) * 2)})
        m.gates['b'] = lib.zeros(1)
        m.gates.update({'c': lib.ones(3)})
        loss = (m.scales[0] * m.gates['a']).sum() + m.scales[-2].sum() * 3
        loss.backward()
        return [list(m.state_dict()), [type(p).__name__ for p in m.scales], len(m.scales), len(m.gates),
                list(m.gates.keys()), 'b' in m.gates, _values(m.scales[0].grad), _values(m.gates['a'].grad),
                _values(m.scales[2].grad), [tuple(p.shape) for p in m.scales[1:3]],
                repr(m).replace('torch.', 'minigrad.').replace(' (cuda)', ''),     # (under pytest --device cuda)
                sum(p.numel() for p in m.parameters())]
    _both(script)


def test_parameter_list_editing_and_dict_pop():
    pl = nn.ParameterList([mg.zeros(1), mg.zeros(2), mg.zeros(3)])
    del pl[0]
    assert [p.shape for p in pl] == [(2,), (3,)] and list(pl.state_dict()) == ['0', '1']
    pl.insert(0, mg.ones(4))
    pl[1] = nn.Parameter(mg.ones(5))
    assert [p.shape for p in pl] == [(4,), (5,), (3,)]
    assert isinstance(pl[:2], nn.ParameterList) and len(pl[:2]) == 2
    pd = nn.ParameterDict({'x': mg.ones(1)})
    p = pd.pop('x')
    assert isinstance(p, nn.Parameter) and len(pd) == 0 and pd.get('x') is None
    with pytest.raises(NotImplementedError):
        pl(mg.zeros(1))


def test_tensor_wrapped_by_a_parameter_container_shares_memory():
    t = mg.zeros(3)
    pl = nn.ParameterList([t])
    pl[0].data[0] = 5
    assert t.data[0] == 5 and pl[0].requires_grad


# ----- nn.utils -----
def test_parameters_to_vector_and_back_as_torch():
    def script(lib):
        net = _net(lib)
        vec = lib.nn.utils.parameters_to_vector(net.parameters())
        (vec * lib.arange(vec.numel()).to(vec.dtype)).sum().backward()
        grads = [_values(p.grad) for p in net.parameters()]
        lib.nn.utils.vector_to_parameters(vec.detach() * 2, net.parameters())
        return [tuple(vec.shape), _values(vec), grads, _values(net(lib.tensor(X)))]
    _both(script)


def test_vector_to_parameters_errors():
    net = _net(mg)
    with pytest.raises(TypeError, match="expected a minigrad Tensor, but got ndarray"):
        nn.utils.vector_to_parameters(np.zeros(26), net.parameters())
    with pytest.raises(ValueError, match=r"vec of shape \(5,\) must be 1-d with one entry per parameter entry \(26\)"):
        nn.utils.vector_to_parameters(mg.zeros(5), net.parameters())


def test_clip_grad_value_as_torch():
    def script(lib):
        net = _net(lib)
        (net(lib.tensor(X)) ** 3).sum().backward()
        lib.nn.utils.clip_grad_value_(net.parameters(), 0.5, foreach=None)
        lib.nn.utils.clip_grad_norm_(net.parameters(), 1.0, foreach=None)
        return [_values(p.grad) for p in net.parameters()]
    _both(script)


def test_nn_parameter_module_path():
    assert nn.parameter.Parameter is nn.Parameter
    assert nn.parameter.is_lazy(nn.parameter.UninitializedParameter())
    assert not nn.parameter.is_lazy(nn.Parameter(mg.ones(1)))
