"""The `jaxlearn` command. Thin: argument parsing and printing; the work is in the library."""

import argparse
import platform
import sys

import jaxlearn


def _info(_args) -> int:
    """Versions and devices: what a bug report needs."""
    import jax
    import numpy as np
    import optax

    print(f"jaxlearn {jaxlearn.__version__}")
    print(f"python   {platform.python_version()} ({platform.machine()})")
    print(f"jax      {jax.__version__}, jaxlib {jax.lib.__version__}, optax {optax.__version__}, "
          f"numpy {np.__version__}")
    print(f"backend  {jax.default_backend()}; devices: {', '.join(str(d) for d in jax.devices())}")
    print(f"x64      {'on' if jax.config.jax_enable_x64 else 'off'} (jaxlearn follows the input dtype)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxlearn",
        description="The 'Introduction to Machine Learning' lecture as a JAX library.")
    parser.add_argument("--version", action="version", version=f"jaxlearn {jaxlearn.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = commands.add_parser("info", help="print versions, the JAX backend and its devices")
    info.set_defaults(run=_info)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
