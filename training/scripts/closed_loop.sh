#!/usr/bin/env bash
# Closed loop on the simulated rig: record demonstrations with the scripted operator, train the
# tiny model on the CPU, and print success rate and mean iterations per depth setting. With
# INSTALL=1 it then installs the trained model as the simulated rig's default policy in
# native-models/rdvla-tiny-sim and regenerates its parity fixtures; the tests that pin the
# shipped model (training/tests/test_shipped_model.py, src/cli/commands/policy.test.ts)
# must then be updated.
#
#   training/scripts/closed_loop.sh [bench depth options, e.g. --episodes 40 --rollouts 10 --reuse]
#
# INSTALL=1 installs the model; WORK sets the folder of the databases and the trained model.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-/usr/bin/python3}
work=${WORK:-node_modules/.cache/rdvla-bench/depth}
target=native-models/rdvla-tiny-sim

npm run bench -- depth --work "$work" "$@"

if [ "${INSTALL:-0}" = 1 ]; then
  for file in manifest.json tokenizer.json tokenizer_config.json backbone.onnx prelude.onnx core.onnx coda.onnx checkpoint.pt; do
    cp "$work/model/$file" "$target/$file"
  done
  PYTHONPATH=training "$python" -m rdvla.reference --model "$target" --out "$target/parity.json"
  npx vitest run src/policy
fi
