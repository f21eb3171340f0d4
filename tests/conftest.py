"""Test-suite configuration: which device the tests run on.

Every test creates its tensors with the *default* device, so the whole suite can be re-run on
the GPU without touching a test:

    pytest tests                      # CPU (NumPy)
    pytest tests --device cuda        # GPU (CuPy)
    MINIGRAD_DEVICE=cuda pytest tests # the same, for CI scripts
    pytest tests --device fake        # the 'cuda' path on a NumPy stand-in for CuPy (no GPU needed)

The option is read once, before any test is collected, and handed to
``minigrad.backend.set_default_device``; asking for ``'cuda'`` where CuPy or a GPU is missing
fails at start-up with minigrad's own "how to install CuPy" message.
"""
import os
import sys

# One BLAS thread: the suite's matrices are small, and on a busy 2-core machine BLAS threads make
# small products tens of times slower. Set before NumPy is first imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402

# ``import harness`` (the shared op-test harness, tests/harness.py) from any test folder,
# whatever pytest's import mode.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_addoption(parser):
    parser.addoption(
        "--device", default=os.environ.get("MINIGRAD_DEVICE", "cpu"),
        help="device the tests create tensors on: 'cpu' (default), 'cuda', or 'fake' (CuPy's test "
             "double on NumPy, for the device path without a GPU); "
             "the environment variable MINIGRAD_DEVICE sets the default")


def pytest_configure(config):
    from minigrad import backend
    device = config.getoption("--device")
    if device == "fake":
        # the CuPy test double (tests/fake_cupy.py) plays the GPU: the 'cuda' path runs in CI
        import fake_cupy
        backend.set_cuda_module(fake_cupy.fake)
        device = "cuda"
    backend.set_default_device(device)


def pytest_report_header(config):
    return f"minigrad device: {config.getoption('--device')}"


@pytest.fixture
def device():
    """The device tests run on (``'cpu'`` or ``'cuda'``), for tests that must name it."""
    from minigrad import backend
    return backend.default_device()
