import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { UserError } from '../common/errors.js';
import { exportEpisodes } from './export-episodes.js';
import { prepareStagingDir } from './staging-dir.js';
import { createSyntheticDatabase } from './test-support/synthetic-episode.js';

const FIXTURE = fileURLToPath(new URL('./test-support/export-until-killed.ts', import.meta.url));

let dir: string;
let dbPath: string;

beforeAll(async () => {
  const cameras = [{ name: 'cam_high', width: 160, height: 120, fps: 30 }];
  ({ dir, dbPath } = await createSyntheticDatabase('rdvla-interrupt-', [
    { seconds: 2, cameras, seed: 1 },
    { seconds: 2, cameras, seed: 2 },
  ]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the fixture until it reports written frames, then SIGKILLs it; returns its pid. */
function exportAndKill(outDir: string, mode = ''): Promise<{ pid: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dbPath, outDir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('frames ') && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve({ pid: child.pid!, signal }) : reject(new Error(`fixture exited with ${code}: ${stderr}`))));
  });
}

function listing(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort();
}

test('killed export leaves no dataset', async () => {
  const outDir = join(dir, 'first');
  const { pid } = await exportAndKill(outDir);

  expect(existsSync(outDir)).toBe(false);
  expect(existsSync(`${outDir}.partial-${pid}`)).toBe(true);

  const result = await exportEpisodes({ dbPath, format: 'lerobot', outDir });
  expect(result.episodes).toHaveLength(2);
  expect(existsSync(`${outDir}.partial-${pid}`)).toBe(false);
  expect(existsSync(join(outDir, 'meta/info.json'))).toBe(true);
});

test('killed overwrite keeps the old dataset', async () => {
  const outDir = join(dir, 'kept');
  await exportEpisodes({ dbPath, format: 'lerobot', outDir, ids: [1] });
  const before = listing(outDir);
  const info = readFileSync(join(outDir, 'meta/info.json'), 'utf8');

  const { pid } = await exportAndKill(outDir, 'overwrite');

  expect(listing(outDir)).toEqual(before);
  expect(readFileSync(join(outDir, 'meta/info.json'), 'utf8')).toBe(info);
  expect(existsSync(`${outDir}.partial-${pid}`)).toBe(true);
});

test('overwrite replaces a finished dataset', async () => {
  const outDir = join(dir, 'replaced');
  await exportEpisodes({ dbPath, format: 'lerobot', outDir, ids: [1] });
  await exportEpisodes({ dbPath, format: 'lerobot', outDir, overwrite: true });

  expect(JSON.parse(readFileSync(join(outDir, 'meta/info.json'), 'utf8')).total_episodes).toBe(2);
  expect(readdirSync(dir).filter((entry) => entry.startsWith('replaced.'))).toEqual([]);
});

test('abort removes what was written', async () => {
  const outDir = join(dir, 'aborted');
  const controller = new AbortController();
  const run = exportEpisodes({ dbPath, format: 'lerobot', outDir, signal: controller.signal }, (progress) => {
    if (progress.framesDone > 0) controller.abort();
  });

  await expect(run).rejects.toThrow(/stopped before it finished/);
  expect(readdirSync(dir).filter((entry) => entry.startsWith('aborted'))).toEqual([]);
});

test('staging rejects a non-empty folder', () => {
  const outDir = join(dir, 'occupied');
  mkdirSync(outDir);
  writeFileSync(join(outDir, 'notes.txt'), 'keep');

  expect(() => prepareStagingDir(outDir, { overwrite: false })).toThrow(/exists and is not empty: pass --overwrite/);
  expect(readFileSync(join(outDir, 'notes.txt'), 'utf8')).toBe('keep');
});

test('staging fills an empty folder', () => {
  const outDir = join(dir, 'empty');
  mkdirSync(outDir);
  const staging = prepareStagingDir(outDir, { overwrite: false });
  writeFileSync(join(staging.path, 'file'), 'x');
  staging.commit();

  expect(readdirSync(outDir)).toEqual(['file']);
});

test('staging refuses a running export', () => {
  const outDir = join(dir, 'busy');
  mkdirSync(`${outDir}.partial-${process.ppid}`);

  expect(() => prepareStagingDir(outDir, { overwrite: false })).toThrow(UserError);
  expect(() => prepareStagingDir(outDir, { overwrite: false })).toThrow(`another export (process ${process.ppid})`);
});

test('staging restores a dataset left mid-replace', () => {
  const outDir = join(dir, 'restored');
  const deadPid = 2 ** 22 + 17;
  mkdirSync(`${outDir}.replaced-${deadPid}`);
  writeFileSync(join(`${outDir}.replaced-${deadPid}`, 'info.json'), 'old');

  const staging = prepareStagingDir(outDir, { overwrite: true });
  staging.discard();

  expect(readFileSync(join(outDir, 'info.json'), 'utf8')).toBe('old');
});
