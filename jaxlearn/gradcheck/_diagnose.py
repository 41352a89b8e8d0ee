"""What a wrong hand gradient looks like, in words: the usual mistakes of a derivation.

Each test compares the hand gradient h of one leaf with autodiff's a (NumPy float64 arrays) and
names the simplest relation that explains h, or None:

    shape       h has another shape than θ (a transposed matrix, (1, n) for (n,))
    factor      h ≈ c·a: the wrong sign (c = −1), ½ or 2, M or 1/M (batch sum vs mean)
    transposed  h ≈ aᵀ (a square matrix)
    penalty     h − a ≈ μ·θ: a regularisation term λθ missing (μ < 0) or extra (μ > 0)
    other leaf  h ≈ the autodiff gradient of another leaf of the same shape (the wrong layer)
    unused      a = 0 (and finite differences agree): the loss does not depend on this leaf
    activation  (whole network) the last layer agrees and earlier ones do not: a missing σ'(z)
"""

import numpy as np

MATCH = 1e-3        # a relation holds when it explains h to this relative error (looser than the check)


def _close(x, y, tol=MATCH) -> bool:
    scale = max(np.max(np.abs(y), initial=0.0), np.max(np.abs(x), initial=0.0), 1e-300)
    return bool(np.max(np.abs(x - y), initial=0.0) <= tol * scale)


def _factor_words(c: float, batch: int | None) -> str:
    named = {-1.0: "the wrong sign (hand ≈ −autodiff): a flipped sign, e.g. y − ŷ for ŷ − y, or ascent for descent",
             2.0: "hand ≈ 2 × autodiff: the ½ of the loss left out of the gradient?",
             0.5: "hand ≈ ½ × autodiff: a factor 2 missing (d/dz z² = 2z)?",
             -2.0: "hand ≈ −2 × autodiff: a flipped sign and the ½ of the loss left out?",
             -0.5: "hand ≈ −½ × autodiff: a flipped sign and a factor 2 missing?"}
    for value, words in named.items():
        if abs(c - value) <= MATCH * abs(value):
            return words
    if batch and batch > 2:
        if abs(c - batch) <= MATCH * batch:
            return f"hand ≈ M × autodiff (M = {batch}, the batch size): summed over the batch instead of averaged?"
        if abs(c - 1 / batch) <= MATCH / batch:
            return f"hand ≈ autodiff / M (M = {batch}, the batch size): averaged twice?"
        if abs(c + batch) <= MATCH * batch:
            return f"hand ≈ −M × autodiff (M = {batch}): a flipped sign, and summed over the batch instead of averaged?"
    return f"hand ≈ {c:.4g} × autodiff: a constant factor off"


def diagnose_leaf(name: str, h, a, theta, others: dict, batch: int | None) -> str | None:
    """The relation that explains hand h against autodiff a for leaf `name` (θ its value), or None.
    others: {leaf name: autodiff gradient} of the other leaves."""
    h, a, theta = (np.asarray(v, dtype=np.float64) for v in (h, a, theta))
    if h.shape != a.shape:
        return _shape_words(name, h, a)
    if not np.any(a) and np.any(h):
        return (f"the loss does not depend on {name} (autodiff and finite differences give 0), but the hand "
                "gradient is not 0: an unused or constant leaf, whose gradient is 0")
    if np.any(a) and np.any(h):
        c = float(np.vdot(h, a) / np.vdot(a, a))
        if abs(c - 1) > MATCH and _close(h, c * a):
            return _factor_words(c, batch)
    if a.ndim == 2 and a.shape[0] == a.shape[1] and _close(h, a.T):
        return "hand ≈ autodiffᵀ: transposed (for W of shape (n_l, n_{l−1}): ∂L/∂W = δ aᵀ, not a δᵀ)"
    difference = h - a
    if np.any(theta) and np.any(difference):
        mu = float(np.vdot(difference, theta) / np.vdot(theta, theta))
        if _close(difference, mu * theta, 10 * MATCH):
            if mu < 0:
                return (f"hand − autodiff ≈ {mu:.4g}·{name}: the regularisation term λ·{name} is missing from the "
                        f"hand gradient (λ = {-mu:.4g})")
            return (f"hand − autodiff ≈ {mu:.4g}·{name}: an extra term λ·{name} (λ = {mu:.4g}): regularisation the "
                    "loss does not have, counted twice, or applied to a leaf (a bias?) the loss does not penalise")
    for other, gradient in others.items():
        if np.shape(gradient) == h.shape and np.any(h) and _close(h, np.asarray(gradient, np.float64)):
            return (f"hand ∂L/∂{name} equals autodiff's ∂L/∂{other}: the gradient of another leaf (the wrong "
                    "layer's δ or activation, an index off by one?)")
    return None


def _shape_words(name: str, h, a) -> str:
    words = f"hand ∂L/∂{name} has shape {h.shape}; {name} is {a.shape}"
    if h.ndim == 2 and a.ndim == 2 and h.shape == a.shape[::-1]:
        if _close(h.T, a):
            return f"{words}: transposed (for W of shape (n_l, n_{{l−1}}): ∂L/∂W = δ aᵀ, not a δᵀ)"
        return f"{words}: transposed, and the values differ too"
    if h.size == a.size:
        right = _close(h.reshape(a.shape), a)
        return (f"{words}: the values are right, the shape is not (a kept axis? sum over the batch with "
                f"axis=0 and without keepdims)" if right else f"{words}, and the values differ too")
    if h.ndim == a.ndim + 1 and h.shape[1:] == a.shape:
        return f"{words}: one gradient per sample? (sum or average over the batch axis 0)"
    return words


def diagnose_layers(names: list, oks: list, diagnoses: list) -> dict:
    """Whole-network pattern for params [(W¹, b¹), …] (names W1, b1, …): the last layer right and
    an earlier one wrong, unexplained: δ lost its σ'(z) on the way back. Returns {name: words}."""
    layers = sorted({int(n[1:]) for n in names if n[:1] in "Wb" and n[1:].isdigit()})
    if len(layers) < 2:
        return {}
    by_name = dict(zip(names, zip(oks, diagnoses)))
    last = layers[-1]
    if not all(by_name.get(f"{k}{last}", (False, None))[0] for k in "Wb"):
        return {}
    words = {}
    for layer in layers[:-1]:
        for kind in "Wb":
            name = f"{kind}{layer}"
            ok, diagnosis = by_name.get(name, (True, None))
            if not ok and diagnosis is None:
                words[name] = (f"layer {last} (the output) is right but {name} is not: the error enters where δ goes "
                               f"back through an activation — a missing σ'(z^{layer}) in δ^{layer} = "
                               f"(W^{layer + 1}ᵀ δ^{layer + 1}) ⊙ σ'(z^{layer})? (it changes the gradient only where "
                               "the activation is not linear)")
    return words
