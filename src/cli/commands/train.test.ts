import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../main.js';
import { TRAINING_DIR, defaultPython, formatDuration, formatProgress } from './train.js';

let folder: string;

beforeAll(() => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'rdvla-train-'));
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

async function rdvla(...args: string[]): Promise<{ stdout: string[]; stderr: string; exitCode: number }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void stdout.push(parts.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void stderr.push(parts.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    process.exitCode = 0;
    await main(['node', 'rdvla', ...args]);
    return { stdout, stderr: stderr.join(''), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
    process.exitCode = 0;
  }
}

it('progress line shows bar, loss, rate and time left', () => {
  const line = formatProgress({ event: 'progress', step: 50, steps: 200, loss: 0.123456, lr: 1e-3, depth: 9, itPerS: 3.25, leftS: 46.2 });
  expect(line).toBe('[######------------------] 50/200 mean loss 0.1235 3.25 it/s, 46s left');
});

it('duration formats minutes and unknowns', () => {
  expect(formatDuration(125)).toBe('2m05s');
  expect(formatDuration(9.6)).toBe('10s');
  expect(formatDuration(null)).toBe('?');
});

it('python without torch gives the install command', async () => {
  const fakePython = path.join(folder, 'python-without-torch');
  writeFileSync(fakePython, '#!/bin/sh\necho torch,PIL\n');
  chmodSync(fakePython, 0o755);

  const output = await rdvla('train', '--db', 'x.db', '--out', path.join(folder, 'never'), '--python', fakePython);
  expect(output.exitCode).toBe(1);
  expect(output.stderr).toContain('cannot import torch, PIL, which training needs');
  expect(output.stderr).toContain('apt-get install python3-torch');
});

it.each([
  ['--state-noise', 'abc', 'expected a number of at least 0, got "abc"'],
  ['--state-noise', '-1', 'expected a number of at least 0, got "-1"'],
  ['--goal-weight', '-0.5', 'expected a number of at least 0, got "-0.5"'],
  ['--lr', 'nan', 'expected a positive number, got "nan"'],
  ['--seed', '1.7', 'expected a whole number from 0 to 4294967295, got "1.7"'],
  ['--seed', '', 'expected a whole number from 0 to 4294967295, got ""'],
])('rejects %s %s before starting Python', async (flag, value, message) => {
  const output = await rdvla('train', '--db', 'x.db', '--out', path.join(folder, 'never'), flag, value);
  expect(output.exitCode).not.toBe(0);
  expect(output.stderr).toContain(message);
  expect(output.stderr).not.toContain('usage: python3 -m rdvla.train');
});

it('missing python is reported', async () => {
  const output = await rdvla('train', '--db', 'x.db', '--out', path.join(folder, 'never'), '--python', path.join(folder, 'no-such-python'));
  expect(output.exitCode).toBe(1);
  expect(output.stderr).toContain('cannot run');
});

it('trains two steps and writes a model directory', { timeout: 120_000 }, async () => {
  const db = path.join(folder, 'episodes.db');
  const script = `import sys; sys.path.insert(0, "tests"); from pathlib import Path; from train_fixtures import make_training_database; make_training_database(Path(${JSON.stringify(db)}), episodes=2, steps=6)`;
  const made = spawnSync(defaultPython(), ['-c', script], { cwd: TRAINING_DIR, encoding: 'utf8' });
  expect(made.stderr).toBe('');

  const out = path.join(folder, 'model');
  const output = await rdvla('train', '--db', db, '--out', out, '--steps', '2', '--batch-size', '2', '--depth-mean', '2', '--json');
  expect(output.exitCode).toBe(0);

  const records = output.stdout.map((line) => JSON.parse(line) as { event: string; step?: number; out?: string; steps?: number });
  expect(records.at(-1)).toMatchObject({ event: 'done', out, steps: 2 });
  expect(records.some((record) => record.event === 'progress' && record.step === 2)).toBe(true);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { source: { trained: boolean; training: { episodes: number } } };
  expect(manifest.source.trained).toBe(true);
  expect(manifest.source.training.episodes).toBe(2);
  expect(existsSync(path.join(out, 'core.onnx'))).toBe(true);
});
