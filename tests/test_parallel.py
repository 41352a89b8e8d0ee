"""Data parallelism (`jaxlearn.parallel`): on one device here, and on four fake CPU
devices in a subprocess (tests/multi_device_checks.py), whose results must equal one device's."""

import json
import os
import re
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
    checks = ["fit_equals_one_device", "cnn_equals_one_device", "resume_on_other_devices",
              "evaluation_and_svm_on_four_devices", "sweep_over_four_devices", "batch_is_split_and_gradient_reduced",
              "batch_size_must_split"]
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


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_processes(tiny_idx_folder, options_per_process, stop_after=0):
    """Start one multi_process_checks.py process per options list (one CPU device each); wait for
    all (at most 240 s), stop them all if one fails; return their (status, output)."""
    root, _ = tiny_idx_folder
    script = Path(__file__).with_name("multi_process_checks.py")
    env = os.environ | {"JAX_NUM_CPU_DEVICES": "1", "JAX_PLATFORMS": "cpu", "JAXLEARN_COMPILATION_CACHE": "0"}
    processes = [subprocess.Popen([sys.executable, str(script), str(root), str(stop_after), "--", *options], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for options in options_per_process]
    try:
        return [(p.wait(timeout=240), p.stdout.read()) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
            p.stdout.close()


def test_two_processes_train_as_one_and_one_process_resumes(tmp_path, tiny_idx_folder, tiny_data):
    """jaxlearn train over two local processes joined on gloo, interrupted after epoch 1: only process 0
    wrote its run folder; one process resumes it and ends with the single-process parameters."""
    from jaxlearn.training import runs
    from jaxlearn.training.checkpoint import load_params

    common = ["--hidden", "16", "--epochs", "2", "--batch-size", "100", "--validation-size", "100", "--no-progress",
              "--coordinator", f"127.0.0.1:{free_port()}", "--num-processes", "2", "--coordinator-timeout", "60"]
    results = start_processes(tiny_idx_folder, [[*common, "--process-id", "0", "--out", str(tmp_path / "run")],
                                                [*common, "--process-id", "1", "--out", str(tmp_path / "other")]],
                              stop_after=1)
    assert [status for status, _ in results] == [130, 130], results
    assert (tmp_path / "run" / "checkpoint.npz").is_file() and not (tmp_path / "other").exists()
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["devices"] == "2 devices (cpu), 2 processes"
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=100)
    single = runs.train_and_evaluate(config, tmp_path / "single", data_dir=tiny_data, validation_size=100,
                                     progress=False, devices=1)
    resumed = runs.train_and_evaluate(None, tmp_path / "run", data_dir=tiny_data, validation_size=100,
                                      progress=False, resume=True, devices=1)
    for (W1, b1), (W2, b2) in zip(load_params(tmp_path / "single" / "params.npz"),
                                  load_params(tmp_path / "run" / "params.npz")):
        np.testing.assert_allclose(W2, W1, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b2, b1, rtol=1e-5, atol=1e-6)
    assert resumed["test_accuracy"] == single["test_accuracy"]


@pytest.mark.parametrize("options, message", [
    (["--coordinator", "127.0.0.1:1", "--num-processes", "2", "--process-id", "2"],
     r"--process-id must be in \[0, 2\) for --num-processes 2, got 2"),
    (["--coordinator", "localhost", "--num-processes", "2", "--process-id", "0"], "--coordinator must be HOST:PORT"),
    (["--num-processes", "2", "--process-id", "0"], r"missing --coordinator \(or \$JAXLEARN_COORDINATOR\)"),
])
def test_bad_process_options_are_named(tmp_path, capsys, options, message):
    from jaxlearn.cli import main

    assert main(["train", "--out", str(tmp_path / "run"), *options]) == 1
    assert re.search(message, capsys.readouterr().err)


def test_a_coordinator_that_never_answers_times_out_with_a_message(tmp_path, tiny_idx_folder):
    options = ["--coordinator", f"127.0.0.1:{free_port()}", "--num-processes", "2", "--process-id", "1",
               "--coordinator-timeout", "3", "--out", str(tmp_path / "run")]
    [(status, output)] = start_processes(tiny_idx_folder, [options])
    assert status == 1 and "could not join the other processes through 127.0.0.1:" in output and "within 3 s" in output
