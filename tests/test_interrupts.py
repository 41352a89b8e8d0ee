"""Ctrl-C always stops a run (jaxlearn.training.interrupts): recorded by a signal handler, acted on
at the run's safe points, never swallowed by JAX's garbage-collection callback.

The end-to-end test sends SIGINT to a real `jaxlearn train` process at many moments: during
start-up and compilation, in the first epoch, between epochs. Every time, the process must exit
130 with a resumable folder (or say that no epoch finished), never finish its 400 epochs.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from jaxlearn import _interrupts as interrupts
from jaxlearn.training.checkpoint import load_checkpoint
from jaxlearn.training.loop import init_state
from jaxlearn.training.runs import read_run_config


def test_an_interrupt_is_recorded_and_raised_at_the_next_check():
    with pytest.raises(KeyboardInterrupt), interrupts.deferred_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)                   # the handler ran, and raised nothing
        assert interrupts.requested()
        interrupts.check()
        pytest.fail("check did not raise")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_after_the_last_check_is_raised_when_the_block_ends():
    with pytest.raises(KeyboardInterrupt), interrupts.deferred_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)


def test_a_second_ctrl_c_stops_at_once():
    with pytest.raises(KeyboardInterrupt), interrupts.deferred_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
        pytest.fail("the second Ctrl-C did not raise")


def test_outside_the_main_thread_nothing_changes():
    seen = []

    def worker():
        with interrupts.deferred_interrupts():
            seen.append(signal.getsignal(signal.SIGINT))
            interrupts.check()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]


def test_the_command_installs_its_handler_before_numpy_or_jax_is_imported():
    # main() installs the Ctrl-C handler; everything `jaxlearn.cli` imports before that must be light,
    # or a Ctrl-C during start-up ends in a traceback from numpy's or JAX's import (exit -2, not 130).
    code = "import sys, jaxlearn.cli; print(sorted(m for m in ('numpy', 'jax') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _interrupted_run(data_dir: Path, out: Path, delay: float, after_start: bool):
    """Start `python -m jaxlearn.cli train` (400 epochs of a small MLP on MNIST), SIGINT it `delay` s
    after it starts (after_start=False) or after it prints "training on"; returns (exit status, output)."""
    env = os.environ | {"PYTHONUNBUFFERED": "1", "JAXLEARN_COMPILATION_CACHE": "0", "JAX_PLATFORMS": "cpu"}
    options = ["--data-dir", str(data_dir), "--hidden", "8", "--epochs", "400", "--batch-size", "1000",
               "--validation-size", "1000", "--no-progress", "--out", str(out)]
    process = subprocess.Popen([sys.executable, "-m", "jaxlearn.cli", "train", *options], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    if after_start:
        for line in process.stdout:
            lines.append(line)
            if line.startswith("training on"):
                break
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=120)
    return process.returncode, "".join(lines) + rest


# Before "training on": importing JAX, parsing, reading config; after it: loading the data,
# compiling the start programs and the epoch, training.
@pytest.mark.parametrize("delay, after_start", [(0.3, False), (0.8, False), (1.5, False), (0.0, True), (0.3, True),
                                                (1.0, True), (2.0, True), (3.0, True)])
def test_ctrl_c_at_any_moment_stops_the_run(tmp_path, data_dir, delay, after_start):
    out = tmp_path / "run"
    status, output = _interrupted_run(data_dir, out, delay, after_start)
    assert "Exception ignored" not in output, output
    assert not (out / "params.npz").exists(), f"the run went on to its end:\n{output}"
    assert status == 130, output
    if (out / "checkpoint.npz").exists():
        assert f"continue with: jaxlearn train --resume --out {out}" in output
        config = read_run_config(out)["config"]
        template, _ = init_state(config, 784, 10, 59000 // config.batch_size)
        _, epoch, history = load_checkpoint(out / "checkpoint.npz", template)
        assert 1 <= epoch < 400 and len(history) == epoch
        assert np.isfinite(history[-1]["train_loss"])
    elif (out / "config.json").exists():
        assert "interrupted before the first epoch finished: no checkpoint was written" in output, output
    else:
        assert output.rstrip().endswith("interrupted"), output
