/**
 * Test fixture: starts a LeRobot export and, once the first frames are written, prints
 * "frames N" and blocks, so the test can SIGKILL it in the middle of the export.
 * Usage: export-until-killed.ts DB OUT [overwrite]
 */
import { exportEpisodes } from '../export-episodes.js';

const [dbPath, outDir, mode] = process.argv.slice(2);
if (!dbPath || !outDir) throw new Error('usage: export-until-killed.ts DB OUT [overwrite]');

await exportEpisodes({ dbPath, format: 'lerobot', outDir, overwrite: mode === 'overwrite' }, (progress) => {
  if (progress.framesDone === 0) return;
  process.stdout.write(`frames ${progress.framesDone}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
});
