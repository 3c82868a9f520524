#!/usr/bin/env bash
# Regenerate native-models/rdvla-tiny-sim: untrained tiny-preset weights (seed 0), the ONNX graphs,
# manifest, tokenizer and parity fixtures. The same PyTorch version gives the same files.
# The normalisation statistics are placeholders sized for the rig's joints (radians, grippers
# 0..1), not statistics of recorded data.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-/usr/bin/python3}
out=native-models/rdvla-tiny-sim

PYTHONPATH=training "$python" -m rdvla.export --preset tiny --random-weights --seed 0 \
  --norm-stats training/scripts/tiny_sim_stats.json --name rdvla-tiny-sim --out "$out"
PYTHONPATH=training "$python" -m rdvla.reference --model "$out" --out "$out/parity.json"
