"""Shape buckets: the rule, and padded fits equal to unpadded ones (the jitted cores called on the
unpadded data with weights None) for every solver the estimators use; one program per bucket."""

import numpy as np
import pytest

from jaxlearn import features, linear, logistic, losses, lstsq, svm
from jaxlearn.buckets import bucket, feature_bucket, pad_rows, sample_weights
from jaxlearn.kernels import gram, make_kernel
from jaxlearn.logistic.fitting import newton_solve, softmax_lbfgs_solve
from jaxlearn.svm.linear import solve_primal
from jaxlearn.svm.smo import smo
from jaxlearn.training.step import epoch_batches

M = 37            # bucket(37) = 64: 27 padded rows


def _data(seed=0, m=M, n=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    return X, (X @ rng.normal(size=n) + 0.3 * rng.normal(size=m) > 0).astype(np.float64)


def test_bucket_rule():
    sizes = np.arange(1, 100_000)
    buckets = np.array([bucket(m) for m in sizes])
    assert np.all(buckets >= sizes) and np.all(np.diff(buckets) >= 0)
    small = sizes[:512]
    assert set(buckets[:512].tolist()) == {16, 32, 64, 128, 256, 512}     # powers of two up to 512
    assert np.all(buckets[:512][small > 16] < 2 * small[small > 16])     # < 100 % padding there
    assert np.all(buckets[sizes > 512] < 1.25 * sizes[sizes > 512])      # < 25 % beyond
    assert np.all(buckets[sizes > 8192] - sizes[sizes > 8192] < 1024)    # and < 1024 rows beyond 8192
    assert len(set(buckets[:2048].tolist())) == 14                       # 16, 32, … 512, 640, 768, … 2048
    assert [bucket(m) for m in (1, 9, 120, 513, 1437, 1438, 10_000, 60_000)] == [16, 16, 128, 640, 1536, 1536, 10240,
                                                                                  60416]
    assert [feature_bucket(n) for n in (1, 16, 17, 64, 65, 785)] == [16, 16, 32, 64, 65, 785]


def test_sample_weights_mask_the_padding():
    w = sample_weights(3, 5, np.float64)
    np.testing.assert_allclose(w, [1 / 3, 1 / 3, 1 / 3, 0, 0])
    z, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 1.0])
    for loss in (losses.sigmoid_binary_cross_entropy, losses.hinge, losses.squared_error):
        padded = loss(pad_rows(z, 5) + np.array([0, 0, 0, 7.0, -3.0]), pad_rows(y, 5), w)
        np.testing.assert_allclose(padded, loss(z, y), rtol=1e-12)


def test_newton_padded_equals_unpadded():
    X, y = _data()
    X = np.column_stack([np.ones(M), X])
    d = losses.penalty_mask(X.shape[1], X.dtype, False)
    theta, _, _ = newton_solve(X, y, np.float64(0.01), d, 1e-10, 100)
    padded = logistic.fit(X, y, 0.01, penalize_bias=False, tol=1e-10)
    np.testing.assert_allclose(padded.theta, theta, rtol=1e-9, atol=1e-12)


def test_softmax_lbfgs_padded_equals_unpadded():
    X, _ = _data(1)
    labels = np.argmax(X[:, :3], axis=1)
    X = np.column_stack([np.ones(M), X])
    Y = np.eye(3)[labels]
    d = losses.penalty_mask((X.shape[1], 3), X.dtype, False)
    # tol 1e-8, not 1e-9: near 1e-9 the loss is flat at float64 precision, and whether L-BFGS gets
    # below it depends on the CPU's summation order (it did not on an AVX2 machine: ConvergenceWarning).
    Theta, _, _ = softmax_lbfgs_solve(X, X.T.copy(), Y, np.float64(0.05), d, 1e-8, 500)
    padded = logistic.fit_softmax(X, labels, 0.05, penalize_bias=False, tol=1e-8)
    np.testing.assert_allclose(padded.theta, Theta, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("method", ["auto", "qr", "svd", "cholesky", "lu", "normal", "pinv"])
def test_least_squares_padded_equals_unpadded(method):
    X, _ = _data(2)
    y = X @ np.arange(1.0, 5.0) + 0.1
    lam, d = 0.1, losses.penalty_mask(4, X.dtype, True)
    expected = np.linalg.solve(X.T @ X + lam * M * np.eye(4), X.T @ y)
    np.testing.assert_allclose(linear.solve(X, y, lam, method=method), expected, rtol=1e-9)
    theta, _ = lstsq.auto(X, y, np.float64(lam), d, np.float64(1e-12), True)
    np.testing.assert_allclose(linear.solve(X, y, lam, method=method), theta, rtol=1e-9)


def test_linear_svm_padded_equals_unpadded():
    X, y = _data(3)
    y = 2 * y - 1
    X1 = np.column_stack([np.ones(M), X])
    d = losses.penalty_mask(5, X.dtype, False)
    mus = np.array(svm.linear.SMOOTHING["float64"])
    theta, _, _ = solve_primal(X1, X1.T.copy(), y, np.float64(1 / 10.0), d, mus, np.float64(1e-6), 2000)
    padded = svm.fit_linear_svm(X, y, 10.0, tol=1e-6)
    np.testing.assert_allclose(padded.theta.w, theta[1:], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(padded.theta.b, theta[0], rtol=1e-6, atol=1e-8)


def test_smo_padded_equals_unpadded_and_padding_is_never_a_support_vector():
    X, y = _data(4)
    labels = y.astype(int)
    kernel = make_kernel("rbf", gamma=0.3)
    model = svm.fit_kernel_svm(X, labels, kernel, 1.0, tol=1e-8)
    assert model.support.max() < M
    idx = np.arange(M, dtype=np.int32)[None, :]
    alpha, intercept, _, _ = smo(gram(kernel, X), idx, np.where(labels == 1, 1, -1)[None, :].astype(np.int8),
                                 np.ones((1, M), bool), 1.0, 1e-8, 10_000_000)
    coef = np.asarray(alpha[0]) * np.where(labels == 1, 1.0, -1.0)
    np.testing.assert_allclose(np.asarray(model.dual_coef)[:, 0], coef[model.support], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(model.intercept, intercept, rtol=1e-8)


def test_standardizer_padded_equals_numpy():
    X, _ = _data(5)
    scaler = features.fit_standardizer(X * 1e3 + 7)
    np.testing.assert_allclose(scaler.mean, (X * 1e3 + 7).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale, (X * 1e3 + 7).std(axis=0), rtol=1e-10)
    np.testing.assert_allclose(features.standardize(scaler, X * 1e3 + 7), (X - X.mean(0)) / X.std(0), atol=1e-9)


def test_pad_rows_appends_zero_rows_in_an_aligned_array():
    """64-byte aligned, so that JAX's CPU client takes it without copying."""
    X = np.arange(15.0, dtype=np.float32).reshape(5, 3)
    padded = pad_rows(X, 8)
    assert padded.shape == (8, 3) and padded.dtype == np.float32 and padded.ctypes.data % 64 == 0
    np.testing.assert_array_equal(padded[:5], X)
    np.testing.assert_array_equal(padded[5:], 0)
    assert pad_rows(X, 5) is X
    with pytest.raises(ValueError, match="cannot pad 5 rows down to 4"):
        pad_rows(X, 4)


def test_epoch_batches_are_a_seeded_host_shuffle():
    """Each epoch a permutation, the same for the same (seed, epoch), different across epochs and
    seeds, drawn on the host (no program compiled)."""
    batches = epoch_batches(3, 2, 37, 8)
    assert batches.shape == (4, 8) and batches.dtype == np.int32
    assert len(set(batches.ravel().tolist())) == 32 and batches.max() < 37
    np.testing.assert_array_equal(epoch_batches(3, 2, 37, 8), batches)
    assert not np.array_equal(epoch_batches(3, 1, 37, 8), batches)
    assert not np.array_equal(epoch_batches(4, 2, 37, 8), batches)
    with pytest.raises(ValueError, match="seed"):
        epoch_batches(-1, 0, 37, 8)


def test_one_program_per_bucket_for_a_cross_validation():
    """Folds of 33 to 64 samples share one SMO program, one Newton program, one scaler program."""
    from jaxlearn.features import _fit_standardizer
    from jaxlearn.optim.newton import newton

    X, y = _data(6, m=64)
    before = smo._cache_size(), newton._cache_size(), _fit_standardizer._cache_size()
    for m in (33, 40, 51, 64):
        svm.fit_kernel_svm(X[:m], y[:m].astype(int), "rbf", C=float(m))   # C traced: no new program
        logistic.fit(X[:m], y[:m], 0.1)
        features.fit_standardizer(X[:m])
    after = smo._cache_size(), newton._cache_size(), _fit_standardizer._cache_size()
    assert all(a - b <= 1 for a, b in zip(after, before))
