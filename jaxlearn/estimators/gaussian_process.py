"""Gaussian-process regression as scikit-learn's `GaussianProcessRegressor`, over
`jaxlearn.gaussian_process`, with scikit-learn's own kernel objects."""

import numbers

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.gaussian_process import kernels as sk
from sklearn.utils.validation import check_is_fitted, validate_data

from jaxlearn import gaussian_process as gp
from jaxlearn import gp_kernels
from jaxlearn.estimators._base import FLOATS, _InputPrecision, check_hyperparameters, in_fitted_precision

# scikit-learn's kernel → (jaxlearn's, its hyperparameter's attribute name, log of the value given θ)
_LEAVES = {sk.ConstantKernel: (gp_kernels.Constant, "constant_value"), sk.RBF: (gp_kernels.RBF, "length_scale"),
           sk.WhiteKernel: (gp_kernels.White, "noise_level"), sk.DotProduct: (gp_kernels.DotProduct, "sigma_0")}
_COMBINATIONS = {sk.Sum: gp_kernels.Sum, sk.Product: gp_kernels.Product}


def from_sklearn(kernel):
    """(jaxlearn kernel, θ (log values), free (bools), log bounds (n, 2)) of a scikit-learn kernel
    built from ConstantKernel, RBF, WhiteKernel, DotProduct, + and *. θ is ordered as scikit-learn's
    `kernel.theta`, which lists only the free ones (bounds="fixed" marks the others)."""
    if type(kernel) in _COMBINATIONS:
        parts = [from_sklearn(kernel.k1), from_sklearn(kernel.k2)]
        return (_COMBINATIONS[type(kernel)](parts[0][0], parts[1][0]),
                *(np.concatenate([a, b]) for a, b in zip(parts[0][1:], parts[1][1:])))
    if type(kernel) not in _LEAVES:
        names = ", ".join(k.__name__ for k in (*_LEAVES, *_COMBINATIONS))
        raise ValueError(f"GaussianProcessRegressor: the kernel {kernel!r} is not supported; jaxlearn computes "
                         f"{names} and their sums and products")
    ours, name = _LEAVES[type(kernel)]
    value = getattr(kernel, name)
    if np.ndim(value) > 0 and np.size(value) > 1:
        raise ValueError(f"GaussianProcessRegressor: {kernel!r} has one {name} per feature (anisotropic); jaxlearn's "
                         f"kernels take one {name}")
    value = float(np.ravel(value)[0])
    bounds = getattr(kernel, f"{name}_bounds")
    fixed = isinstance(bounds, str) and bounds == "fixed"
    theta = np.log(value)
    log_bounds = [theta - 1, theta + 1] if fixed else np.log(np.asarray(bounds, float).ravel()[:2])
    return ours(), np.array([theta]), np.array([not fixed]), np.array([log_bounds])


class GaussianProcessRegressor(_InputPrecision, RegressorMixin, BaseEstimator):
    """Gaussian-process regression (Rasmussen & Williams, Algorithm 2.1), as scikit-learn's.

    The prior f ~ GP(0, k_θ) with scikit-learn's kernel objects (ConstantKernel, RBF, WhiteKernel,
    DotProduct and their sums and products); the predictive mean is kernel ridge regression's,
    the predictive std its error bar. fit maximises the log marginal likelihood over the kernel's
    free hyperparameters with jaxlearn's L-BFGS and the hand-derived gradient of R&W eq. 5.9
    (`jaxlearn.gaussian_process.fit_hyperparameters`), from the kernel's values and
    n_restarts_optimizer starts drawn in its bounds, all at once.

    Args:
        kernel: a scikit-learn kernel (default ConstantKernel(1, "fixed") * RBF(1, "fixed"), as scikit-learn).
        alpha: added to the Gram matrix's diagonal (a number; the noise variance, or jitter).
        optimizer: "fmin_l_bfgs_b" (scikit-learn's name; here jaxlearn's L-BFGS, unconstrained in
            log space, its end clipped to the bounds) or None (keep the kernel's values).
        n_restarts_optimizer: further starts, drawn log-uniformly within the bounds.
        normalize_y: fit to (y − mean) / std, and undo it in predictions.
        copy_X_train: accepted for scikit-learn's signature; X_train_ is always a copy.
        n_targets: accepted for scikit-learn's signature (jaxlearn fits one target).
        random_state: an int seeds the restarts' draws (JAX's generator, not NumPy's: other starts
            than scikit-learn's).

    Attributes: X_train_, y_train_, kernel_ (a scikit-learn kernel with the fitted values), L_,
    alpha_ (K⁻¹y), log_marginal_likelihood_value_, n_features_in_.

    Example:
        >>> import numpy as np
        >>> from sklearn.gaussian_process.kernels import RBF, WhiteKernel
        >>> from jaxlearn.estimators import GaussianProcessRegressor
        >>> X = np.linspace(0, 5, 30)[:, None]; y = np.sin(X[:, 0])
        >>> model = GaussianProcessRegressor(1.0 * RBF() + WhiteKernel(1e-3)).fit(X, y)
        >>> mean, std = model.predict([[2.5], [8.0]], return_std=True)
        >>> bool(std[0] < 0.05 < std[1])          # sure between the samples, unsure far from them
        True
    """

    def __init__(self, kernel=None, *, alpha=1e-10, optimizer="fmin_l_bfgs_b", n_restarts_optimizer=0,
                 normalize_y=False, copy_X_train=True, n_targets=None, random_state=None):
        self.kernel = kernel
        self.alpha = alpha
        self.optimizer = optimizer
        self.n_restarts_optimizer = n_restarts_optimizer
        self.normalize_y = normalize_y
        self.copy_X_train = copy_X_train
        self.n_targets = n_targets
        self.random_state = random_state

    def _prior_kernel(self):
        if self.kernel is None:
            return sk.ConstantKernel(1.0, constant_value_bounds="fixed") * sk.RBF(1.0, length_scale_bounds="fixed")
        return clone(self.kernel)

    def _check_parameters(self):
        if not isinstance(self.alpha, numbers.Real):
            raise TypeError(f"GaussianProcessRegressor: alpha must be one number (a value per sample is not "
                            f"supported; add a WhiteKernel for noise), got {type(self.alpha).__name__}")
        check_hyperparameters(self, alpha=dict(minimum=0), n_restarts_optimizer=dict(minimum=0, integer=True))
        if self.optimizer not in ("fmin_l_bfgs_b", None):
            raise ValueError(f"GaussianProcessRegressor: optimizer={self.optimizer!r} is not supported; use "
                             "'fmin_l_bfgs_b' (jaxlearn's L-BFGS) or None (keep the kernel's hyperparameters)")
        if self.random_state is not None and not isinstance(self.random_state, numbers.Integral):
            raise TypeError("GaussianProcessRegressor: random_state must be None or an int (it seeds JAX's "
                            f"generator), got {type(self.random_state).__name__}")

    def fit(self, X, y):
        self._check_parameters()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=FLOATS)
        y = y.astype(X.dtype)
        self._y_train_mean, self._y_train_std = (np.mean(y), np.std(y)) if self.normalize_y else (0.0, 1.0)
        if self._y_train_std == 0:
            self._y_train_std = 1.0
        y = ((y - self._y_train_mean) / self._y_train_std).astype(X.dtype)
        kernel = self._prior_kernel()
        ours, theta, free, bounds = from_sklearn(kernel)
        if self.optimizer is not None and free.any():
            key = jax.random.key(0 if self.random_state is None else int(self.random_state))
            fit = gp.fit_hyperparameters(ours, theta.astype(X.dtype), X, y, n_restarts=self.n_restarts_optimizer,
                                         bounds=bounds, free=free, key=key, jitter=float(self.alpha))
            theta = fit.theta.astype(float)
        self.kernel_ = kernel.clone_with_theta(theta[free]) if free.any() else kernel
        self._ours, self._theta = ours, theta
        self.X_train_, self.y_train_ = np.array(X), y
        L, weights = gp._factor_and_weights(ours, np.asarray(theta, X.dtype), X, y, np.asarray(self.alpha, X.dtype))
        self.L_, self.alpha_ = np.asarray(L), np.asarray(weights)
        self.log_marginal_likelihood_value_ = float(gp.log_marginal_likelihood(ours, theta, X, y,
                                                                               jitter=float(self.alpha)))
        return self

    def predict(self, X, return_std=False, return_cov=False):
        """The predictive mean (M*,); with return_std its std (M*,), with return_cov the covariance
        (M*, M*). Before fit, the prior's (mean 0), as scikit-learn."""
        if return_std and return_cov:
            raise RuntimeError("At most one of return_std or return_cov can be requested.")
        fitted = hasattr(self, "X_train_")
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        if not fitted:
            ours, theta, _, _ = from_sklearn(self._prior_kernel())
            t = jnp.asarray(theta, X.dtype)
            mean = np.zeros(X.shape[0], X.dtype)
            if return_cov:
                return mean, np.asarray(ours.value(t, jnp.asarray(X), jnp.asarray(X)))
            return (mean, np.sqrt(np.asarray(ours.diag(t, jnp.asarray(X))))) if return_std else mean
        mean, spread = gp.posterior(self._ours, self._theta.astype(X.dtype), self.X_train_.astype(X.dtype),
                                    self.y_train_.astype(X.dtype), X, full_covariance=return_cov,
                                    jitter=float(self.alpha))
        mean = np.asarray(mean) * self._y_train_std + self._y_train_mean
        if return_cov:
            return mean, np.asarray(spread) * self._y_train_std**2
        if return_std:
            return mean, np.sqrt(np.asarray(spread)) * self._y_train_std
        return mean

    def predict_gradient(self, X, return_std=False):
        """∂f̄(x)/∂x (M*, N), the gradient of the predictive mean at each row of X; with return_std,
        also the posterior std of each of its components (`jaxlearn.gaussian_process.posterior_gradient`)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        gradient, variance = gp.posterior_gradient(self._ours, self._theta.astype(X.dtype),
                                                   self.X_train_.astype(X.dtype), self.y_train_.astype(X.dtype), X,
                                                   jitter=float(self.alpha))
        gradient = np.asarray(gradient) * self._y_train_std
        return (gradient, np.sqrt(np.asarray(variance)) * self._y_train_std) if return_std else gradient

    def log_marginal_likelihood(self, theta=None, eval_gradient=False, clone_kernel=True):
        """log p(y | X, θ) at θ (scikit-learn's kernel_.theta: the free log-hyperparameters), or the
        fitted value when theta is None; with eval_gradient, also its gradient (eq. 5.9)."""
        check_is_fitted(self)
        if theta is None:
            if eval_gradient:
                raise ValueError("Gradient can only be evaluated for theta!=None")
            return self.log_marginal_likelihood_value_
        full = self._theta.copy()
        free = from_sklearn(self.kernel_)[2]
        full[free] = np.asarray(theta, float)
        X, y = self.X_train_, self.y_train_
        with in_fitted_precision(self):
            value = float(gp.log_marginal_likelihood(self._ours, full.astype(X.dtype), X, y, jitter=float(self.alpha)))
            if not eval_gradient:
                return value
            grad = np.asarray(gp.log_marginal_likelihood_grad(self._ours, full.astype(X.dtype), X, y,
                                                              jitter=float(self.alpha)))
        return value, grad[free]

    def sample_y(self, X, n_samples=1, random_state=0):
        """Draws of f(X) from the posterior (from the prior before fit): (M*, n_samples), as scikit-learn."""
        mean, covariance = self.predict(X, return_cov=True)
        key = jax.random.key(0 if random_state is None else int(random_state))
        L = np.linalg.cholesky(covariance + 1e-10 * np.eye(len(mean)) * max(1.0, float(np.max(np.diag(covariance)))))
        return mean[:, None] + L @ np.asarray(jax.random.normal(key, (len(mean), int(n_samples)), mean.dtype))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False       # predicts from the prior before fit, as scikit-learn's
        return tags


__all__ = ["GaussianProcessRegressor"]
