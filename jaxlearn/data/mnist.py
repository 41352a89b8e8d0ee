"""MNIST and Fashion-MNIST: find the four standard gzipped IDX files, or download and verify them.

An explicit `data_dir` (the folder itself, or its `<name>/` subfolder) is the only place
looked at. Without it, the search order is `$JAXLEARN_DATA_DIR/<name>`, the user cache
(`$XDG_CACHE_HOME/jaxlearn/<name>`, by default
`~/.cache/jaxlearn/<name>`), and for Fashion-MNIST Debian's `/usr/share/datasets/fashion-mnist`.
Failing those, the files are downloaded from the public mirrors into the cache, checked against
the published SHA-256 of their decompressed bytes, and moved into place atomically.
"""

import hashlib
import os
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np

from jaxlearn._files import atomic_write
from jaxlearn._validation import check_option
from jaxlearn.data.idx import IDXFormatError, parse_idx, read_bytes

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# SHA-256 of the decompressed IDX files (the published data; .gz bytes vary between mirrors).
SHA256 = {
    "mnist": dict(zip(FILES, (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"))),
    "fashion-mnist": dict(zip(FILES, (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"))),
}
MIRRORS = {
    "mnist": ("https://storage.googleapis.com/cvdf-datasets/mnist/",
              "https://ossci-datasets.s3.amazonaws.com/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}
CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
}
NAMES = tuple(SHA256)


class Dataset(NamedTuple):
    """Images (M, 28, 28) uint8 and labels (M,) uint8 of the standard train and test splits."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    name: str
    source: Path

    @property
    def class_names(self):
        return CLASS_NAMES[self.name]


class DataNotFoundError(FileNotFoundError):
    """The data set is in none of the searched folders and could not be downloaded."""


def cache_dir() -> Path:
    """The user cache folder for downloaded data sets."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "jaxlearn"


def candidate_dirs(name: str, data_dir=None) -> list[Path]:
    """The folders searched for `name`, in order."""
    folders = []
    if data_dir is not None:
        folders += [Path(data_dir) / name, Path(data_dir)]
    if os.environ.get("JAXLEARN_DATA_DIR"):
        folders.append(Path(os.environ["JAXLEARN_DATA_DIR"]) / name)
    folders.append(cache_dir() / name)
    if name == "fashion-mnist":
        folders.append(Path("/usr/share/datasets/fashion-mnist"))
    return folders


def _file_in(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


def _complete(folder: Path) -> bool:
    return all(_file_in(folder, stem) is not None for stem in FILES)


def _read_verified(path: Path, name: str, stem: str, verify: bool, gzipped: bool | None = None) -> np.ndarray:
    raw = read_bytes(path, gzipped)
    if verify and hashlib.sha256(raw).hexdigest() != SHA256[name][stem]:
        raise IDXFormatError(f"{path}: SHA-256 of the decompressed data does not match the published "
                             f"{name} file; it is corrupted or a different data set — replace it "
                             "(or pass verify=False to use it anyway)")
    return parse_idx(raw, str(path))


def _download(name: str, mirrors, verify: bool) -> Path:
    """Fetch the four files into the cache; each is verified, then renamed into place."""
    target = cache_dir() / name
    target.mkdir(parents=True, exist_ok=True)
    for stem in FILES:
        final = target / f"{stem}.gz"
        if final.is_file():
            continue
        errors = []
        for mirror in mirrors:
            try:
                with urllib.request.urlopen(mirror + f"{stem}.gz", timeout=60) as response:
                    atomic_write(final, lambda f, response=response: f.write(response.read()),
                                 verify=lambda tmp, stem=stem: _read_verified(tmp, name, stem, verify, gzipped=True))
                break
            except (OSError, IDXFormatError) as err:
                errors.append(f"{mirror}: {err}")
        else:
            raise DataNotFoundError(f"could not download {stem}.gz: " + "; ".join(errors))
    return target


def load_mnist(name: str = "mnist", data_dir=None, *, download: bool = True, verify: bool = True,
               mirrors=None) -> Dataset:
    """Load MNIST or Fashion-MNIST as uint8 arrays.

    Args:
        name: "mnist" or "fashion-mnist".
        data_dir: a folder holding the four files, or a `<name>/` subfolder with them. When
            given, only that folder is used: a missing file is an error, never a reason to
            load another copy from elsewhere.
        download: fetch from the public mirrors when no folder has the files.
        verify: check the SHA-256 of each decompressed file against the published one.
        mirrors: base URLs to download from (default: the public mirrors).

    Returns:
        A `Dataset`: train_images (60000, 28, 28), train_labels (60000,), test_images
        (10000, 28, 28), test_labels (10000,), all uint8, plus the name and the folder used.

    Raises:
        DataNotFoundError: no folder has the files and downloading failed or was not allowed.
        IDXFormatError: a file is truncated, corrupted or has the wrong contents (names the file).
    """
    check_option(name, "name", NAMES)
    if data_dir is not None:
        folder = _explicit_folder(name, Path(data_dir))
        arrays = [_read_verified(_file_in(folder, stem), name, stem, verify) for stem in FILES]
        _check_shapes(arrays, folder)
        return Dataset(*arrays, name=name, source=folder)
    searched = candidate_dirs(name, data_dir)
    folder = next((f for f in searched if _complete(f)), None)
    if folder is None:
        where = "\n  ".join(str(f) for f in searched)
        hint = (f"Put the four files ({', '.join(s + '.gz' for s in FILES)}) in one of these folders, "
                "pass data_dir=..., or set JAXLEARN_DATA_DIR to a folder with a "
                f"'{name}/' subfolder.")
        if not download:
            raise DataNotFoundError(f"{name} not found; looked in:\n  {where}\n{hint}")
        try:
            folder = _download(name, mirrors or MIRRORS[name], verify)
        except DataNotFoundError as err:
            raise DataNotFoundError(f"{name} not found; looked in:\n  {where}\nand {err}\n{hint}") from err
    arrays = [_read_verified(_file_in(folder, stem), name, stem, verify) for stem in FILES]
    _check_shapes(arrays, folder)
    return Dataset(*arrays, name=name, source=folder)


def _explicit_folder(name: str, data_dir: Path) -> Path:
    """The folder given as data_dir (or its <name>/ subfolder) that holds all four files.

    A folder the user named is never silently swapped for another copy of the data: if it
    lacks a file, that is an error naming the missing files.
    """
    if not data_dir.exists():
        raise DataNotFoundError(f"data_dir {data_dir} does not exist; give the folder that holds the {name} files "
                                f"(or its parent, with a '{name}/' subfolder)")
    if not data_dir.is_dir():
        raise DataNotFoundError(f"data_dir {data_dir} is a file, not a folder; give the folder that holds the "
                                f"{name} files")
    options = [data_dir / name, data_dir]
    complete = next((f for f in options if _complete(f)), None)
    if complete is not None:
        return complete
    partial = max(options, key=lambda f: sum(_file_in(f, stem) is not None for stem in FILES))
    missing = [f"{stem}.gz" for stem in FILES if _file_in(partial, stem) is None]
    if len(missing) == len(FILES):
        raise DataNotFoundError(f"data_dir {data_dir} holds no {name} files (looked in {data_dir / name} and "
                                f"{data_dir}); put the four files ({', '.join(missing)}) there, or leave "
                                "data_dir out to search $JAXLEARN_DATA_DIR and the cache")
    raise DataNotFoundError(f"{partial} lacks {', '.join(missing)} (it has the other {name} files); add the "
                            "missing file(s) there (an uncompressed copy without .gz works too)")


def flatten_images(images, *, scale: bool = True, dtype=np.float32) -> np.ndarray:
    """Images (M, H, W) uint8 → rows (M, H·W), scaled to [0, 1] (scale=False keeps 0–255)."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must be (M, height, width), got shape {images.shape}")
    rows = images.reshape(images.shape[0], -1).astype(dtype)
    if scale:       # in place: a second 190 MB array for MNIST's training set cost a second here
        np.divide(rows, np.asarray(255, dtype), out=rows)
    return rows


def _check_shapes(arrays, folder: Path) -> None:
    train_x, train_y, test_x, test_y = arrays
    for split, images, labels in (("train", train_x, train_y), ("t10k", test_x, test_y)):
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise IDXFormatError(f"{folder}: {split} images have shape {images.shape}, expected (M, 28, 28)")
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise IDXFormatError(f"{folder}: {split} labels have shape {labels.shape} for "
                                 f"{images.shape[0]} images")
        if labels.size and labels.max() > 9:
            raise IDXFormatError(f"{folder}: {split} labels go up to {labels.max()}, expected 0–9")
