#!/usr/bin/env bash
# The accelerator check: the device, then the training benchmarks side by side against PyTorch
# on the same device (the MLP and the default CNN on MNIST, and the Fashion-MNIST recipe's
# residual network): seconds per epoch, throughput ratios, accuracies and wall times. On the device machine (no install needed there):
#   export PYTHONPATH=$PWD JAXLEARN_DATA_DIR=$PWD/.data PYTHONUNBUFFERED=1
#   bash benchmarks/device_check.sh 2>&1 | tee $OUT/check.log
# --quick: 2 epochs of each on less data (a smoke test, also on a CPU-only machine).
# Last, the Fashion-MNIST recipe itself (experiments/fashion95.py: 60 epochs on all 60 000 images,
# then the MLP baseline and the report) into $OUT/fashion95 (default /tmp): its wall time and
# test accuracy, and its run folder to bring back. It runs after the comparisons so that their
# figures are printed even if the recipe outlasts the command's time.
set -euo pipefail
quick=()
if [[ "${1:-}" == "--quick" ]]; then quick=(--quick); fi
start=$(date +%s)
python - <<'PY'
import jax
print("jax", jax.__version__, "devices:", jax.devices())
try:
    import torch
    print("torch", torch.__version__, "cuda:", torch.cuda.is_available(),
          torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
except ImportError:
    print("torch: not installed (no side-by-side figures)")
PY
run() {
    echo "== python -m benchmarks.$*"
    local t
    t=$(date +%s)
    python -m "benchmarks.$1" "${@:2}"
    echo "   ($(( $(date +%s) - t )) s wall)"
}
run mlp ${quick[@]+"${quick[@]}"}
run cnn ${quick[@]+"${quick[@]}"}
# the residual network of experiments/fashion95.py (the recipe's other methods do not change a step's cost much)
run cnn --architecture c32bn-r32-r64s2-r64-r128s2-r128-gap --epochs 2 ${quick[@]+"${quick[@]}"}
echo "== python experiments/fashion95.py (the recipe)"
t=$(date +%s)
recipe_out="${OUT:-/tmp}/fashion95"
python experiments/fashion95.py --seeds 0 --validation-size 0 --out "$recipe_out" ${quick[@]+"${quick[@]}"} 2>&1 |
    grep -E '^(epoch|training on|test accuracy)'      # each epoch as it ends, not the JSON summary
cat "$recipe_out/table.md"
echo "   ($(( $(date +%s) - t )) s wall)"
echo "device check done in $(( $(date +%s) - start )) s"
