"""Gradient verification for everyone's code: a hand-derived gradient (or Hessian) against
`jax.grad` and central finite differences, with a diagnosis of the usual mistakes.

    report = check_gradient(loss, grad, params, X, Y)    # loss(params, X, Y) → L; grad → ∂L/∂params
    print(report)                                        # one row per leaf, and what looks wrong
    report.assert_ok()                                   # or assert_gradients_match(...) in pytest
    check_network(net, params, X, Y, key=key)            # any network's hand_gradient (MLP, CNN, …)

`jax.test_util.check_grads` and `torch.autograd.gradcheck` compare autodiff with finite
differences; neither takes a hand-written gradient, nor says what is wrong with one. Here the
hand gradient is compared leaf by leaf, in float64 under a scoped `jax.enable_x64` whatever the
user's setting, and a mismatch is named: the wrong shape, transposed, the wrong sign, a factor ½,
2, M or 1/M (a sum over the batch instead of a mean), a missing or extra regularisation term
with its λ, the gradient of another layer, an unused leaf, a missing activation derivative.
`jaxlearn verify` runs every hand-derived formula of the library through it.
"""

from jaxlearn.gradcheck._check import assert_gradients_match, check_gradient, check_hessian, leaf_names
from jaxlearn.gradcheck._network import check_network
from jaxlearn.gradcheck._report import GradientReport, LeafReport

__all__ = ["check_gradient", "check_hessian", "check_network", "assert_gradients_match", "GradientReport",
           "LeafReport", "leaf_names"]
