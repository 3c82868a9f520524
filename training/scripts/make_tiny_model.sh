#!/usr/bin/env bash
# Write an untrained tiny-preset model to DIR: random weights (seed 0), the ONNX graphs, manifest,
# tokenizer and parity fixtures. The same PyTorch version gives the same files. The shipped
# native-models/rdvla-tiny-sim is the trained one from closed_loop.sh.
#
#   training/scripts/make_tiny_model.sh DIR
#
# The normalisation statistics are placeholders sized for the rig's joints (radians, grippers
# 0..1), not statistics of recorded data.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: training/scripts/make_tiny_model.sh DIR (the folder to write the untrained model to)" >&2
  exit 2
fi
out=$(realpath -m "$1")
cd "$(dirname "$0")/../.."
python=${PYTHON:-/usr/bin/python3}

PYTHONPATH=training "$python" -m rdvla.export --preset tiny --random-weights --seed 0 \
  --norm-stats training/scripts/tiny_sim_stats.json --name rdvla-tiny-sim --out "$out"
PYTHONPATH=training "$python" -m rdvla.reference --model "$out" --out "$out/parity.json"
