"""RD-VLA training, export and reference inference."""

import os

# PyTorch runs its own pool of intra-op threads, and a multi-threaded OpenBLAS under it (Debian's
# torch links it) starts more threads per call. On a 2-core machine the two pools then compete, and
# a training step of the tiny model measured 3x slower than with one OpenBLAS thread. The variable
# must be set before torch is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
