import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { EpisodeStore } from './episode-store.js';
import { bytesOf, sampleStep } from './test-support/sample-episode.js';

const FIXTURE = fileURLToPath(new URL('./test-support/record-until-killed.ts', import.meta.url));

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdvla-crash-'));
  path = join(dir, 'episodes.db');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the fixture until it reports at least `minSteps` committed steps, then SIGKILLs it. */
function recordAndKill(minSteps: number): Promise<{ episodeId: number; reported: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let episodeId = 0;
    let reported = 0;
    let output = '';

    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const lines = output.split('\n');
      output = lines.pop()!;
      for (const line of lines) {
        const [word, value] = line.split(' ');
        if (word === 'episode') episodeId = Number(value);
        if (word === 'written') reported = Number(value);
      }
      if (reported >= minSteps && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ episodeId, reported, signal }));
  });
}

test('SIGKILL mid-recording keeps committed steps', async () => {
  const { episodeId, reported, signal } = await recordAndKill(300);

  const store = EpisodeStore.open(path, { readonly: true });
  const episode = store.getEpisode(episodeId)!;
  const steps = store.readSteps(episodeId);
  store.close();

  expect(signal).toBe('SIGKILL');
  expect(episode.incomplete).toBe(true);
  expect(episode.endedAt).toBeNull();
  expect(steps.length).toBeGreaterThanOrEqual(reported);
  expect(episode.stepCount).toBe(steps.length);
  expect(steps.map((step) => step.index)).toEqual(Array.from({ length: steps.length }, (_, i) => i));
  for (const step of steps) {
    const expected = sampleStep(step.index);
    expect(step.tNs).toBe(expected.tNs);
    expect(bytesOf(step.observationState)).toEqual(bytesOf(expected.observationState));
    expect(bytesOf(step.action)).toEqual(bytesOf(expected.action));
  }
});
