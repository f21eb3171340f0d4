"""Fixtures of the kernel tests: the emulator, and the runtime each test runs its kernels on."""
import numpy as np
import pytest

import cuda_emulator
from minigrad import backend
from minigrad.cuda import kernels


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    if cuda_emulator.compiler() is None:
        pytest.skip("g++ is needed to emulate the CUDA kernels on the CPU")
    return cuda_emulator.Emulator(str(tmp_path_factory.mktemp("kernels")))


@pytest.fixture(params=["emulated", "cupy"])
def runtime(request):
    """Installs the runtime the kernels launch on and gives (array module, device name); puts the
    previous one back after the test (the emulated pass, ``-p emulated_kernels``, installs one for the session)."""
    previous = kernels._runtime
    if request.param == "emulated":
        kernels.set_runtime(request.getfixturevalue("emulator"))
        yield np, "cpu"
    else:
        if backend.default_device() != "cuda" or backend.cuda_module().__name__ != "cupy":
            pytest.skip("needs a GPU: run the suite with --device cuda")
        kernels.set_runtime(None)
        yield backend.cuda_module(), "cuda"
    kernels.set_runtime(previous)
    kernels.enabled = True
