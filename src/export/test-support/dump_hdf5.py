"""Print every root attribute and dataset of an HDF5 file as JSON (data as base64 of the raw little-endian bytes)."""
import base64
import json
import sys

import h5py
import numpy as np


def main(path: str) -> None:
    output = {"attrs": {}, "datasets": {}}
    with h5py.File(path, "r") as root:
        for key, value in root.attrs.items():
            output["attrs"][key] = value.item() if isinstance(value, np.generic) else value

        def visit(name, node):
            if isinstance(node, h5py.Dataset):
                array = np.ascontiguousarray(node[()])
                output["datasets"][name] = {
                    "shape": list(array.shape),
                    "dtype": str(array.dtype),
                    "base64": base64.b64encode(array.astype(array.dtype.newbyteorder("<")).tobytes()).decode(),
                }

        root.visititems(visit)
    json.dump(output, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
