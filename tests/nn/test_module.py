"""Module, Parameter and the containers.

- registration by attribute assignment (parameters, buffers, children), and the errors of wrong
  assignments;
- walking the tree: names and order as PyTorch, shared parameters once;
- train/eval, zero_grad, apply, to(dtype/device) keeping Parameter identity;
- state_dict keys equal to PyTorch's for the same model, load_state_dict from PyTorch (outputs
  then agree) and its one error listing every missing, unexpected and mis-shaped key;
- repr identical to PyTorch's; Sequential / ModuleList / ModuleDict behaviour.
"""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from helpers import assert_close, copy_state, to_numpy


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(mg.ones(4))
        self.register_buffer('offset', mg.zeros(4))
        self.register_buffer('scratch', mg.zeros(2), persistent=False)

    def forward(self, x):
        return self.norm(self.fc(x)) * self.scale + self.offset


def torch_block():
    torch = pytest.importorskip("torch")

    class TorchBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 4)
            self.norm = torch.nn.BatchNorm1d(4)
            self.scale = torch.nn.Parameter(torch.ones(4))
            self.register_buffer('offset', torch.zeros(4))
            self.register_buffer('scratch', torch.zeros(2), persistent=False)

        def forward(self, x):
            return self.norm(self.fc(x)) * self.scale + self.offset
    return TorchBlock()


# ----- Parameter -----
def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(mg.zeros(2, 3))
    assert isinstance(p, nn.Parameter) and isinstance(p, mg.Tensor)
    assert p.requires_grad and p.is_leaf and p.shape == (2, 3)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(mg.zeros(2), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_shares_memory_with_its_tensor():
    t = mg.zeros(3)
    p = nn.Parameter(t)
    t.data[0] = 5.0
    assert p.data[0] == 5.0


def test_operations_on_parameters_give_plain_tensors():
    p = nn.Parameter(mg.ones(2))
    assert type(p * 2) is mg.Tensor and type(p.detach()) is mg.Tensor


# ----- registration -----
def test_attributes_register_parameters_buffers_and_children():
    b = Block()
    assert list(b._parameters) == ['scale']
    assert list(b._buffers) == ['offset', 'scratch']
    assert list(b._modules) == ['fc', 'norm']
    assert [n for n, _ in b.named_parameters()] == ['scale', 'fc.weight', 'fc.bias', 'norm.weight', 'norm.bias']
    assert [n for n, _ in b.named_buffers()] == [
        'offset', 'scratch', 'norm.running_mean', 'norm.running_var', 'norm.num_batches_tracked']
    assert [n for n, _ in b.named_children()] == ['fc', 'norm']
    assert [n for n, _ in b.named_modules()] == ['', 'fc', 'norm']
    assert list(b.children()) == [b.fc, b.norm]
    assert len(list(b.modules())) == 3
    assert b.fc.weight is b._modules['fc']._parameters['weight']


def test_names_match_torch():
    ref = torch_block()
    b = Block()
    assert [n for n, _ in b.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in b.named_buffers()] == [n for n, _ in ref.named_buffers()]
    assert [n for n, _ in b.named_modules()] == [n for n, _ in ref.named_modules()]


def test_shared_parameter_is_listed_once():
    a = nn.Linear(2, 2)
    model = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(model.parameters())) == 2
    assert model.num_parameters() == 6
    assert [n for n, _ in model.named_modules()] == ['', '0', '1']
    # but state_dict keeps both names, as PyTorch does
    assert list(model.state_dict()) == ['0.weight', '0.bias', '2.weight', '2.bias']


def test_num_parameters_counts_trainable_ones():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    assert model.num_parameters() == 3 * 4 + 4 + 4 * 2 + 2
    model[0].requires_grad_(False)
    assert model.num_parameters(only_trainable=True) == 4 * 2 + 2


def test_setting_none_keeps_the_slot():
    lin = nn.Linear(2, 3, bias=False)
    assert lin.bias is None and 'bias' in lin._parameters
    assert [n for n, _ in lin.named_parameters()] == ['weight']
    lin.weight = None
    assert lin.weight is None and list(lin.parameters()) == []


def test_wrong_assignments_raise():
    lin = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'"):
        lin.weight = mg.zeros(3, 2)
    block = Block()
    with pytest.raises(TypeError, match="child module 'fc'"):
        block.fc = 3
    with pytest.raises(TypeError, match="buffer 'offset'"):
        block.offset = [1, 2]
    with pytest.raises(KeyError, match="contain '.'"):
        block.register_buffer('a.b', mg.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        block.register_buffer('forward', mg.zeros(1))
    with pytest.raises(TypeError, match="minigrad.nn.Parameter or None"):
        block.register_parameter('w', mg.zeros(1))


def test_assignment_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
            super().__init__()
    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Bad()


def test_plain_attributes_and_reassignment():
    b = Block()
    b.note = 'hello'
    assert b.note == 'hello' and 'note' not in b._parameters
    b.note = nn.Parameter(mg.zeros(1))   # a plain attribute turned into a parameter
    assert 'note' in b._parameters and 'note' not in b.__dict__
    del b.note
    assert 'note' not in b._parameters
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'missing'"):
        b.missing
    del b.fc
    assert 'fc' not in b._modules


def test_child_may_override_a_class_attribute():
    class Model(nn.Module):
        head = None                      # a default, replaced by a layer in __init__

        def __init__(self):
            super().__init__()
            self.head = nn.Linear(2, 1)
    assert [n for n, _ in Model().named_parameters()] == ['head.weight', 'head.bias']


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="Empty has no forward"):
        type('Empty', (nn.Module,), {})()(mg.zeros(1))


def test_get_submodule():
    model = nn.Sequential(OrderedDict(enc=nn.Sequential(nn.Linear(2, 2)), head=nn.Linear(2, 1)))
    assert model.get_submodule('enc.0') is model.enc[0]
    assert model.get_submodule('') is model
    with pytest.raises(AttributeError, match="no submodule 'x'"):
        model.get_submodule('enc.x')


# ----- modes, gradients, apply -----
def test_train_and_eval_reach_every_module():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model[1][0].training
    with pytest.raises(ValueError, match="bool"):
        model.train('yes')


def test_zero_grad():
    lin = nn.Linear(3, 2)
    lin(mg.ones(4, 3)).sum().backward()
    assert lin.weight.grad is not None
    lin.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(to_numpy(lin.weight.grad), 0)
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None


def test_apply_visits_children_first():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ['Linear', 'ReLU', 'Sequential', 'Sequential']

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)
    model.apply(init_weights)
    np.testing.assert_array_equal(to_numpy(model[0].weight), 0)


def test_to_dtype_keeps_parameter_objects():
    model = Block()
    model(mg.randn(5, 3)).sum().backward()
    params = list(model.parameters())
    assert model.to(mg.float64) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.dtype == mg.float64 and p.grad.dtype == mg.float64 for p in params)
    assert model.norm.running_var.dtype == mg.float64
    assert model.norm.num_batches_tracked.dtype == mg.int64        # integer buffers are not cast
    assert model(mg.randn(5, 3, dtype=mg.float64)).dtype == mg.float64
    model.float()
    assert model.fc.weight.dtype == mg.float32
    with pytest.raises(TypeError, match="floating point"):
        model.to(mg.int64)


def test_deepcopy_gives_independent_parameters():
    model = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3))
    twin = copy.deepcopy(model)
    assert twin[0].weight is not model[0].weight
    assert isinstance(twin[0].weight, nn.Parameter)
    np.testing.assert_array_equal(to_numpy(twin[0].weight), to_numpy(model[0].weight))
    with mg.no_grad():
        twin[0].weight.fill_(0)
    assert np.abs(to_numpy(model[0].weight)).sum() > 0


def test_to_another_device_and_back(device):
    if not mg.cuda.is_available():
        with pytest.raises(RuntimeError, match="CuPy"):
            nn.Linear(2, 2).to('cuda')
        return
    lin = nn.Linear(2, 2)
    w = lin.weight
    other = 'cpu' if device == 'cuda' else 'cuda'
    lin.to(other)
    assert lin.weight is w and w.device == other
    lin.to(device)
    assert w.device == device


# ----- state_dict -----
def test_state_dict_keys_and_values():
    ref = torch_block()
    b = Block()
    sd = b.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == list(ref.state_dict())
    assert 'scratch' not in sd                                # non-persistent buffer
    for key, value in sd.items():
        assert tuple(value.shape) == tuple(ref.state_dict()[key].shape), key
        assert not value.requires_grad
    sd['fc.weight'].data[0, 0] = 42.0                        # detached, but the same memory
    assert b.fc.weight.data[0, 0] == 42.0
    assert sd['norm.num_batches_tracked'].dtype == mg.int64


def test_load_state_dict_from_torch_gives_same_outputs():
    torch = pytest.importorskip("torch")
    ref = torch_block()
    with torch.no_grad():
        ref.scale.normal_()
        ref.offset.normal_()
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    ref(torch.tensor(x))              # one training step moves the running statistics
    b = Block()
    copy_state(ref, b)
    assert_close(b.norm.running_mean, ref.norm.running_mean)
    assert int(b.norm.num_batches_tracked.item()) == 1
    ref.eval()
    b.eval()
    assert_close(b(mg.tensor(x)), ref(torch.tensor(x)), atol=1e-6)


def test_load_state_dict_accepts_tensors_and_torch_tensors():
    torch = pytest.importorskip("torch")
    src, dst = nn.Linear(3, 2), nn.Linear(3, 2)
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert_close(dst.weight, src.weight, atol=0)
    ref = torch.nn.Linear(3, 2)
    dst.load_state_dict(ref.state_dict())                    # PyTorch tensors directly
    assert_close(dst.weight, ref.weight, atol=0)
    assert dst.weight.dtype == mg.float32


def test_load_state_dict_casts_to_the_parameter_dtype():
    lin = nn.Linear(2, 2)
    lin.load_state_dict({'weight': np.ones((2, 2)), 'bias': np.zeros(2)})    # float64 arrays
    assert lin.weight.dtype == mg.float32
    np.testing.assert_array_equal(to_numpy(lin.weight), 1)


def test_load_state_dict_lists_every_problem_at_once():
    b = Block()
    before = to_numpy(b.fc.bias).copy()
    state = {k: to_numpy(v) for k, v in b.state_dict().items()}
    del state['scale']
    del state['norm.running_var']
    state['fc.weight'] = np.zeros((5, 3), np.float32)
    state['fc.bias'] = before + 1
    state['extra.weight'] = np.zeros(2, np.float32)
    with pytest.raises(RuntimeError) as err:
        b.load_state_dict(state)
    msg = str(err.value)
    assert 'Error(s) in loading state_dict for Block' in msg
    assert 'Missing key(s) in state_dict: "scale", "norm.running_var".' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight".' in msg
    assert ('size mismatch for fc.weight: copying a param with shape (5, 3) from checkpoint, '
            'the shape in current model is (4, 3).') in msg
    np.testing.assert_array_equal(to_numpy(b.fc.bias), before)     # nothing was copied


def test_load_state_dict_non_strict():
    b = Block()
    result = b.load_state_dict({'fc.bias': np.arange(4, dtype=np.float32), 'junk': np.zeros(1)}, strict=False)
    assert result.unexpected_keys == ['junk']
    assert 'fc.weight' in result.missing_keys and 'scale' in result.missing_keys
    assert result == (result.missing_keys, result.unexpected_keys)
    np.testing.assert_array_equal(to_numpy(b.fc.bias), np.arange(4))
    with pytest.raises(RuntimeError, match="size mismatch for fc.bias"):   # shapes are checked even so
        b.load_state_dict({'fc.bias': np.zeros(3)}, strict=False)
    with pytest.raises(TypeError, match="dict"):
        b.load_state_dict([1, 2])


def test_load_state_dict_round_trip_through_the_model():
    a, b = Block(), Block()
    a(mg.randn(4, 3))
    b.load_state_dict(a.state_dict())
    a.eval()
    b.eval()
    x = mg.randn(2, 3)
    assert_close(a(x), b(x), atol=0)


# ----- repr -----
def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.1), nn.Linear(3, 1, bias=False)),
         torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                             torch.nn.Linear(3, 1, bias=False))),
        (nn.Sequential(OrderedDict(emb=nn.Embedding(10, 4, padding_idx=0), norm=nn.LayerNorm(4),
                                   act=nn.GELU('tanh'), flat=nn.Flatten(), sm=nn.Softmax(dim=1))),
         torch.nn.Sequential(OrderedDict(emb=torch.nn.Embedding(10, 4, padding_idx=0), norm=torch.nn.LayerNorm(4),
                                         act=torch.nn.GELU('tanh'), flat=torch.nn.Flatten(),
                                         sm=torch.nn.Softmax(dim=1)))),
        (nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)),
        (nn.BatchNorm1d(3, affine=False), torch.nn.BatchNorm1d(3, affine=False)),
        (nn.LayerNorm((2, 3), bias=False), torch.nn.LayerNorm((2, 3), bias=False)),
        (nn.LeakyReLU(), torch.nn.LeakyReLU()),
        (nn.Bilinear(2, 3, 4), torch.nn.Bilinear(2, 3, 4)),
        (nn.Unflatten(1, (2, 3)), torch.nn.Unflatten(1, (2, 3))),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
        (nn.Identity(), torch.nn.Identity()),
        (nn.Softplus(), torch.nn.Softplus()),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_repr_of_custom_module():
    assert repr(Block()).splitlines() == [
        'Block(',
        '  (fc): Linear(in_features=3, out_features=4, bias=True)',
        '  (norm): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)',
        ')']


# ----- containers -----
def test_sequential_runs_in_order_and_indexes():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = mg.randn(4, 2)
    assert_close(seq(x), seq[2](seq[1](seq[0](x))), atol=0)
    assert len(seq) == 3 and seq[-1] is seq[2]
    assert [type(m).__name__ for m in seq] == ['Linear', 'ReLU', 'Linear']
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head._modules) == ['0', '1'] and head[0] is seq[0]
    seq.append(nn.Sigmoid())
    assert list(seq._modules) == ['0', '1', '2', '3']
    del seq[1]
    assert list(seq._modules) == ['0', '1', '2'] and isinstance(seq[1], nn.Linear)
    seq[0] = nn.Identity()
    assert isinstance(seq[0], nn.Identity)
    with pytest.raises(IndexError, match="index 5 is out of range for 3"):
        seq[5]


def test_sequential_with_names():
    seq = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2), act=nn.Tanh()))
    assert seq.fc is seq[0]
    assert list(seq.state_dict()) == ['fc.weight', 'fc.bias']


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and layers[-1] is layers[2]
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in layers] == ['Sigmoid', 'Linear', 'Linear', 'Linear', 'ReLU', 'Tanh']
    assert list(layers._modules) == [str(i) for i in range(6)]
    del layers[0]
    assert isinstance(layers[0], nn.Linear) and len(layers) == 5
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    layers += [nn.Identity()]
    assert len(layers) == 6
    assert list(layers.state_dict())[:2] == ['0.weight', '0.bias']
    with pytest.raises(NotImplementedError):
        layers(mg.zeros(1))


def test_module_dict():
    d = nn.ModuleDict({'a': nn.Linear(2, 2), 'b': nn.ReLU()})
    assert list(d) == ['a', 'b'] and 'a' in d and len(d) == 2
    d['c'] = nn.Tanh()
    d.update([('e', nn.Identity())])
    assert list(d.keys()) == ['a', 'b', 'c', 'e']
    assert d.pop('b').__class__ is nn.ReLU
    del d['c']
    assert [k for k, _ in d.items()] == ['a', 'e'] and len(list(d.values())) == 2
    assert list(d.state_dict()) == ['a.weight', 'a.bias']


def test_container_state_dict_keys_match_torch():
    torch = pytest.importorskip("torch")
    ours = nn.ModuleDict({'enc': nn.ModuleList([nn.Linear(2, 2), nn.LayerNorm(2)]),
                          'head': nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))})
    theirs = torch.nn.ModuleDict({'enc': torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.LayerNorm(2)]),
                                  'head': torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_state(theirs, ours)
