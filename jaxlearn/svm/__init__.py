"""Support vector machines: the primal hinge loss (eq. 36) and the kernel SVM in the dual (eqs. 40–43).

    linear.py       the hinge objective and subgradient, the primal linear SVM (smoothed hinge, L-BFGS)
    smo.py          SMO with libsvm's working-set selection, many dual problems at once
    working_set.py  SMO at any size: q kernel rows per outer iteration, no M × M matrix
    kernel.py       the kernel SVM: one-vs-one fit (either solver), decision function, prediction
"""

from jaxlearn.svm.kernel import (
           AUTO_GRAM_BYTES,
           GRAM_LIMIT_BYTES,
           KernelSVM,
           decision_function,
           fit_kernel_svm,
           ovr_decision_function,
           predict,
)
from jaxlearn.svm.linear import LinearSVM, fit_linear_svm, hinge_objective, hinge_subgradient
from jaxlearn.svm.smo import TAU

__all__ = ["AUTO_GRAM_BYTES", "GRAM_LIMIT_BYTES", "KernelSVM", "LinearSVM", "TAU", "decision_function",
           "fit_kernel_svm", "fit_linear_svm", "hinge_objective", "hinge_subgradient", "ovr_decision_function",
           "predict"]
