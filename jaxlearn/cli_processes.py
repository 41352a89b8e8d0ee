"""Multi-process runs of `jaxlearn train`: the coordinator options (or $JAXLEARN_* variables),
checked, and the joining through `jax.distributed` (gloo between CPU processes)."""

import sys
import time

# Multi-process runs: the options, or these environment variables (the options win)
PROCESS_ENV = {"coordinator": "JAXLEARN_COORDINATOR", "num_processes": "JAXLEARN_NUM_PROCESSES",
               "process_id": "JAXLEARN_PROCESS_ID"}


def _process_settings(args) -> dict | None:
    """{coordinator, num_processes, process_id} from the options and environment, checked; None
    for a single-process run; {} to let JAX detect the cluster (--cluster-auto: SLURM and others)."""
    import os

    if args.cluster_auto:
        return {}
    given = {name: getattr(args, name) if getattr(args, name) is not None else os.environ.get(env)
             for name, env in PROCESS_ENV.items()}
    if all(value is None for value in given.values()):
        return None
    missing = [f"--{name.replace('_', '-')} (or ${PROCESS_ENV[name]})"
               for name, value in given.items() if value is None]
    if missing:
        raise ValueError(f"a multi-process run needs --coordinator, --num-processes and --process-id; missing "
                         f"{', '.join(missing)}")
    host, _, port = str(given["coordinator"]).rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--coordinator must be HOST:PORT (process 0's address and a free port), got "
                         f"{given['coordinator']!r}")
    try:
        count, index = int(given["num_processes"]), int(given["process_id"])
    except ValueError:
        raise ValueError(f"--num-processes and --process-id must be integers, got {given['num_processes']!r} and "
                         f"{given['process_id']!r}") from None
    if count < 1:
        raise ValueError(f"--num-processes must be ≥ 1, got {count}")
    if not 0 <= index < count:
        raise ValueError(f"--process-id must be in [0, {count}) for --num-processes {count}, got {index}")
    return {"coordinator_address": str(given["coordinator"]), "num_processes": count, "process_id": index}


def _wait_for_coordinator(address: str, timeout: float) -> None:
    """Process 1 … P−1: poll process 0's coordinator port until it accepts, or raise after timeout
    (JAX itself would abort the whole process, with a C++ stack trace, when it cannot connect)."""
    import socket

    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=max(0.1, min(2.0, deadline - time.monotonic()))):
                return
        except OSError as err:
            if time.monotonic() >= deadline:
                raise ConnectionError(
                    f"could not join the other processes through {address} within {timeout:g} s (nothing answers "
                    f"there: {err}); start process 0 (--process-id 0) with the same --coordinator, its own address "
                    "and a free port, and every process with the same --num-processes") from None
            time.sleep(0.2)


def _join_processes(settings: dict, timeout: int) -> None:
    """jax.distributed.initialize before any JAX work; on CPUs the processes talk over gloo.

    If not every process joins within the timeout, JAX ends the process (DEADLINE_EXCEEDED); a
    process other than 0 first checks that the coordinator answers, with a clear message."""
    import jax

    if settings.get("process_id", 0) != 0:
        _wait_for_coordinator(settings["coordinator_address"], timeout)
    if settings:
        print(f"process {settings['process_id']} of {settings['num_processes']}: joining through "
              f"{settings['coordinator_address']} (waiting up to {timeout} s for all of them)", file=sys.stderr)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")   # CPU devices across processes
    jax.distributed.initialize(**settings, initialization_timeout=timeout)
