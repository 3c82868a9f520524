/**
 * Failed writes of dataset files, and the ones the user fixes on their side: a full disk, a disk
 * quota or a file size limit. Node's fs errors carry these as errno codes; ffmpeg and HDF5 only
 * write the system's text for them, so both are recognised.
 */
import { isAbsolute, relative } from 'node:path';
import { UserError } from '../common/errors.js';

/** A write of one file that failed; `path` is the file. */
export class FileWriteError extends Error {
  override readonly name = 'FileWriteError';

  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface StorageLimit {
  code: string;
  /** The text strerror() gives for the code, as ffmpeg and HDF5 print it. */
  text: string;
  fix: string;
}

const STORAGE_LIMITS: readonly StorageLimit[] = [
  { code: 'ENOSPC', text: 'No space left on device', fix: 'free disk space and export again' },
  { code: 'EDQUOT', text: 'Disk quota exceeded', fix: 'free space within your disk quota and export again' },
  { code: 'EFBIG', text: 'File too large', fix: 'raise the file size limit (ulimit -f) or export to another filesystem, then export again' },
];

/** Yields the error and its chain of causes. */
function* causes(error: unknown): Generator<unknown> {
  for (let current = error, depth = 0; current !== undefined && depth < 10; depth++) {
    yield current;
    current = current instanceof Error ? current.cause : undefined;
  }
}

function storageLimitOf(error: unknown): StorageLimit | null {
  for (const cause of causes(error)) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    const message = cause instanceof Error ? cause.message : String(cause);
    const limit = STORAGE_LIMITS.find((candidate) => candidate.code === code || message.includes(candidate.text));
    if (limit) return limit;
  }
  return null;
}

/** Returns the file that failed to be written, relative to the dataset folder; null when unknown or outside it. */
function failedFile(error: unknown, root: string): string | null {
  for (const cause of causes(error)) {
    const path = cause instanceof FileWriteError ? cause.path : (cause as NodeJS.ErrnoException | null)?.path;
    if (!path) continue;
    const inside = relative(root, path);
    return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : null;
  }
  return null;
}

/**
 * Returns the UserError for an export that ran into a full disk, a quota or a file size limit.
 * It names the file that failed, relative to the folder `root` the export writes. Other failures
 * give null.
 */
export function storageFailure(error: unknown, outDir: string, root: string): UserError | null {
  const limit = storageLimitOf(error);
  if (!limit) return null;
  const file = failedFile(error, root);
  const where = file === null ? '' : ` (writing ${file})`;
  return new UserError(`export to ${outDir} failed: ${limit.text.toLowerCase()}${where}: ${limit.fix}`, { cause: error });
}
