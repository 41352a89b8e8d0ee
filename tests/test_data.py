import gzip
import shutil

import numpy as np
import pytest

from jaxlearn.data import DataNotFoundError, IDXFormatError, flatten_images, load_mnist, read_idx, write_idx
from jaxlearn.data.mnist import FILES

# --- the shared data (the published files, checked by SHA-256) ---------------------------------

def test_mnist_from_the_shared_folder(mnist, data_dir):
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.train_images.dtype == np.uint8
    assert mnist.test_images.shape == (10000, 28, 28)
    assert mnist.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]   # as published
    assert np.bincount(mnist.test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert mnist.source == data_dir / "mnist"


def test_fashion_mnist_from_the_shared_folder(data_dir):
    data = load_mnist("fashion-mnist", data_dir, download=False)
    assert data.train_images.shape == (60000, 28, 28)
    assert np.bincount(data.train_labels).tolist() == [6000] * 10
    assert data.class_names[data.train_labels[0]] == "Ankle boot"


def test_flatten_images_scales_to_unit_interval(mnist):
    X = flatten_images(mnist.test_images[:5])
    assert X.shape == (5, 784) and X.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0
    assert flatten_images(mnist.test_images[:5], scale=False).max() == 255.0
    with pytest.raises(ValueError, match=r"images must be \(M, height, width\), got shape \(5, 784\)"):
        flatten_images(X)


# --- the IDX reader ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype) if dtype != np.uint8 else \
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and np.array_equal(back, array)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]   # no temporary file left


def idx_bytes(array):
    import struct
    return struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


@pytest.mark.parametrize("mangle, message", [
    (lambda b: b[:-7], r"truncated: 33 bytes, but the header \(shape \(2, 3, 4\), uint8\) needs 40"),
    (lambda b: b + b"\0", "has trailing bytes"),
    (lambda b: b"\x08\x03" + b[2:], "bad magic number .* not an IDX file"),
    (lambda b: b[:2] + b"\x42" + b[3:], "unknown element type 0x42"),
    (lambda b: b[:3], "3 bytes is too short for an IDX header"),
    (lambda b: b[:9], r"truncated header \(9 bytes, 3 dimensions need 16\)"),
])
def test_corrupted_idx_files_are_named_and_explained(tmp_path, mangle, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(mangle(idx_bytes(np.zeros((2, 3, 4), np.uint8))))
    with pytest.raises(IDXFormatError, match=f"{path}: {message}"):
        read_idx(path)


def test_truncated_gzip_is_named(tmp_path):
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))[:30])
    with pytest.raises(IDXFormatError, match=f"{path}: cannot be read as gzip.*corrupted or truncated"):
        read_idx(path)


# --- where load_mnist looks, and what it says when it finds nothing -------------------------------

@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No JAXLEARN_DATA_DIR and an empty user cache."""
    monkeypatch.delenv("JAXLEARN_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_missing_data_says_where_it_looked(isolated):
    with pytest.raises(DataNotFoundError, match=r"(?s)mnist not found; looked in:.*"
                                                 r"cache/jaxlearn/mnist.*Put the four files"):
        load_mnist("mnist", download=False)


def test_an_explicit_empty_folder_is_an_error_not_a_search(isolated, data_dir, monkeypatch):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))  # would hold a copy: not used
    (isolated / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match=r"data_dir .*empty holds no mnist files.*train-images-idx3-ubyte"):
        load_mnist("mnist", isolated / "empty")


def test_an_explicit_missing_folder_is_named_as_missing(isolated, data_dir, monkeypatch):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))  # would hold a copy: not used
    with pytest.raises(DataNotFoundError, match=r"data_dir .*nowhere does not exist; give the folder that holds"):
        load_mnist("mnist", isolated / "nowhere")
    (isolated / "a-file").write_text("x")
    with pytest.raises(DataNotFoundError, match=r"data_dir .*a-file is a file, not a folder"):
        load_mnist("mnist", isolated / "a-file")


def test_an_explicit_folder_lacking_one_file_names_it(isolated, data_dir, monkeypatch):
    partial = isolated / "partial"
    shutil.copytree(data_dir / "mnist", partial)
    (partial / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))  # holds all four: must not be used instead
    with pytest.raises(DataNotFoundError, match=r"partial lacks t10k-labels-idx1-ubyte\.gz \(it has the other"):
        load_mnist("mnist", partial)


def test_environment_variable_is_searched(isolated, data_dir, monkeypatch):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    assert load_mnist("mnist").source == data_dir / "mnist"


def test_a_folder_with_the_files_directly(isolated, data_dir):
    assert load_mnist("mnist", data_dir / "mnist", download=False).source == data_dir / "mnist"


def test_download_verifies_and_caches_atomically(isolated, data_dir):
    # A local folder served as a mirror: the real download code, no network.
    mirror = (data_dir / "mnist").resolve().as_uri() + "/"
    data = load_mnist("mnist", mirrors=[mirror])
    cache = isolated / "cache" / "jaxlearn" / "mnist"
    assert data.source == cache
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{f}.gz" for f in FILES)
    assert data.train_labels[:3].tolist() == [5, 0, 4]


def test_download_with_wrong_content_is_rejected_and_leaves_nothing(isolated, data_dir):
    fake = isolated / "fake"
    shutil.copytree(data_dir / "fashion-mnist", fake)   # Fashion-MNIST posing as MNIST
    with pytest.raises(DataNotFoundError, match="SHA-256 of the decompressed data does not match"):
        load_mnist("mnist", mirrors=[fake.as_uri() + "/"])
    cache = isolated / "cache" / "jaxlearn" / "mnist"
    assert list(cache.iterdir()) == []


def test_unreachable_mirror_is_reported(isolated):
    with pytest.raises(DataNotFoundError, match="could not download train-images-idx3-ubyte.gz"):
        load_mnist("mnist", mirrors=[(isolated / "absent").as_uri() + "/"])


def test_corrupted_local_file_names_the_file(isolated, data_dir):
    folder = isolated / "mnist"
    shutil.copytree(data_dir / "mnist", folder)
    broken = folder / "t10k-labels-idx1-ubyte.gz"
    broken.write_bytes(broken.read_bytes()[:100])
    with pytest.raises(IDXFormatError, match="t10k-labels-idx1-ubyte.gz: cannot be read as gzip"):
        load_mnist("mnist", isolated, download=False)


def test_unknown_name_lists_the_data_sets():
    with pytest.raises(ValueError, match="unknown name 'cifar'; valid options are 'mnist', 'fashion-mnist'"):
        load_mnist("cifar")
