"""The network object (issue 40): chosen once from the config, hashable, with one init, apply,
hand gradient and state; the layers above use only it. A sweep of one model is `fit` with the
same config, for every field the sweep takes, for MLPs and CNNs alike."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxlearn import sweeps
from jaxlearn.gradcheck import check_network
from jaxlearn.nn.network import CNN, MLP
from jaxlearn.training import TrainConfig, evaluate, fit, predict, predict_proba
from jaxlearn.training.checkpoint import load_model, save_params
from jaxlearn.training.model import NETWORKS, network
from tests.conftest import corner_squares


def images(M=120, seed=0):
    """8×8 images of 3 classes (`tests.conftest.corner_squares`)."""
    return corner_squares(M, n_classes=3, seed=seed)


SMALL_MLP = dict(hidden=(8,), epochs=2, batch_size=20, learning_rate=1e-2)
SMALL_CNN = dict(model="cnn", architecture="c4bn-p-drop0.25-d8", image_shape=(1, 8, 8), epochs=2, batch_size=20,
                 learning_rate=1e-2)


def test_the_config_chooses_the_network_once_and_it_is_hashable():
    mlp, cnn = TrainConfig(**SMALL_MLP).network, TrainConfig(**SMALL_CNN).network
    assert isinstance(mlp, MLP) and isinstance(cnn, CNN) and set(NETWORKS) == {"mlp", "cnn"}
    assert network(TrainConfig(**SMALL_MLP)) == mlp
    # what only changes values (learning rate, epochs, seed) leaves the network, and its programs, the same
    other = TrainConfig(**SMALL_CNN | dict(learning_rate=0.5, epochs=7, seed=3)).network
    assert other == cnn and hash(other) == hash(cnn)
    assert jax.jit(lambda x, net: net.eval_block * x, static_argnums=1)(2, cnn) == 2_000
    with pytest.raises(dataclasses.FrozenInstanceError):
        mlp.hidden = (4,)


# (A residual CNN is this CNN object with another architecture string; its residual layers'
# backward pass goes through the same check in tests/test_residual.py.)
@pytest.mark.parametrize("config", [TrainConfig(**SMALL_MLP, dropout=0.3, dtype="float64"),
                                    TrainConfig(**SMALL_CNN, dtype="float64")],
                         ids=["mlp-dropout", "cnn-bn-dropout"])
def test_every_networks_hand_gradient_passes_one_generic_check(config):
    X, y = images(M=6)
    net = config.network
    params = net.init(jax.random.key(1), 64, 3)
    report = check_network(net, params, X.astype(np.float64), np.eye(3)[y], key=jax.random.key(2))
    assert report.ok, str(report)


def test_a_networks_state_goes_with_it_and_the_old_keyword_warns():
    X, y = images()
    config = TrainConfig(**SMALL_CNN)
    state, _ = fit(config, X, y, progress=False)
    with pytest.warns(DeprecationWarning, match=r"evaluate\(\.\.\., batch_stats=\.\.\.\) is deprecated: pass the "
                                                r"TrainState that fit returned"):
        old = evaluate(state.params, X, y, config, batch_stats=state.batch_stats)
    assert old == evaluate(state, X, y, config)
    with pytest.warns(DeprecationWarning, match=r"predict\(\.\.\., batch_stats=\.\.\.\) is deprecated"):
        np.testing.assert_array_equal(predict(state.params, X, config, batch_stats=state.batch_stats),
                                      predict(state, X, config))
    assert predict_proba(state, X, config).shape == (120, 3)
    mlp_state, _ = fit(TrainConfig(**SMALL_MLP), X, y, progress=False)
    assert evaluate(mlp_state.params, X, y, TrainConfig(**SMALL_MLP)) == evaluate(mlp_state, X, y,
                                                                                    TrainConfig(**SMALL_MLP))


def test_a_saved_model_is_evaluated_as_it_was_trained(tmp_path):
    X, y = images()
    config = TrainConfig(**SMALL_CNN)
    state, _ = fit(config, X, y, progress=False)
    save_params(tmp_path / "p.npz", state.params, state.batch_stats)
    assert evaluate(load_model(tmp_path / "p.npz"), X, y, config) == evaluate(state, X, y, config)


def test_the_first_layers_view_is_the_cnns_alone():
    X, _ = images(M=4)
    cnn = TrainConfig(**SMALL_CNN).network
    W, maps = cnn.first_convolution(cnn.init(jax.random.key(0), 64, 3), cnn.init_state(), X)
    assert W.shape == (4, 1, 3, 3) and maps.shape == (4, 4, 8, 8)
    assert TrainConfig(**SMALL_MLP).network.first_convolution(None, (), X) is None


# --- a sweep of one model is fit with the same config ---------------------------------------------

# Each field of TrainConfig that changes training appears in at least one case (grouped, to keep the
# programs few); every case runs as fit and as a one-model sweep, whose parameters, state and
# curves must agree.
SWEEP_EQUALS_FIT = {
    "init-activation-hidden": dict(SMALL_MLP, init="glorot_uniform", activation="tanh", hidden=(8, 6)),
    "quadratic-sgd-constant": dict(SMALL_MLP, loss="quadratic", output="sigmoid", optimizer="sgd",
                                   schedule="constant", learning_rate=0.5),
    "momentum-lam-batch-lookahead": dict(SMALL_MLP, optimizer="momentum", momentum=0.8, lam=1e-3, batch_size=30,
                                         lookahead=3, lookahead_alpha=0.7),
    "nesterov-decay-warmup": dict(SMALL_MLP, optimizer="nesterov", weight_decay=0.05, warmup_epochs=1, epochs=3),
    "smoothing-ema-dropout-seed": dict(SMALL_MLP, label_smoothing=0.1, ema_decay=0.9, dropout=0.3, seed=3),
    "backprop-float64": dict(SMALL_MLP, gradient="backprop", dtype="float64"),
    "cnn-augment-flip": dict(SMALL_CNN, augment=("shift", "flip", "erase"), test_flip=True),
    "resnet-backprop-ema": dict(SMALL_CNN, architecture="c4bn-r4-r8s2-gap", gradient="backprop", ema_decay=0.9,
                                label_smoothing=0.1),
    "cnn-fast-methods": dict(SMALL_CNN, architecture="w-c4bn-p-d8", optimizer="nesterov", schedule="triangular",
                             bn_momentum=0.6, bn_bias_lr=16.0, conv_init="dirac", test_shift=True,
                             gradient="backprop", augment=("shift", "altflip")),
}


def test_the_cases_cover_every_field_that_changes_training():
    changed = {name for case in SWEEP_EQUALS_FIT.values() for name, value in case.items()
               if value != getattr(TrainConfig(), name)}
    assert changed == {f.name for f in dataclasses.fields(TrainConfig)}


@pytest.mark.parametrize("case", SWEEP_EQUALS_FIT.values(), ids=SWEEP_EQUALS_FIT.keys())
def test_a_sweep_of_one_model_is_fit_with_the_same_config(case):
    X, y = images()
    X = X.astype(case.get("dtype", "float32"))
    config = TrainConfig(**case)
    state, history = fit(config, X, y, X[:40], y[:40], progress=False)
    sweep = sweeps.train_many(config, X, y, seeds=[config.seed], X_val=X[:40], y_val=y[:40], progress=False)
    rtol = 1e-10 if config.dtype == "float64" else 1e-4
    np.testing.assert_allclose(sweep.train_loss[0], [h["train_loss"] for h in history], rtol=rtol)
    np.testing.assert_allclose(sweep.val_accuracy[0], [h["val_accuracy"] for h in history])
    trained = sweep.trained(0)
    for a, b in zip(jax.tree.leaves((trained.params, trained.batch_stats)),
                    jax.tree.leaves((state.params, state.batch_stats))):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6 if config.dtype == "float32" else 1e-12)


def test_a_cnn_sweep_trains_each_model_its_own_state():
    X, y = images()
    config = TrainConfig(**SMALL_CNN)
    sweep = sweeps.train_many(config, X, y, learning_rates=[3e-3, 1e-2], seeds=[0, 1], X_val=X[:40], y_val=y[:40],
                              progress=False)
    (mean0, _), (mean1, _) = sweep.trained(0).batch_stats[0], sweep.trained(1).batch_stats[0]
    assert not np.allclose(mean0, mean1)                    # each model its own running statistics
    assert evaluate(sweep.trained(1), X[:40], y[:40], config)["accuracy"] == pytest.approx(
        sweep.validation_accuracy[1])
    with pytest.raises(ValueError, match="dropouts: dropout=0.5 is the MLP's; a CNN's dropout is a layer"):
        sweeps.train_many(config, X, y, dropouts=[0.0, 0.5], progress=False)


def test_the_mlp_runs_as_fast_as_it_can_for_stacked_models_with_the_same_result():
    mlp = TrainConfig(**SMALL_MLP).network
    stacked = mlp.for_stacked_models()
    X, _ = images(M=10)
    params = mlp.init(jax.random.key(0), 64, 3)
    assert stacked.layout == "columns" and stacked != mlp
    np.testing.assert_allclose(stacked.logits(params, (), jnp.asarray(X)), mlp.logits(params, (), jnp.asarray(X)),
                               rtol=1e-5, atol=1e-6)
