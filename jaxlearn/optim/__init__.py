"""The solver layer: one loop per method, separate from the models they fit.

    gradient_descent  the lecture's θ ← θ − η∇L (jitted, vmappable over η and data)
    newton            Newton's method with step halving
    lbfgs             optax's L-BFGS run to a gradient tolerance
    proximal_gradient FISTA for a smooth loss plus a weighted L1 norm (the lasso and elastic net)
    FitResult         what an iterative fit returns: θ, n_iter, ‖∇L‖_∞, converged

The SMO solver of the kernel SVM's dual lives with it, in `jaxlearn.svm.smo`.
"""

from jaxlearn.optim.gradient_descent import GDResult, gradient_descent, gradient_descent_to_tol
from jaxlearn.optim.lbfgs import lbfgs
from jaxlearn.optim.newton import newton
from jaxlearn.optim.proximal import proximal_gradient, soft_threshold
from jaxlearn.optim.result import FitResult, default_tol, finish, unconverged_advice

__all__ = ["GDResult", "gradient_descent", "gradient_descent_to_tol", "lbfgs", "newton", "proximal_gradient",
           "soft_threshold", "FitResult", "default_tol", "finish", "unconverged_advice"]
