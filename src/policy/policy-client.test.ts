import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../common/errors.js';
import type { CameraFrame } from './camera-frames.js';
import { PolicyClient } from './policy-client.js';

const MODEL_DIR = path.resolve(import.meta.dirname, '../../native-models/rdvla-tiny-sim');

interface ParityCase {
  task: string;
  seed: number;
  state: number[];
  images: Record<string, number[]>;
  runs: { mode: string; depth?: number; actions: number[][]; kStar: number; horizon: number }[];
}

const parityCase = (JSON.parse(readFileSync(path.join(MODEL_DIR, 'parity.json'), 'utf8')) as { cases: ParityCase[] }).cases[0] as ParityCase;

describe('PolicyClient', () => {
  let client: PolicyClient;

  beforeAll(() => {
    client = new PolicyClient();
  });

  afterAll(async () => {
    await client.close();
  });

  it('loads the model in the worker', async () => {
    const info = await client.load(MODEL_DIR, { provider: 'cpu', intraOpThreads: 1 });
    expect(info.name).toBe('rdvla-tiny-sim');
    expect(info.provider).toBe('cpu');
    expect(info.sizes.chunkSize).toBe(25);
  });

  it('infers the PyTorch actions through the worker', async () => {
    const run = parityCase.runs.find((candidate) => candidate.mode === 'fixed' && candidate.depth === 4);
    expect(run).toBeDefined();
    const frames: Record<string, CameraFrame> = {};
    for (const [camera, pixels] of Object.entries(parityCase.images)) frames[camera] = { format: 'rgb', data: Uint8Array.from(pixels), width: 64, height: 64 };

    const result = await client.infer({ frames, task: parityCase.task, state: parityCase.state, mode: { kind: 'fixed', depth: 4 }, seed: parityCase.seed });
    expect(result.actions).toBeInstanceOf(Float32Array);
    expect(result.kStar).toBe(run?.kStar);
    expect(result.horizon).toBe(run?.horizon);
    const expected = run?.actions.flat() ?? [];
    const largest = expected.reduce((max, value, i) => Math.max(max, Math.abs(value - (result.actions[i] ?? Number.NaN))), 0);
    expect(largest).toBeLessThanOrEqual(1e-5);
  });

  it('raises worker input errors as UserError', async () => {
    const failure = client.infer({ task: 'push the block', state: [1, 2] });
    await expect(failure).rejects.toBeInstanceOf(UserError);
    await expect(failure).rejects.toThrow('joint state has 2 values, model rdvla-tiny-sim takes 14');
  });

  it('keeps working after an error', async () => {
    const result = await client.infer({ task: 'push the block', state: new Array<number>(14).fill(0), mode: { kind: 'converge', delta: 1 }, seed: 2 });
    expect(result.kStar).toBe(2);
    expect(result.trace.length).toBe(1);
  });
});
