"""Logistic (binary) and softmax (multinomial) regression (lecture eqs. 26–34).

    model.py    σ, the two cross-entropies of θ with their hand gradients, predictions
    fitting.py  fit (Newton, L-BFGS, gradient descent) and fit_softmax (L-BFGS, gradient descent)
"""

from jaxlearn.logistic.fitting import FIT_METHODS, fit, fit_softmax
from jaxlearn.logistic.model import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    decision_boundary_x2,
    predict,
    predict_proba,
    predict_softmax,
    predict_softmax_proba,
    sigmoid,
    sigmoid_derivative,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from jaxlearn.optim import FitResult  # noqa: F401  (re-exported; documented in jaxlearn.optim)

__all__ = ["FIT_METHODS", "fit", "fit_softmax", "binary_cross_entropy", "binary_cross_entropy_grad",
           "decision_boundary_x2", "predict", "predict_proba", "predict_softmax", "predict_softmax_proba", "sigmoid",
           "sigmoid_derivative", "softmax_cross_entropy", "softmax_cross_entropy_grad"]
