"""One process of a multi-process `jaxlearn train` run, for tests/test_parallel.py, which starts
two of them on this machine (gloo between them, one CPU device each).

    python tests/multi_process_checks.py DATA_ROOT STOP_AFTER_EPOCH -- <jaxlearn train options>

DATA_ROOT holds the tiny data set of tests/tiny_data.py, written beforehand (its checksums are
accepted here, as the tests' fixture does); STOP_AFTER_EPOCH > 0 interrupts every process after that epoch (as Ctrl-C
would), so that a resume can continue the run; 0 runs to the end. Exits with the CLI's status
(130 when interrupted).
"""

import sys
from pathlib import Path

from jaxlearn import cli
from jaxlearn.data import mnist as mnist_module
from jaxlearn.training import runs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.tiny_data import tiny_mnist_hashes  # noqa: E402


def main() -> int:
    root, stop_after = Path(sys.argv[1]), int(sys.argv[2])
    options = sys.argv[sys.argv.index("--") + 1:]
    mnist_module.SHA256["mnist"] = tiny_mnist_hashes(root)
    if stop_after:
        fit = runs.fit

        def fit_then_stop(*args, on_epoch_end=None, **kwargs):
            def callback(epoch, state, history):
                on_epoch_end(epoch, state, history)
                if epoch == stop_after:
                    raise KeyboardInterrupt

            return fit(*args, on_epoch_end=callback, **kwargs)

        runs.fit = fit_then_stop
    try:
        return cli.main(["train", "--data-dir", str(root), *options])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
