/** h5wasm's Node build (HDF5 compiled to WebAssembly, reading and writing host files through NODERAWFS). */
import type { Dataset, File, Group } from 'h5wasm';

export type H5File = File;
export type H5Group = Group;
export type H5Dataset = Dataset;

type H5Module = typeof import('h5wasm/node');

let loading: Promise<H5Module['default']> | null = null;

/** Loads and initialises h5wasm once per process. */
export function openHdf5(): Promise<H5Module['default']> {
  loading ??= import('h5wasm/node').then(async (module) => {
    await module.default.ready;
    return module.default;
  });
  return loading;
}
