"""Write an int8 copy of an RD-VLA model directory: core.onnx with dynamically quantised weights.

    python3 bench/quantize_core.py SOURCE_DIR OUT_DIR

Needs the onnxruntime and onnx Python packages. The exported core graph transposes its weights
with Transpose nodes. onnxruntime's basic graph optimisation folds those into constants first,
because quantize_dynamic only quantises MatMul weights that are initializers. Activations stay
float32 (quantised per call), so the graph's inputs and outputs keep the contract's types and
shapes.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic


def fold_constants(source: Path, target: Path) -> None:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(target)
    ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: python3 bench/quantize_core.py SOURCE_DIR OUT_DIR")
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source, out)

    with tempfile.TemporaryDirectory() as scratch:
        folded = Path(scratch) / "core-folded.onnx"
        fold_constants(source / "core.onnx", folded)
        quantize_dynamic(str(folded), str(out / "core.onnx"), weight_type=QuantType.QInt8)
    print(f"{out / 'core.onnx'}: {(out / 'core.onnx').stat().st_size} bytes")


if __name__ == "__main__":
    main()
