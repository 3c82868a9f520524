/** h5wasm's Node build (HDF5 compiled to WebAssembly, reading and writing host files through NODERAWFS). */
import { resolve } from 'node:path';
import type { Dataset, File, Group } from 'h5wasm';
import { errorMessage } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { FileWriteError } from '../write-failure.js';

export type H5File = File;
export type H5Group = Group;
export type H5Dataset = Dataset;

type H5Module = typeof import('h5wasm/node');
type H5Api = H5Module['default'];

/** The parts of the Emscripten module under h5wasm that error handling uses. */
interface H5Runtime {
  activate_throwing_error_handler(): number;
  deactivate_throwing_error_handler(): number;
  FS: { streams: Array<{ path?: string } | null | undefined>; close(stream: unknown): void };
}

const log = createLogger('export');

let loading: Promise<{ api: H5Api; runtime: H5Runtime }> | null = null;

function load(): Promise<{ api: H5Api; runtime: H5Runtime }> {
  loading ??= import('h5wasm/node').then(async (module) => {
    const runtime = (await module.default.ready) as unknown as H5Runtime;
    return { api: module.default, runtime };
  });
  return loading;
}

/** Loads and initialises h5wasm once per process. */
export async function openHdf5(): Promise<H5Api> {
  return (await load()).api;
}

/** Returns the system's reason in HDF5's error stack ("error message = 'No space left on device'"), else its first line. */
function hdf5Reason(diagnostics: string): string {
  const system = /error message = '([^']+)'/.exec(diagnostics);
  if (system) return system[1]!;
  const first = diagnostics.split('\n').map((line) => line.trim()).find((line) => line.length > 0);
  return first ?? 'HDF5 gave no reason';
}

/** Closes the host file descriptors h5wasm still holds on `path`. */
function releaseFile(runtime: H5Runtime, path: string): void {
  const target = resolve(path);
  for (const stream of runtime.FS.streams) {
    if (stream?.path === undefined || resolve(stream.path) !== target) continue;
    try {
      runtime.FS.close(stream);
    } catch (error) {
      log.warn(`could not close ${path} after a failed HDF5 write: ${errorMessage(error)}`);
    }
  }
}

/**
 * Runs `write`, which creates and writes the HDF5 file `path` and closes it, with h5wasm's
 * throwing error handler. By default HDF5 prints every failed call's error stack on stderr and
 * the writes go on, and h5wasm drops the status of most calls, so a full disk left a truncated
 * file behind a successful export. Here the first failed call throws, its error stack becomes the
 * message of a FileWriteError, and nothing is printed. A call that throws skips h5wasm's cleanup of
 * that call, so the file can stay open inside HDF5: its host descriptor is closed here so that
 * removing the file frees its space.
 */
export async function writeHdf5File(path: string, write: (h5: H5Api) => Promise<void>): Promise<void> {
  const { api, runtime } = await load();
  runtime.activate_throwing_error_handler();
  try {
    await write(api);
  } catch (error) {
    releaseFile(runtime, path);
    const diagnostics = errorMessage(error);
    log.debug(`HDF5 failed writing ${path}:\n${diagnostics}`);
    throw new FileWriteError(path, `HDF5 could not write ${path}: ${hdf5Reason(diagnostics)}`, { cause: error });
  } finally {
    runtime.deactivate_throwing_error_handler();
  }
}
