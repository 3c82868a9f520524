import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSyntheticDatabase } from './test-support/synthetic-episode.js';
import { FileWriteError, storageFailure } from './write-failure.js';

const CLI = fileURLToPath(new URL('./test-support/rdvla-cli.ts', import.meta.url));
/** Size of the small filesystem the full-disk exports write to. */
const TMPFS_SIZE = '256k';

test('full disk names the file', () => {
  const error = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const failure = storageFailure(new FileWriteError('/data/set.partial-7/meta/info.json', 'could not write', { cause: error }), 'set', '/data/set.partial-7');

  expect(failure?.message).toBe('export to set failed: no space left on device (writing meta/info.json): free disk space and export again');
});

test('ffmpeg text counts as full disk', () => {
  const error = new Error('ffmpeg failed encoding /x/a.mp4 (exit code 1) after 12 frames: Error writing trailer: No space left on device');

  expect(storageFailure(error, 'set', '/data/set.partial-7')?.message).toBe('export to set failed: no space left on device: free disk space and export again');
});

test('other failures are not storage', () => {
  expect(storageFailure(new Error('write EPIPE'), 'set', '/data/set.partial-7')).toBeNull();
});

describe('export to a full filesystem', () => {
  let dir: string;
  let dbPath: string;
  let tmpfs: string | null = null;

  beforeAll(async () => {
    ({ dir, dbPath } = await createSyntheticDatabase('rdvla-full-disk-', [
      { seconds: 4, cameras: [{ name: 'cam_high', width: 160, height: 120, fps: 30 }], seed: 7 },
    ]));

    // Only root can mount a small tmpfs; the full-disk tests skip without one.
    const mountPoint = join(dir, 'small');
    mkdirSync(mountPoint);
    if (process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', mountPoint]).status === 0) tmpfs = mountPoint;
  });

  afterAll(() => {
    if (tmpfs !== null) spawnSync('umount', [tmpfs]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `rdvla export` in a child process, with a file size limit in KiB when given. */
  function exportCli(format: string, outDir: string, fileLimitKiB?: number): { status: number | null; stdout: string; stderr: string } {
    const limit = fileLimitKiB === undefined ? '' : `ulimit -f ${fileLimitKiB}; `;
    const command = `${limit}exec "$0" --import tsx "$@"`;
    const result = spawnSync('bash', ['-c', command, process.execPath, CLI, 'export', '--db', dbPath, '--format', format, '--out', outDir], { encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function errorLines(stderr: string): string[] {
    return stderr.split('\n').filter((line) => line.startsWith('rdvla: '));
  }

  function leftovers(folder: string): string[] {
    return readdirSync(folder).filter((entry) => entry.startsWith('out'));
  }

  const FILES = [
    { format: 'aloha-hdf5', file: 'episode_1.hdf5', fileLimitKiB: 200 },
    { format: 'lerobot', file: 'videos/observation.images.cam_high/chunk-000/file-000.mp4', fileLimitKiB: 40 },
  ];

  test.each(FILES)('$format past the file size limit fails', ({ format, file, fileLimitKiB }) => {
    const outDir = join(dir, `out-${format}`);
    const result = exportCli(format, outDir, fileLimitKiB);

    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(errorLines(result.stderr)).toEqual([
      `rdvla: export to ${outDir} failed: file too large (writing ${file}): raise the file size limit (ulimit -f) or export to another filesystem, then export again`,
    ]);
    expect(result.stderr).not.toContain('HDF5-DIAG');
    expect(result.stderr).not.toContain('Error:');
    expect(leftovers(dir)).toEqual([]);
  });

  test.for(FILES)('$format on a full disk fails', ({ format, file }, context) => {
    if (tmpfs === null) context.skip('mounting a small tmpfs needs root');
    const outDir = join(tmpfs!, `out-${format}`);
    const result = exportCli(format, outDir);

    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(errorLines(result.stderr)).toEqual([`rdvla: export to ${outDir} failed: no space left on device (writing ${file}): free disk space and export again`]);
    expect(result.stderr).not.toContain('HDF5-DIAG');
    expect(result.stderr).not.toContain('Error:');
    expect(leftovers(tmpfs!)).toEqual([]);
  });
});
