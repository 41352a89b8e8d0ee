"""The lecture's multilayer perceptron as a network object (`jaxlearn.nn.network`)."""

import dataclasses

import jax.numpy as jnp

from jaxlearn.nn import mlp
from jaxlearn.nn.backprop import backprop
from jaxlearn.nn.network._base import Network


@dataclasses.dataclass(frozen=True)
class MLP(Network):
    """The lecture's multilayer perceptron (`jaxlearn.nn.mlp`): z^l = W^l a^{l−1} + b^l, a^l = σ(z^l).

    hidden: the hidden layer sizes (n_1, …, n_{L−1}); activation: σ by name; init: "he" or
    "glorot_uniform" (`init_mlp`); dropout: inverted dropout of rate p on the hidden layers while
    training; layout: "rows" or "columns" (`jaxlearn.nn.logits`, the same result).
    """

    hidden: tuple = ()
    activation: str = "relu"
    weight_init: str = "he"
    dropout: float = 0.0
    layout: str = "rows"

    training_only = ("weight_init", "dropout")

    def describe(self) -> str:
        return f"the MLP with hidden layers {self.hidden}" if self.hidden else "the MLP without hidden layers"

    def init(self, key, n_features: int, n_classes: int):
        return mlp.init_mlp(key, [n_features, *self.hidden, n_classes], activation=self.activation,
                            dtype=jnp.dtype(self.dtype), init=self.weight_init)

    def init_state(self, X=None):
        return ()

    @property
    def needs_key(self) -> bool:
        return self.dropout > 0

    def for_stacked_models(self) -> "MLP":
        # samples as columns: the stacked W¹ is never transposed (`jaxlearn.nn.logits`)
        return dataclasses.replace(self, layout="columns")

    def apply(self, params, state, X, *, training: bool = False, key=None, dropout=None):
        """(z^L, state); training with a key draws dropout masks of rate `dropout` (default the
        network's; a sweep passes each model's, traced)."""
        rate = self.dropout if dropout is None else dropout
        key = key if training else None
        return mlp.logits(params, X, activation=self.activation, layout=self.layout, key=key, dropout=rate), state

    def hand_gradient(self, params, state, X, Y, *, key=None, dropout=None):
        """Eqs. (1)–(4) of `jaxlearn.nn.backprop`, with the dropout masks of `apply`."""
        return backprop(params, X, Y, activation=self.activation, loss=self.loss, output=self.output, key=key,
                        dropout=self.dropout if dropout is None else dropout)
