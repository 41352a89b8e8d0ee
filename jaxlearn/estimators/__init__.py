"""scikit-learn-compatible estimators over jaxlearn's functional core (no maths of their own).

Swap the import and keep the code:

    from jaxlearn.estimators import Ridge, LogisticRegression, SVC, MLPClassifier

Parameters keep scikit-learn's names and meanings; each docstring gives the relation to the
lecture's symbols. Inputs are checked with scikit-learn's own `validate_data` (its errors and
wording), fitted attributes are NumPy arrays ending in `_`, and the estimators pickle.
The modules follow scikit-learn's: linear_model, kernel_ridge, gaussian_process, preprocessing, svm, neural_network.
"""

from jaxlearn.estimators.gaussian_process import GaussianProcessRegressor
from jaxlearn.estimators.kernel_ridge import KernelRidge, KernelRidgeCV
from jaxlearn.estimators.linear_model import LinearRegression, LogisticRegression, LogisticRegressionCV, Ridge, RidgeCV
from jaxlearn.estimators.neural_network import MLPClassifier
from jaxlearn.estimators.preprocessing import PolynomialFeatures, StandardScaler
from jaxlearn.estimators.svm import SVC, LinearSVC

__all__ = ["LinearRegression", "Ridge", "RidgeCV", "LogisticRegression", "LogisticRegressionCV", "KernelRidge",
           "KernelRidgeCV", "GaussianProcessRegressor", "PolynomialFeatures", "StandardScaler", "LinearSVC", "SVC",
           "MLPClassifier"]
