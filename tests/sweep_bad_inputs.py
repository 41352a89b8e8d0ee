"""A sweep of bad inputs over the public API and the CLI, as a new user would try them.

    python -m tests.sweep_bad_inputs [--defaults] [--verbose]

Each public entry point is called with good arguments and then with one argument spoiled at
a time (wrong shape, NaN, inf, empty, strings, None, float16, complex, a length mismatch; for
numbers: a string, None, NaN, inf, a negative number, a float where an integer belongs, a
bool, a list). Every outcome is classified:

    clear     raised TypeError/ValueError (or a jaxlearn error) whose message names the spoiled
              argument (or the estimator's parameter); for files, names the file
    unclear   raised, but the message does not name the argument (or it came from deep inside
              JAX / NumPy)
    accepted  returned, for a spoiling that is legitimate input (a list for an array, a float16
              array where no factorization is involved, 0 for λ, ...), with a finite result
    SILENT    returned for input that is wrong, or returned a non-finite result: the weak spot
              the sweep exists to find

It prints the count of each class and every case that is not clear. Not a test (it takes a few
minutes); its findings are written into tests as they are fixed (tests/test_bad_input.py).
"""

import argparse
import contextlib
import io
import math
import traceback
import warnings

import jax
import numpy as np

RNG = np.random.default_rng(0)
M, N = 24, 3
X = RNG.normal(size=(M, N))
X1 = np.column_stack([np.ones(M), X[:, :2]])     # with a bias column
Y_REAL = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * RNG.normal(size=M)
Y01 = (Y_REAL > 0).astype(float)
Y_PM = 2 * Y01 - 1
LABELS = np.arange(M) % 3

# spoilings of an array argument: name -> (function of the good value, is it legitimate input?)
ARRAY_SPOILS = {
    "NaN": (lambda a: _with(a, np.nan), False),
    "inf": (lambda a: _with(a, np.inf), False),
    "extra axis": (lambda a: np.asarray(a)[..., None], False),
    "flattened": (lambda a: np.asarray(a).reshape(-1) if np.ndim(a) > 1 else np.asarray(a)[None], False),
    "empty": (lambda a: np.asarray(a)[:0], False),
    "one row fewer": (lambda a: np.asarray(a)[:-1], False),
    "strings": (lambda a: np.full(np.shape(a), "a"), False),
    "None": (lambda a: None, False),
    "complex": (lambda a: np.asarray(a) + 1j, False),
    "list": (lambda a: np.asarray(a).tolist(), True),
    "float16": (lambda a: np.asarray(a).astype(np.float16), True),
}
# spoilings of a number argument (legitimacy depends on the argument: see NUMBER_OK)
NUMBER_SPOILS = {
    "string": "0.1", "None": None, "NaN": math.nan, "inf": math.inf, "negative": -1.0, "zero": 0,
    "2.5 (not an integer)": 2.5, "bool": True, "list": [1, 2],
}


# array arguments whose None means "the default" (gram's X2 = X1)
LEGIT_NONE = {"X2"}
# (M, 1) targets: scikit-learn ravels them with a DataConversionWarning, so the estimators do too
LEGIT_COLUMN = {"y"}


def _with(a, value):
    a = np.array(a, dtype=float, copy=True)
    a.flat[min(3, a.size - 1)] = value
    return a


def cases():
    """(name, call(**kwargs), good kwargs, {arg: 'array' | ('number', legitimate spoil names)}[, args whose
    length is free (default: the only array argument)[, legitimate (arg, array spoil) pairs]])."""
    import jaxlearn
    from jaxlearn import estimators as est
    from jaxlearn import kernels, logistic, nn, svm, sweeps, training
    from jaxlearn.nn.backprop import backprop

    params = nn.init_mlp(jax.random.key(0), [N, 4, 3])
    Y_HOT = np.asarray(nn.one_hot(LABELS, 3, dtype=np.float32))
    config = training.TrainConfig(hidden=(4,), epochs=1, batch_size=8)
    kernel_model = svm.fit_kernel_svm(X, Y_PM)
    scaler = jaxlearn.fit_standardizer(X)
    nonneg = ("zero", "2.5 (not an integer)")
    positive = ("2.5 (not an integer)",)
    integer = ()
    yield from [
        ("solve", jaxlearn.solve, dict(X=X, y=Y_REAL, lam=0.1), dict(X="array", y="array", lam=("number", nonneg))),
        ("solve(method='cholesky')", lambda **k: jaxlearn.solve(method="cholesky", **k), dict(X=X, y=Y_REAL),
         dict(X="array", y="array")),
        ("solve(method='gd')", lambda **k: jaxlearn.solve(X, Y_REAL, method="gd", **k), dict(eta=0.1),
         dict(eta=("number", positive + ("None",)))),
        ("least_squares_grad", jaxlearn.least_squares_grad, dict(theta=np.ones(N), X=X, y=Y_REAL, lam=0.1),
         dict(theta="array", X="array", y="array", lam=("number", nonneg))),
        ("gradient_descent", lambda theta0, **k: jaxlearn.gradient_descent(jaxlearn.least_squares_loss, theta0, X,
                                                                           Y_REAL, **k),
         dict(theta0=np.zeros(N), eta=0.1, max_iter=50), dict(theta0="array", eta=("number", positive),
                                                               max_iter=("number", integer))),
        ("vandermonde", jaxlearn.vandermonde, dict(x=X[:, 0], degree=3), dict(x="array", degree=("number", ("zero",))),
         {"x"}, {("x", "empty")}),
        ("polynomial_features", jaxlearn.polynomial_features, dict(X=X, degree=2),
         dict(X="array", degree=("number", ("zero",)))),
        ("fit_standardizer", jaxlearn.fit_standardizer, dict(X=X), dict(X="array")),
        ("standardize", lambda **k: jaxlearn.standardize(scaler, **k), dict(X=X), dict(X="array")),
        ("back_substitution", jaxlearn.back_substitution, dict(R=np.triu(X[:3]) + 3 * np.eye(3), c=np.ones(3)),
         dict(R="array", c="array"), set(), {("c", "extra axis")}),
        ("logistic.fit", logistic.fit, dict(X=X1, y=Y01, lam=0.1), dict(X="array", y="array", lam=("number", nonneg))),
        ("logistic.fit_softmax", logistic.fit_softmax, dict(X=X1, labels=LABELS, lam=0.1),
         dict(X="array", labels="array", lam=("number", nonneg))),
        ("logistic.predict", logistic.predict, dict(theta=np.ones(3), X=X1), dict(theta="array", X="array"), {"X"}),
        ("logistic.binary_cross_entropy", logistic.binary_cross_entropy, dict(theta=np.ones(3), X=X1, y=Y01),
         dict(theta="array", X="array", y="array")),
        ("svm.fit_linear_svm", svm.fit_linear_svm, dict(X=X, y=Y_PM, C=1.0),
         dict(X="array", y="array", C=("number", positive)), set(), {("y", "extra axis")}),   # (M, K): K problems
        ("svm.fit_kernel_svm", svm.fit_kernel_svm, dict(X=X, y=LABELS, C=1.0, gamma=0.5),
         dict(X="array", C=("number", positive), gamma=("number", positive))),
        ("svm.hinge_objective", svm.hinge_objective, dict(w=np.ones(N), b=0.0, X=X, y=Y_PM, C=1.0),
         dict(w="array", X="array", y="array")),
        ("svm.decision_function", lambda **k: svm.decision_function(kernel_model, **k), dict(X=X, block=10),
         dict(X="array", block=("number", integer))),
        ("svm.predict", lambda **k: svm.predict(kernel_model, **k), dict(X=X), dict(X="array")),
        ("kernels.make_kernel", kernels.make_kernel, dict(name="rbf", gamma=1.0, coef0=0.0, degree=3),
         dict(gamma=("number", positive), coef0=("number", ("zero", "negative", "2.5 (not an integer)", "bool")),
              degree=("number", integer))),
        ("kernels.gram", lambda **k: kernels.gram(kernels.make_kernel("rbf"), **k), dict(X1=X, X2=X[:5]),
         dict(X1="array", X2="array"), {"X1", "X2"}),
        ("nn.init_mlp", nn.init_mlp, dict(key=jax.random.key(0), sizes=[N, 4, 3]),
         dict(key=("number", ()), sizes="array")),
        ("nn.logits", lambda **k: nn.logits(params, **k), dict(X=X), dict(X="array")),
        ("nn.cross_entropy_loss", lambda **k: nn.cross_entropy_loss(params, **k), dict(X=X, Y=Y_HOT),
         dict(X="array", Y="array")),
        ("backprop", lambda **k: backprop(params, **k), dict(X=X, Y=Y_HOT), dict(X="array", Y="array")),
        ("nn.one_hot", nn.one_hot, dict(labels=LABELS, num_classes=3),
         dict(labels="array", num_classes=("number", ("2.5 (not an integer)",))), {"labels"}, {("labels", "empty")}),
        ("nn.init_mlp(dtype=…)", lambda **k: nn.init_mlp(jax.random.key(0), [N, 4, 3], **k), dict(dtype=np.float32),
         dict(dtype=("number", ("None",)))),              # None: the default float, as NumPy's
        ("training.TrainConfig", training.TrainConfig, dict(learning_rate=0.1, batch_size=8, epochs=1, momentum=0.9,
                                                            dropout=0.2),
         dict(learning_rate=("number", positive), batch_size=("number", integer), epochs=("number", integer),
              momentum=("number", ("zero", "2.5 (not an integer)")), dropout=("number", ("zero",)))),
        ("nn.logits(key=…, dropout=…)", lambda **k: nn.logits(params, X, key=jax.random.key(0), **k),
         dict(dropout=0.2), dict(dropout=("number", ("zero",)))),
        ("training.fit", lambda **k: training.fit(config, progress=False, **k), dict(X_train=X, y_train=LABELS),
         dict(X_train="array", y_train="array")),
        ("training.evaluate", lambda **k: training.evaluate(params, config=config, **k),
         dict(X=X.astype(np.float32), labels=LABELS, block=10), dict(X="array", labels="array",
                                                                     block=("number", integer))),
        ("sweeps.ridge_path", sweeps.ridge_path, dict(X=X, y=Y_REAL, lams=[0.1, 1.0]),
         dict(X="array", y="array", lams="array"), {"lams"}),
        ("sweeps.ridge_loo_path", sweeps.ridge_loo_path, dict(X=X, y=Y_REAL, lams=[0.1, 1.0]),
         dict(X="array", y="array", lams="array"), {"lams"}),
        ("sweeps.logistic_path", sweeps.logistic_path, dict(X=X1, y=Y01, lams=[0.1, 1.0]),
         dict(X="array", y="array", lams="array"), {"lams"}),
        ("sweeps.train_many", lambda **k: sweeps.train_many(config, progress=False, **k),
         dict(X=X, y=LABELS, learning_rates=[0.01, 0.1]), dict(X="array", y="array", learning_rates="array"),
         {"learning_rates"}),
        ("sweeps.train_many(dropouts=…)", lambda **k: sweeps.train_many(config, X, LABELS, progress=False, **k),
         dict(dropouts=[0.0, 0.2]), dict(dropouts="array"), {"dropouts"}),
    ]
    for make, data, params_ in [
        (est.Ridge, (X, Y_REAL), dict(alpha=("number", nonneg))),
        (est.LogisticRegression, (X, LABELS), dict(C=("number", positive), tol=("number", nonneg),
                                                   max_iter=("number", integer))),
        (est.LinearSVC, (X, Y01), dict(C=("number", positive), max_iter=("number", integer))),
        (est.SVC, (X, LABELS), dict(C=("number", positive), gamma=("number", positive),
                                    degree=("number", integer), tol=("number", positive))),
        (est.MLPClassifier, (X, LABELS), dict(learning_rate_init=("number", positive), max_iter=("number", integer),
                                              batch_size=("number", integer))),
        (est.StandardScaler, (X,), {}),
        (est.PolynomialFeatures, (X,), dict(degree=("number", ("zero",)))),
    ]:
        for param, rule in params_.items():
            yield (f"{make.__name__}({param}=…).fit", lambda data=data, make=make, **k: make(**k).fit(*data),
                   {param: make().get_params()[param]}, {param: rule})
        yield (f"{make.__name__}().fit", lambda make=make, **k: make().fit(**k), dict(X=data[0]) |
               (dict(y=data[1]) if len(data) > 1 else {}), {"X": "array"} | ({"y": "array"} if len(data) > 1 else {}))


def single_cases():
    """(name, call, the words a clear answer names, expected: "raise" or a warning class) for inputs
    that are not a spoiling of one argument: files, whole objects, numerically singular systems."""
    import struct
    import tempfile
    from pathlib import Path

    import jaxlearn
    from jaxlearn import nn
    from jaxlearn.data.idx import parse_idx, read_idx
    from jaxlearn.training.checkpoint import save_params

    folder = Path(tempfile.mkdtemp())
    (folder / "a-file").write_text("not a folder")
    params = nn.init_mlp(jax.random.key(0), [N, 4, 3])
    n = 100
    kahan = np.diag(np.sin(1.2) ** np.arange(n)) @ (np.eye(n) - np.cos(1.2) * np.triu(np.ones((n, n)), 1))
    return [
        ("save_params(path inside a file)", lambda: save_params(folder / "a-file" / "p.npz", params),
         ("a-file",), "raise"),
        ("save_params(params=None)", lambda: save_params(folder / "p.npz", None), ("params",), "raise"),
        ("standardize(scaler=None)", lambda: jaxlearn.standardize(None, X), ("scaler",), "raise"),
        ("read_idx(a missing file)", lambda: read_idx(folder / "missing.gz"), ("missing.gz", "does not exist"),
         "raise"),
        ("parse_idx(2³¹ × 2³¹ × 2³¹ elements)",
         lambda: parse_idx(struct.pack(">HBB3I", 0, 8, 3, 2**31, 2**31, 2**31), "huge"), ("huge",), "raise"),
        ("solve(Kahan n=100, cond ≈ 1e17)", lambda: jaxlearn.solve(kahan, kahan @ np.ones(n)), ("rank",),
         np.exceptions.RankWarning),
    ]


def run_single(call, names, expected):
    if expected == "raise":
        return classify(call, {}, False, names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except Exception as err:  # noqa: BLE001 - a finding
            return "unclear", f"{type(err).__name__}: {err}"[:150]
    hits = [w for w in caught if issubclass(w.category, expected) and any(n in str(w.message) for n in names)]
    return ("clear", str(hits[0].message)[:150]) if hits else ("SILENT", "returned without a warning")


def cli_cases():
    """(name, argv, legitimate?) for `jaxlearn train` / `evaluate`."""
    base = ["train", "--no-progress", "--out", "/tmp/jaxlearn-sweep-run", "--epochs", "1", "--hidden", "8"]
    for option, values in {"--lr": ["abc", "-1", "nan", "inf", "0"], "--epochs": ["0", "-2", "1.5", "x"],
                           "--batch-size": ["0", "-5", "x", "10000000"], "--hidden": ["", "a", "0", "8,,8"],
                           "--seed": ["-1", "x"], "--momentum": ["-1", "nan"], "--dtype": ["float16"],
                           "--validation-size": ["-1", "60000"], "--activation": ["gelu"],
                           "--data-dir": ["/nonexistent"], "--out": ["/proc/x"]}.items():
        for value in values:
            yield f"train {option} {value!r}", base + [option, value]
    yield "evaluate a missing folder", ["evaluate", "/nonexistent-run"]
    yield "train --resume without --out", ["train", "--resume"]


def classify(call, kwargs, legitimate, names):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = call(**kwargs)
        except (TypeError, ValueError, FloatingPointError, OSError, KeyError, ZeroDivisionError,
                AttributeError, IndexError, NotImplementedError, RuntimeError) as err:
            message = str(err)
            frames = traceback.extract_tb(err.__traceback__)
            ours = bool(frames) and "jaxlearn" in frames[-1].filename
            named = any(name in message for name in names)
            if any("sklearn/utils/validation.py" in f.filename for f in frames):
                return "clear", f"(scikit-learn's own check) {type(err).__name__}: {message.splitlines()[0][:120]}"
            kind = "clear" if (named and ours and isinstance(err, TypeError | ValueError | FloatingPointError
                                                                  | OSError)) else "unclear"
            return kind, f"{type(err).__name__}: {message.splitlines()[0][:150] if message else ''}"
    leaves = [np.asarray(x) for x in jax.tree_util.tree_leaves(result) if hasattr(x, "dtype")]
    finite = all(np.all(np.isfinite(x)) for x in leaves if x.dtype.kind in "fc")
    if legitimate and finite:
        return "accepted", ""
    return "SILENT", "returned " + ("non-finite values" if not finite else "a result")


def run_cli(argv):
    from jaxlearn.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit:
            code = exit.code
        except Exception as exc:  # noqa: BLE001 - a traceback is what the sweep looks for
            return "unclear", f"traceback: {type(exc).__name__}: {exc}"
    text = err.getvalue().strip()
    if code == 0:
        return "SILENT", "exit 0"
    lines = [line for line in text.splitlines() if line.strip()]
    # one error line (argparse puts its usage lines before it), never a traceback
    clear = bool(lines) and lines[-1].startswith("jaxlearn") and "error:" in lines[-1] and "Traceback" not in text
    return ("clear" if clear else "unclear"), (lines[-1][:150] if lines else "")


def spoiled_calls():
    """(description, outcome, detail) for every spoiled call of every case."""
    for name, call, good, spoilable, *extra in cases():
        arrays = [a for a, kind in spoilable.items() if kind == "array"]
        free = extra[0] if extra else set(arrays) if len(arrays) == 1 else set()
        legit = extra[1] if len(extra) > 1 else set()
        function = name.split("(")[0]
        for arg, kind in spoilable.items():
            for label, (value, ok) in spoils_of(arg, kind, good[arg], free, legit, name).items():
                # a message may name the spoiled argument, or the array it no longer matches
                names = (arg, function, *arrays) if kind == "array" else (arg, function)
                try:
                    outcome, detail = classify(call, good | {arg: value}, ok, names)
                except Exception as exc:  # noqa: BLE001 - anything else is a finding
                    outcome, detail = "unclear", f"{type(exc).__name__}: {exc}"[:150]
                yield f"{name}  {arg} = {label}", outcome, detail


def spoils_of(arg, kind, good_value, free, legit, name) -> dict:
    """label → (spoiled value, is it legitimate input?) for one argument."""
    if kind != "array":
        return {label: (value, label in kind[1]) for label, value in NUMBER_SPOILS.items()}
    spoils = {}
    for label, (make, ok) in ARRAY_SPOILS.items():
        ok = (ok or (label == "one row fewer" and arg in free) or (label == "None" and arg in LEGIT_NONE)
              or (label == "extra axis" and arg in LEGIT_COLUMN and name.endswith(").fit")) or (arg, label) in legit)
        with contextlib.suppress(Exception):   # a spoiling that does not apply to this value
            spoils[label] = (make(good_value), ok)
    return spoils


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--defaults", action="store_true", help="x64 off (JAX's default) instead of on")
    parser.add_argument("--verbose", action="store_true", help="print every case")
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", not args.defaults)
    results = (list(spoiled_calls()) + [(name, *run_single(*rest)) for name, *rest in single_cases()]
               + [(f"jaxlearn {name}", *run_cli(argv)) for name, argv in cli_cases()])
    counts = {}
    for description, outcome, detail in results:
        counts[outcome] = counts.get(outcome, 0) + 1
        if args.verbose or outcome in ("unclear", "SILENT"):
            print(f"{outcome:8s} {description}: {detail}")
    print(f"x64 {'off' if args.defaults else 'on'}: {len(results)} cases: " +
          ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
