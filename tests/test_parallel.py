"""Data parallelism (`jaxlearn.parallel`): on one device here, and on four fake CPU
devices in a subprocess (tests/multi_device_checks.py), whose results must equal one device's."""

import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from jaxlearn.parallel import check_batch_size, data_mesh, describe
from jaxlearn.training import TrainConfig, fit

CHECKS = Path(__file__).with_name("multi_device_checks.py")


def run_with_devices(n: int, *checks: str) -> str:
    """Run checks of multi_device_checks.py in a fresh process that sees n CPU devices."""
    env = os.environ | {"JAX_NUM_CPU_DEVICES": str(n), "JAX_PLATFORMS": "cpu", "JAXLEARN_COMPILATION_CACHE": "0"}
    done = subprocess.run([sys.executable, str(CHECKS), *checks], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def test_four_devices_train_the_one_device_parameters():
    checks = ["fit_equals_one_device", "resume_on_other_devices", "evaluation_and_svm_on_four_devices",
              "sweep_over_four_devices",
              "batch_is_split_and_gradient_reduced", "batch_size_must_split"]
    out = run_with_devices(4, *checks)
    assert out.split() == [word for check in checks for word in ("ok", check)]


def test_one_device_takes_the_plain_path():
    assert data_mesh(None) is None and data_mesh(1) is None and data_mesh(jax.devices()) is None
    check_batch_size(7, None)
    assert describe(None) == f"1 device ({jax.devices()[0].platform})"
    X = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    state, _ = fit(TrainConfig(hidden=(4,), epochs=1, batch_size=16), X, (X[:, 0] > 0).astype(int),
                   progress=False, devices=1)
    assert len(state.params[0][0].sharding.device_set) == 1


@pytest.mark.parametrize("devices, error, message", [
    (0, ValueError, r"devices=0: JAX sees 1 device\(s\) \(cpu\); choose 1 … 1"),
    (2, ValueError, r"devices=2: JAX sees 1 device\(s\)"),
    ("gpu", TypeError, "devices must be None, a device count, a sequence of jax devices or a Mesh, got str"),
    (True, TypeError, "devices must be None, a device count"),
    ([], TypeError, "a sequence must hold one or more jax.Device objects"),
    ([0, 1], TypeError, "a sequence must hold one or more jax.Device objects"),
    (jax.devices() * 2, ValueError, "the same device appears twice"),
    (jax.make_mesh((1,), ("batch",)), ValueError, "a Mesh for data parallelism needs an axis named 'data'"),
])
def test_bad_devices_are_named(devices, error, message):
    with pytest.raises(error, match=message):
        data_mesh(devices)


def test_the_command_line_names_too_many_devices(tmp_path, capsys):
    from jaxlearn.cli import main

    assert main(["train", "--out", str(tmp_path / "run"), "--devices", "3", "--no-progress"]) == 1
    assert "devices=3: JAX sees 1 device(s)" in capsys.readouterr().err
