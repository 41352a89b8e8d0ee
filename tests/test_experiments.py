"""The lecture-figure scripts run end to end (quick mode) and show what the lecture says."""

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"


@pytest.fixture(scope="module")
def experiment():
    sys.path.insert(0, str(EXPERIMENTS))
    yield lambda name: importlib.import_module(name)
    sys.path.remove(str(EXPERIMENTS))


def run(module, out_dir):
    summary = module.main(out_dir, quick=True)
    assert list(out_dir.glob("*.png")), "no figure written"
    assert json.loads((out_dir / "summary.json").read_text())
    return summary


def test_linear_vs_quadratic(experiment, tmp_path):
    summary = run(experiment("linear_vs_quadratic"), tmp_path)
    assert summary["degree_2"]["train_mse"] < 0.5 * summary["degree_1"]["train_mse"]
    # the parabola recovers f(x) = 1 + x − 2x² from 25 noisy samples
    assert summary["degree_2"]["theta"] == pytest.approx([1.0, 1.0, -2.0], abs=0.35)


def test_gradient_descent_eta(experiment, tmp_path):
    summary = run(experiment("gradient_descent_eta"), tmp_path)
    good, small, large = (summary[k] for k in summary if k != "minimum_loss")
    assert good["converged"] and good["final_loss"] == pytest.approx(summary["minimum_loss"], rel=1e-6)
    assert not small["converged"] and not small["diverged"]
    assert large["diverged"]


def test_overfitting(experiment, tmp_path):
    summary = run(experiment("overfitting"), tmp_path)
    train, validation = (dict(zip(summary["degrees"], summary[k])) for k in ("train_mse", "validation_mse"))
    assert summary["best_degree"] == 2
    assert train[20] < train[2]
    assert validation[20] > 100 * validation[2]


def test_ridge(experiment, tmp_path):
    summary = run(experiment("ridge"), tmp_path)
    assert summary["best_validation_mse"] < 0.01 * summary["validation_mse_unregularised"]
    assert 1e-8 < summary["best_lam"] < 1
    # leave-one-out on the 25 training samples picks λ within two decades of the validation set's
    assert abs(np.log10(summary["best_lam_loo"] / summary["best_lam"])) <= 2


def test_solver_scaling(experiment, tmp_path):
    summary = run(experiment("solver_scaling"), tmp_path)
    errors = summary["relative_error"]
    kappas = summary["kappas"]
    i = kappas.index(1e6)
    assert errors["qr"][i] < 1e-7 and errors["auto"][i] < 1e-7
    assert errors["cholesky"][i] > 100 * errors["qr"][i]  # the Gram matrix squares κ
    assert (tmp_path / "cost_table.md").read_text().count("|") > 20


def test_nn_comparisons(experiment, tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    summary = run(experiment("nn_comparisons"), tmp_path)
    assert len(list(tmp_path.glob("*.png"))) == 5
    accuracy = {k: {label: r["test_accuracy"] for label, r in v.items()}
                for k, v in summary.items() if k != "batch_size_learning_rate"}
    assert accuracy["learning_curves"]["mnist"] > 0.93
    assert accuracy["activations"]["relu"] > accuracy["activations"]["sigmoid"]
    assert accuracy["normalisation"]["scaled to [0, 1]"] > accuracy["normalisation"]["raw 0–255 pixels"]
    assert accuracy["losses"]["cross-entropy + softmax"] > accuracy["losses"]["quadratic + sigmoid"]
    assert np.min(summary["batch_size_learning_rate"]["test_accuracy"]) > 0.85


def test_mnist_targets_quick(experiment, tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    summary = run_without_figures(experiment("mnist_targets"), tmp_path)
    assert summary["mnist"]["mean"] > 0.92  # 2 epochs on 10 000 images: 93.9 %
    sources = summary["gradient_sources"]
    assert abs(sources["autodiff"]["test_accuracy"] - sources["backprop"]["test_accuracy"]) < 0.005


def run_without_figures(module, out_dir):
    summary = module.main(out_dir, quick=True)
    assert json.loads((out_dir / "summary.json").read_text())
    return summary


def test_classification(experiment, tmp_path):
    summary = run(experiment("classification"), tmp_path)
    accuracy = summary["logistic_polynomial_features_train_accuracy"]
    assert accuracy["circles / x = [1, x₁², x₂²]"] == 1.0 and accuracy["circles / x = [1, x₁, x₂]"] < 0.7
    assert accuracy["XOR / full degree 2"] == 1.0 and accuracy["XOR / x = [1, x₁, x₂]"] < 0.7
    iterations = summary["logistic_separable"]["gd_iterations"]
    assert iterations["standardised features"] < iterations["raw features (x₂ in other units)"] / 2
    margins = [summary["linear_svm"][c]["margin"] for c in ("0.1", "1.0", "100.0")]
    assert margins[0] > margins[1] > margins[2]                  # larger C, narrower margin
    support_vectors = {name: result["support_vectors"] for name, result in summary["kernel_svm"].items()}
    assert support_vectors["RBF γ = 100"] > support_vectors["RBF γ = 1"]


def test_cnn_targets_quick(experiment, tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    summary = run(experiment("cnn_targets"), tmp_path)
    assert {p.name for p in tmp_path.glob("*.png")} == {"mlp_vs_cnn.png", "augmentation.png"}
    # the rule under the header, then 2 MLPs, 1 MNIST CNN seed and 3 Fashion-MNIST augmentations
    assert (tmp_path / "cnn_table.md").read_text().count("\n|") == 7
    assert summary["mnist_cnn"]["mean"] > 0.5                                 # 2 epochs, a tiny CNN: 85 %
    assert summary["compare"]["mnist MLP"]["test_accuracy"] > 0.9
    assert set(summary["fashion"]) == {"fashion-mnist CNN, no augmentation", "fashion-mnist CNN, flip",
                                       "fashion-mnist CNN, shift + flip"}
    assert summary["fashion_best"]["label"] in summary["fashion"]
    again = experiment("cnn_targets").main(tmp_path, quick=True)         # finished runs are kept, not redone
    assert again["mnist"] == summary["mnist"] and again["fashion"] == summary["fashion"]


def test_lr_seed_study(experiment, tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    summary = experiment("lr_seed_study").main(tmp_path, quick=True)
    assert sorted(summary["final_val_accuracy"]) == ["0.001", "0.01"]
    assert all(len(v) == 2 for v in summary["final_val_accuracy"].values())        # two seeds each
    assert (tmp_path / "study" / "curves.png").is_file() and "± " in summary["summary_md"]


def test_fashion95_quick(experiment, tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    module = experiment("fashion95")
    summary = module.main(["--quick", "--seeds", "0", "--out", str(tmp_path)])
    assert {p.name for p in tmp_path.glob("*.png")} == {"curves.png", "confusion.png"}
    table = (tmp_path / "table.md").read_text()
    assert table.count("\n|") == 2 and "c8bn-r8-r16s2-gap" in table and "label smoothing 0.1" in table
    row = summary["runs"][0]
    assert 0.3 < row["test_accuracy"] <= 1 and 0.3 < row["test_accuracy_tta"] <= 1 and row["epochs"] == 2
    assert len(summary["most_confused"]) == 8 and (tmp_path / "confused.md").is_file()
    sessions = json.loads((tmp_path / "runs" / "recipe-seed0" / "sessions.json").read_text())
    assert [s["epochs"] for s in sessions] == [[1, 2]] and row["seconds"] == sessions[0]["seconds"] > 0
    # a finished run folder is reported again, not retrained
    again = module.main(["--report-only", "--runs", str(tmp_path / "runs" / "recipe-seed0"), "--mlp",
                         str(tmp_path / "runs" / "mlp"), "--out", str(tmp_path / "again")])
    assert again["runs"][0]["test_accuracy"] == row["test_accuracy"]
    # the best model is published as a run folder that `jaxlearn evaluate` tests
    from jaxlearn.training.runs import evaluate_run

    published = again["published"]
    assert evaluate_run(tmp_path / "again")["accuracy"] == published["test_accuracy"]
    assert published["test_accuracy"] == max(row["test_accuracy"], row["test_accuracy_tta"])


def test_fashion95_records_an_interrupted_session(experiment, tmp_path, monkeypatch):
    """A run that spans interruptions reports the time of all its sessions: each one is recorded
    in sessions.json with the epochs it trained, Ctrl-C included."""
    module = experiment("fashion95")
    run_dir = tmp_path / "run"

    def trains_then_is_interrupted(config, run_dir, *, resume, **kwargs):
        run_dir.mkdir(exist_ok=True)
        done = len(module._metrics(run_dir).get("history", [])) if resume else 0
        (run_dir / "checkpoint.npz").touch()
        (run_dir / "metrics.json").write_text(json.dumps({"history": [{"epoch": e} for e in range(done + 3)]}))
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "train_and_evaluate", trains_then_is_interrupted)
    for _ in range(2):
        with pytest.raises(KeyboardInterrupt):
            module.train(module.QUICK, run_dir)
    sessions = json.loads((run_dir / "sessions.json").read_text())
    assert [s["epochs"] for s in sessions] == [[1, 3], [4, 6]]
    assert all(s["seconds"] >= 0 and "cores" in s["machine"] for s in sessions)
    assert module._total_seconds(run_dir, {}) == sum(s["seconds"] for s in sessions)


def test_fashion95_exits_130_on_ctrl_c(experiment, tmp_path, monkeypatch, capsys):
    """Ctrl-C ends the script as it ends `jaxlearn train`: exit 130 and one line that says the
    run is kept and how to resume it, not a KeyboardInterrupt traceback."""
    module = experiment("fashion95")

    def interrupted(config, run_dir, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "train", interrupted)
    assert module.command(["--quick", "--seeds", "0", "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "resumes" in err and "Traceback" not in err


def test_fast_exercise_times_a_cold_command_and_reports_it(experiment, tmp_path, data_dir, monkeypatch):
    """One recipe's command, tiny (--quick), in a process of its own: its wall time and epoch lines
    are recorded, its run folder is evaluable, and the report tables and plots it."""
    monkeypatch.setenv("JAXLEARN_DATA_DIR", str(data_dir))
    module = experiment("fast_exercise")
    summary = module.main(["--quick", "--recipes", "mnist99", "--seeds", "0", "--out", str(tmp_path)])
    run_dir = tmp_path / "mnist99-seed0"
    timing = json.loads((run_dir / "timing.json").read_text())
    assert timing["command"].startswith("jaxlearn train --dataset mnist --model cnn")
    assert [e["epoch"] for e in timing["epochs"]] == [1] and 0 < timing["epochs"][0]["seconds"] < timing["wall_seconds"]
    assert 0 <= timing["epochs"][0]["val_accuracy"] <= 1 and not list(run_dir.glob("*.png"))
    row = summary["runs"][0]
    assert row["seconds"] == timing["wall_seconds"] and 0.5 < row["test_accuracy"] <= 1
    recipe = summary["recipes"]["mnist99"]
    assert recipe["met"] is False          # one seed is never enough for a target of 3
    assert (tmp_path / "time_to_accuracy.png").is_file() and "| mnist99 | 0 |" in (tmp_path / "table.md").read_text()
    from jaxlearn.training.runs import evaluate_run

    assert evaluate_run(run_dir)["accuracy"] == pytest.approx(row["test_accuracy_tta"])
    again = module.main(["--quick", "--recipes", "mnist99", "--seeds", "0", "--out", str(tmp_path)])   # not redone
    assert again["runs"] == summary["runs"]
