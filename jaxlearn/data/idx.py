"""The IDX file format of MNIST and Fashion-MNIST, read with validation (optionally gzipped).

Layout (big-endian): two zero bytes, one type byte (0x08 = unsigned byte, …), one byte with the
number of dimensions d, then d 32-bit sizes, then the data in row-major order.
"""

import gzip
import math
import struct
from pathlib import Path

import numpy as np

from jaxlearn._files import atomic_write

# IDX type byte → NumPy dtype (big-endian where it matters)
IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class IDXFormatError(ValueError):
    """An IDX file is truncated, corrupted or not an IDX file at all."""


def read_bytes(path: Path, gzipped: bool | None = None) -> bytes:
    """The file's bytes, decompressed when gzipped (default: when its name ends in .gz);
    `IDXFormatError` when it cannot be read."""
    gzipped = path.suffix == ".gz" if gzipped is None else gzipped
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not an IDX file")
    try:
        if gzipped:
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise IDXFormatError(f"{path}: cannot be read as {'gzip' if gzipped else 'a file'}"
                             f" ({err}); the file is corrupted or truncated — delete it and fetch it again") from err


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """The array stored in IDX bytes; `source` names the file in error messages."""
    if len(data) < 4:
        raise IDXFormatError(f"{source}: {len(data)} bytes is too short for an IDX header")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise IDXFormatError(f"{source}: bad magic number (first two bytes {data[:2].hex()}, expected 0000):"
                             " not an IDX file")
    if type_code not in IDX_TYPES:
        raise IDXFormatError(f"{source}: unknown element type 0x{type_code:02x}")
    if ndim == 0:
        raise IDXFormatError(f"{source}: zero dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXFormatError(f"{source}: truncated header ({len(data)} bytes, {ndim} dimensions need {header})")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_TYPES[type_code]
    expected = header + math.prod(shape) * dtype.itemsize       # Python ints: no overflow
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has trailing bytes"
        raise IDXFormatError(f"{source}: {problem}: {len(data)} bytes, but the header (shape {shape}, "
                             f"{dtype}) needs {expected}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path) -> np.ndarray:
    """Read an IDX file (`.gz` decompressed on the fly) into a NumPy array, validating every field.

    Raises:
        FileNotFoundError: the file does not exist (IsADirectoryError: it is a folder).
        IDXFormatError: it cannot be read, or its contents are not a whole IDX array.
    """
    path = Path(path)
    return parse_idx(read_bytes(path), str(path))


def write_idx(path, array: np.ndarray) -> None:
    """Write `array` as IDX (gzipped if the name ends in .gz), atomically (temporary file, then rename)."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_TYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(f"array dtype {array.dtype} has no IDX type")
    code = codes[native]
    data = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data += array.astype(IDX_TYPES[code]).tobytes()
    path = Path(path)

    def write(f):
        if path.suffix == ".gz":
            with gzip.GzipFile(fileobj=f, mode="wb") as gz:
                gz.write(data)
        else:
            f.write(data)

    atomic_write(path, write)
