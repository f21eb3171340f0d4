"""Shape ops (reshape view transpose permute unsqueeze squeeze flatten expand broadcast_to
contiguous repeat split chunk, cat, stack) — rows of the shared op table (tests/harness.py).
Their gradients only move numbers around: reshape back, transpose back, sum over what expand
or repeat copied, and scatter the pieces of split/chunk back into place.
"""
import numpy as np

import minigrad as mg
from harness import Case, op_tests

CASES = [
    # reshape / view, with -1, to and from 0-d
    Case("reshape", lambda x: x.reshape(6, 4), inputs=[((2, 3, 4),)]),
    Case("reshape_tuple_infer", lambda x: x.reshape((4, -1)), inputs=[((2, 3, 4),), ((8,),)]),
    Case("reshape_to_0d", lambda x: x.reshape(()), inputs=[((1, 1),), ((),)]),
    Case("reshape_from_0d", lambda x: x.reshape(1, 1), inputs=[((),)]),
    Case("reshape_empty", lambda x: x.reshape(3, 0), inputs=[((0, 3),)]),
    Case("view", lambda x: x.view(3, 8), lambda x: x.reshape(3, 8), inputs=[((2, 3, 4),)]),
    Case("view_flat", lambda x: x.view(-1), lambda x: x.reshape(-1), inputs=[((2, 3, 4),), ((),)]),
    # transpose / permute / T, with negative dims
    Case("transpose", lambda x: x.transpose(0, 1), lambda x: np.swapaxes(x, 0, 1), inputs=[((2, 3, 4),), ((3, 2),)]),
    Case("transpose_neg", lambda x: x.transpose(-1, 0), lambda x: np.swapaxes(x, -1, 0), inputs=[((2, 3, 4),)]),
    Case("T", lambda x: x.T, inputs=[((2, 3),)]),
    Case("permute", lambda x: x.permute(2, 0, 1), lambda x: np.transpose(x, (2, 0, 1)), inputs=[((2, 3, 4),)]),
    Case("permute_tuple_neg", lambda x: x.permute((-1, 0, 1)), lambda x: np.transpose(x, (2, 0, 1)),
         inputs=[((2, 3, 4),)]),
    # unsqueeze / squeeze
    Case("unsqueeze0", lambda x: x.unsqueeze(0), lambda x: np.expand_dims(x, 0), inputs=[((3, 4),), ((),)]),
    Case("unsqueeze_neg", lambda x: x.unsqueeze(-1), lambda x: np.expand_dims(x, -1), inputs=[((3, 4),)]),
    Case("unsqueeze_mid", lambda x: x.unsqueeze(1), lambda x: np.expand_dims(x, 1), inputs=[((3, 4),)]),
    Case("squeeze_all", lambda x: x.squeeze(), np.squeeze, inputs=[((1, 3, 1),), ((1,),)]),
    Case("squeeze0", lambda x: x.squeeze(0), lambda x: np.squeeze(x, 0), inputs=[((1, 3, 1),)]),
    Case("squeeze_neg", lambda x: x.squeeze(-1), lambda x: np.squeeze(x, -1), inputs=[((1, 3, 1),)]),
    Case("squeeze_not_one", lambda x: x.squeeze(1), lambda x: x, inputs=[((1, 3, 1),)]),   # size 3: unchanged
    Case("squeeze_tuple", lambda x: x.squeeze((0, 2)), lambda x: np.squeeze(x, (0, 2)), inputs=[((1, 3, 1),)]),
    # flatten
    Case("flatten", lambda x: x.flatten(), inputs=[((2, 3, 4),), ((),)]),
    Case("flatten_start1", lambda x: x.flatten(1), lambda x: x.reshape(x.shape[0], -1), inputs=[((2, 3, 4),)]),
    Case("flatten_0_1", lambda x: x.flatten(0, 1), lambda x: x.reshape(-1, x.shape[2]), inputs=[((2, 3, 4),)]),
    Case("flatten_neg", lambda x: x.flatten(start_dim=-2, end_dim=-1), lambda x: x.reshape(x.shape[0], -1),
         inputs=[((2, 3, 4),)]),
    # expand / broadcast_to / contiguous / repeat: the gradient sums over the copies
    Case("expand", lambda x: x.expand(3, 4), lambda x: np.broadcast_to(x, (3, 4)), inputs=[((3, 1),), ((),)]),
    Case("expand_new_dims", lambda x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)),
         inputs=[((3, 1),), ((1,),)]),
    Case("expand_minus1", lambda x: x.expand(-1, 4), lambda x: np.broadcast_to(x, (3, 4)), inputs=[((3, 1),)]),
    Case("expand_tuple", lambda x: x.expand((5,)), lambda x: np.broadcast_to(x, (5,)), inputs=[((1,),)]),
    Case("broadcast_to", lambda x: x.broadcast_to((2, 3, 5)), lambda x: np.broadcast_to(x, (2, 3, 5)),
         inputs=[((3, 1),), ((5,),)]),
    Case("contiguous", lambda x: x.transpose(0, 1).contiguous(), lambda x: np.swapaxes(x, 0, 1),
         inputs=[((2, 3),)]),
    Case("repeat", lambda x: x.repeat(2, 1), lambda x: np.tile(x, (2, 1)), inputs=[((2, 3),)]),
    Case("repeat_new_dim", lambda x: x.repeat(1, 2, 3), lambda x: np.tile(x, (1, 2, 3)), inputs=[((2, 3),)]),
    Case("repeat_tuple", lambda x: x.repeat((2, 2)), lambda x: np.tile(x, (2, 2)), inputs=[((2, 1),)]),
    Case("repeat_0d", lambda x: x.repeat(3), lambda x: np.tile(x, 3), inputs=[((),)]),
    # split / chunk: several outputs, each gets its own gradient
    Case("split_size", lambda x: x.split(2, dim=0), lambda x: np.split(x, [2, 4], 0), inputs=[((5, 3),)]),
    Case("split_sizes", lambda x: x.split([1, 4]), lambda x: np.split(x, [1], 0), inputs=[((5, 3),)]),
    Case("split_last", lambda x: x.split(1, dim=-1), lambda x: np.split(x, 3, -1), inputs=[((2, 3),)]),
    Case("chunk", lambda x: x.chunk(2, dim=1), lambda x: np.split(x, [3], 1), inputs=[((3, 5),)]),
    Case("chunk_even", lambda x: x.chunk(3), lambda x: np.split(x, 3), inputs=[((6,),)]),
    # chunk(4) of 6 gives chunks of ceil(6/4) = 2, so three of them (as PyTorch)
    Case("chunk_fewer", lambda x: x.chunk(4), lambda x: np.split(x, 3), inputs=[((6,),)]),
    # cat / stack
    Case("cat0", lambda a, b: mg.cat([a, b]), lambda a, b: np.concatenate([a, b]),
         inputs=[((2, 3), (4, 3)), ((3,), (2,))]),
    Case("cat_empty", lambda a, b: mg.cat([a, b]), lambda a, b: np.concatenate([a, b]), inputs=[((0, 3), (2, 3))]),
    Case("cat_neg", lambda a, b: mg.cat((a, b), dim=-1), lambda a, b: np.concatenate([a, b], -1),
         inputs=[((2, 3), (2, 1))]),
    Case("cat3", lambda a, b, c: mg.cat([a, b, c], dim=1), lambda a, b, c: np.concatenate([a, b, c], 1),
         inputs=[((2, 1, 4), (2, 3, 4), (2, 2, 4))]),
    Case("stack0", lambda a, b: mg.stack([a, b]), lambda a, b: np.stack([a, b]),
         inputs=[((3, 4), (3, 4)), ((), ())]),
    Case("stack_neg", lambda a, b: mg.stack((a, b), dim=-1), lambda a, b: np.stack([a, b], -1),
         inputs=[((3, 4), (3, 4))]),
    Case("stack3_mid", lambda a, b, c: mg.stack([a, b, c], dim=1), lambda a, b, c: np.stack([a, b, c], 1),
         inputs=[((2, 3), (2, 3), (2, 3))]),
]

test_forward, test_float32, test_gradcheck, test_gradgradcheck = op_tests(CASES)


def test_view_shares_memory_with_its_base():
    x = mg.zeros(2, 3)
    v = x.view(6)
    v[0] = 5.0
    assert x[0, 0].item() == 5.0


def test_expand_gradient_sums_over_copies():
    x = mg.tensor([[1.0], [2.0]], requires_grad=True)
    x.expand(2, 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3.0], [3.0]])
