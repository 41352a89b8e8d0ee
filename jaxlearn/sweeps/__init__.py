"""Many models at once: hyperparameter sweeps as one vmapped, jitted computation.

    ridge_path      θ(λ) for a grid of λ from one SVD (the filter factors, vmapped over λ)
    ridge_loo_path  the same, scored by exact leave-one-out cross-validation (no refits)
    logistic_path   binary logistic regression for a grid of λ: Newton's method, vmapped
    softmax_path    softmax regression for a grid of λ: L-BFGS, vmapped
    train_many      MLPs over learning rates and/or seeds (each seed its own shuffles by default)
    sweep           a grid of learning rates × seeds (× data-order seeds) as one train_many, with
                    per-epoch curves, tidy records, CSV, a summary over seeds and a figure
    gradient descent over a grid of η: `jaxlearn.gradient_descent(..., eta=array)`

scikit-learn's C is λ = 1/(C·M) here, its Ridge α is λ = α/M. Each returns one model per
setting and, given validation data, each model's validation score.
"""

from jaxlearn.sweeps.classification import logistic_path, softmax_path
from jaxlearn.sweeps.grid import sweep
from jaxlearn.sweeps.networks import Sweep, models_per_chunk, train_many
from jaxlearn.sweeps.path import Path, RegularizationPath
from jaxlearn.sweeps.ridge import ridge_loo_path, ridge_loo_residuals, ridge_path

__all__ = ["Path", "RegularizationPath", "ridge_path", "ridge_loo_path", "ridge_loo_residuals",
           "logistic_path", "softmax_path", "Sweep",
           "models_per_chunk", "train_many", "sweep"]
