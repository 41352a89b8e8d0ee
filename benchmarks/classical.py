"""jaxlearn's classical classifiers against scikit-learn on MNIST, side by side (pixels in [0, 1]).

1. Multinomial logistic regression, same objective in both: mean cross-entropy + λ/2‖Θ‖² with
   an unpenalised intercept, λ = 1/(C·M) (scikit-learn `LogisticRegression(C, solver="lbfgs")`),
   the same tolerance on the gradient. 60 000 training images, 10 000 test images.
2. RBF kernel SVM, C = 10, γ = 'scale', on the first 10 000 training images, tested on the
   10 000 test images, against scikit-learn `SVC` (libsvm).

jaxlearn's times are given cold (the first call, JIT compilation included) and warm (a
second call). Ratios are jaxlearn / scikit-learn: below 1 means jaxlearn is faster.

Run: JAXLEARN_DATA_DIR=../shared/data python -m benchmarks.classical
"""

import os
import platform
import time
import warnings

import jax
import numpy as np

from jaxlearn import logistic, svm
from jaxlearn.data import flatten_images, load_mnist

C_LOGISTIC, TOL = 0.1, 1e-4


def timed(fn):
    start = time.perf_counter()
    out = jax.block_until_ready(fn())
    return out, time.perf_counter() - start


def logistic_regression(X, y, Xt, yt):
    from sklearn.linear_model import LogisticRegression

    lam = 1 / (C_LOGISTIC * X.shape[0])
    X1, Xt1 = np.column_stack([np.ones(len(X), X.dtype), X]), np.column_stack([np.ones(len(Xt), Xt.dtype), Xt])

    def ours():
        return logistic.fit_softmax(X1, y, lam, penalize_bias=False, tol=TOL, max_iter=1000)

    result, cold = timed(ours)
    result, warm = timed(ours)
    accuracy = float((np.asarray(logistic.predict_softmax(result.theta, Xt1)) == yt).mean())
    reference = LogisticRegression(C=C_LOGISTIC, tol=TOL, max_iter=1000)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.fit(X.astype(np.float64), y)
    theirs = time.perf_counter() - start
    ref_accuracy = reference.score(Xt.astype(np.float64), yt)
    print(f"multinomial logistic regression (λ = 1/(C·M), C = {C_LOGISTIC}, gradient tol {TOL}):")
    print(f"  jaxlearn fit_softmax (L-BFGS, float32): cold {cold:6.2f} s, warm {warm:6.2f} s, "
          f"{result.n_iter} iterations, test accuracy {100 * accuracy:.2f}%")
    print(f"  scikit-learn lbfgs (float64):           {theirs:6.2f} s, {reference.n_iter_[0]} iterations, "
          f"test accuracy {100 * ref_accuracy:.2f}%")
    print(f"  time ratio jaxlearn / scikit-learn: cold {cold / theirs:.2f}, warm {warm / theirs:.2f}")


def kernel_svm(X, y, Xt, yt):
    from sklearn.svm import SVC

    fitted, fit_cold = timed(lambda: svm.fit_kernel_svm(X, y, "rbf", 10.0, gamma="scale"))
    fitted, fit_warm = timed(lambda: svm.fit_kernel_svm(X, y, "rbf", 10.0, gamma="scale"))
    predicted, predict_cold = timed(lambda: svm.predict(fitted, Xt))
    predicted, predict_warm = timed(lambda: svm.predict(fitted, Xt))
    accuracy = float((predicted == yt).mean())
    reference = SVC(C=10.0, gamma="scale")
    X64, Xt64 = X.astype(np.float64), Xt.astype(np.float64)
    _, fit_theirs = timed(lambda: reference.fit(X64, y))
    ref_predicted, predict_theirs = timed(lambda: reference.predict(Xt64))
    ref_accuracy = float((ref_predicted == yt).mean())
    print(f"RBF kernel SVM, C = 10, γ = 'scale', {len(X)} training images, {len(Xt)} test images:")
    print(f"  jaxlearn (SMO, float32): fit cold {fit_cold:6.2f} s, warm {fit_warm:6.2f} s; predict cold "
          f"{predict_cold:5.2f} s, warm {predict_warm:5.2f} s; {len(fitted.support)} support vectors, "
          f"test accuracy {100 * accuracy:.2f}%")
    print(f"  scikit-learn SVC (libsvm, float64): fit {fit_theirs:6.2f} s; predict {predict_theirs:5.2f} s; "
          f"{len(reference.support_)} support vectors, test accuracy {100 * ref_accuracy:.2f}%")
    print(f"  fit time ratio: cold {fit_cold / fit_theirs:.2f}, warm {fit_warm / fit_theirs:.2f}; "
          f"predict time ratio: cold {predict_cold / predict_theirs:.3f}, warm {predict_warm / predict_theirs:.3f}")


def main():
    data = load_mnist("mnist")
    X, y = flatten_images(data.train_images), data.train_labels.astype(np.int32)
    Xt, yt = flatten_images(data.test_images), data.test_labels.astype(np.int32)
    print(f"{platform.machine()}, {os.cpu_count()} cores, JAX device: {jax.devices()[0].device_kind}")
    logistic_regression(X, y, Xt, yt)
    kernel_svm(X[:10_000], y[:10_000], Xt, yt)


if __name__ == "__main__":
    main()
