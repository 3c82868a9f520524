import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { recordSyntheticEpisode } from '../../export/test-support/synthetic-episode.js';
import { EpisodeStore } from '../../store/episode-store.js';
import { main } from '../main.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdvla-export-cli-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function runCli(args: string[]): Promise<{ stdout: string[]; progress: string[]; exitCode: number | undefined }> {
  const stdout: string[] = [];
  const progress: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void stdout.push(String(line)));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    if (String(chunk).startsWith('[')) progress.push(String(chunk).trim());
    return true;
  });
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    await main(['node', 'rdvla', ...args]);
    return { stdout, progress, exitCode: process.exitCode };
  } finally {
    log.mockRestore();
    stderr.mockRestore();
    process.exitCode = previousExitCode;
  }
}

test('one episode reads in the singular', async () => {
  const db = join(dir, 'lab.db');
  const store = EpisodeStore.open(db);
  await recordSyntheticEpisode(store, { seconds: 1, cameras: [], seed: 3 });
  store.close();
  const out = join(dir, 'dataset');

  const { stdout, progress, exitCode } = await runCli(['export', '--db', db, '--format', 'aloha-hdf5', '--out', out]);

  expect(exitCode).toBeUndefined();
  expect(stdout[0]).toMatch(new RegExp(`^exported 1 episode \\(50 frames at 50 fps, 1\\.0 s of recording\\) to ${out} in `));
  expect(progress[0]).toContain('0/1 episodes, 0/50 frames');
  expect(progress.at(-1)).toContain('1/1 episodes, 50/50 frames');
});
