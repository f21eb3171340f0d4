"""The command line: ``python -m minigrad`` (the tour) and ``python -m minigrad demo``."""
import os
import subprocess
import sys

import pytest

import minigrad
from minigrad.__main__ import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_tour_runs_as_a_module():
    done = subprocess.run([sys.executable, '-m', 'minigrad'], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'w.grad (computed by minigrad)' in done.stdout
    assert 'gradients agree: True' in done.stdout
    assert 'in float64: passed' in done.stdout


def test_demo_help_lists_its_options(capsys):
    with pytest.raises(SystemExit) as info:
        main(['demo', '--help'])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ('--epochs', '--device', '{cpu,cuda}', '--out', '--seed'):
        assert option in out


def test_demo_writes_a_plot_and_a_checkpoint(tmp_path, capsys):
    pytest.importorskip('sklearn')
    pytest.importorskip('matplotlib')
    out = tmp_path / 'demo'
    assert main(['demo', '--epochs', '1', '--out', str(out), '--quiet']) == 0
    printed = capsys.readouterr().out
    assert 'test accuracy:' in printed and str(out) in printed
    with open(out / 'training.png', 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    checkpoint = minigrad.load(out / 'digits_cnn.npz')
    assert checkpoint['epoch'] == 1 and len(checkpoint['history']['test_acc']) == 1
    from minigrad.demo import DigitsCNN
    model = DigitsCNN()
    model.load_state_dict(checkpoint['model'])
    optimizer = minigrad.optim.Adam(model.parameters())
    optimizer.load_state_dict(checkpoint['optim'])
    assert all(s['step'] == 45 for s in optimizer.state.values())     # 1,438 images in batches of 32


@pytest.mark.parametrize('argv, message', [
    (['demo', '--epochs', '0'], '--epochs must be at least 1'),
    (['demo', '--device', 'tpu'], "invalid choice: 'tpu'"),
])
def test_demo_rejects_bad_options(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_demo_on_cuda_without_a_gpu_says_so(capsys):
    if minigrad.cuda.is_available():
        pytest.skip('a GPU is available here')
    with pytest.raises(SystemExit):
        main(['demo', '--device', 'cuda'])
    assert 'CuPy' in capsys.readouterr().err
