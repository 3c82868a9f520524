import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../common/errors.js';
import type { CameraFrame } from './camera-frames.js';
import { kvShapes } from './graph-signatures.js';
import type { Manifest } from './manifest.js';
import type { DepthMode } from './policy-types.js';
import { RdvlaPolicy } from './rdvla-policy.js';
import { fillTruncatedNormal, scratchpadSigma } from './scratchpad.js';
import { singleNodeModelBytes } from './single-node-model.js';
import { TaskTokenizer } from './task-tokens.js';

const MODEL_DIR = path.resolve(import.meta.dirname, '../../native-models/rdvla-tiny-sim');

// Largest difference accepted between onnxruntime and PyTorch de-normalised actions, every mode
// (about 5e-7 measured on x86-64 CPU).
const ACTION_TOLERANCE = 1e-5;

interface ParityRun {
  mode: 'fixed' | 'converge' | 'binary' | 'linear';
  depth?: number;
  delta?: number;
  actions: number[][];
  kStar: number;
  horizon: number;
  trace: number[];
}

interface ParityCase {
  name: string;
  task: string;
  seed: number;
  state: number[];
  inputIds: number[];
  attentionMask: number[];
  images: Record<string, number[]>;
  debug: { scratchpadFirst16: number[] };
  runs: ParityRun[];
}

interface ParityFixture {
  scratchpad: { chunkSize: number; hiddenSize: number; checks: { seed: number; first16: number[] }[] };
  cases: ParityCase[];
}

const parity = JSON.parse(readFileSync(path.join(MODEL_DIR, 'parity.json'), 'utf8')) as ParityFixture;

function framesOf(parityCase: ParityCase, size: number): Record<string, CameraFrame> {
  const frames: Record<string, CameraFrame> = {};
  for (const [camera, pixels] of Object.entries(parityCase.images)) {
    frames[camera] = { format: 'rgb', data: Uint8Array.from(pixels), width: size, height: size };
  }
  return frames;
}

function modeOf(run: ParityRun): DepthMode {
  if (run.mode === 'fixed') return { kind: 'fixed', depth: run.depth ?? 0 };
  return { kind: run.mode, delta: run.delta };
}

function maxAbsDifference(actual: Float32Array, expected: number[][]): number {
  const flat = expected.flat();
  expect(actual.length).toBe(flat.length);
  return flat.reduce((max, value, i) => Math.max(max, Math.abs((actual[i] ?? Number.NaN) - value)), 0);
}

function userErrorOf(action: () => unknown): Promise<string> {
  return Promise.resolve()
    .then(action)
    .then(
      () => {
        throw new Error('expected a UserError');
      },
      (error: unknown) => {
        expect(error).toBeInstanceOf(UserError);
        return (error as Error).message;
      },
    );
}

describe('RdvlaPolicy on the tiny model', () => {
  let policy: RdvlaPolicy;

  beforeAll(async () => {
    policy = await RdvlaPolicy.load(MODEL_DIR, { provider: 'cpu', intraOpThreads: 1 });
  });

  afterAll(async () => {
    await policy.close();
  });

  it('scratchpad matches the fixture seeds', () => {
    for (const check of parity.scratchpad.checks) {
      const values = fillTruncatedNormal(new Float32Array(16), scratchpadSigma(policy.manifest.scratchpadInitScale), check.seed);
      expect(Array.from(values)).toEqual(check.first16);
    }
  });

  for (const parityCase of parity.cases) {
    describe(`parity case ${parityCase.name}`, () => {
      it('tokenizes the task like Python', () => {
        const tokenizer = new TaskTokenizer(path.join(MODEL_DIR, 'tokenizer.json'), policy.manifest);
        const ids = new BigInt64Array(policy.manifest.maxTaskTokens);
        const mask = new BigInt64Array(policy.manifest.maxTaskTokens);
        tokenizer.encode(parityCase.task, ids, mask);
        expect(Array.from(ids, Number)).toEqual(parityCase.inputIds);
        expect(Array.from(mask, Number)).toEqual(parityCase.attentionMask);
      });

      it('initialises the scratchpad like Python', () => {
        const values = fillTruncatedNormal(new Float32Array(16), scratchpadSigma(policy.manifest.scratchpadInitScale), parityCase.seed);
        expect(Array.from(values)).toEqual(parityCase.debug.scratchpadFirst16);
      });

      for (const run of parityCase.runs) {
        const label = run.mode === 'fixed' ? `fixed depth ${run.depth}` : `${run.mode} (delta ${run.delta?.toExponential(2)})`;
        it(`${label} matches PyTorch`, async () => {
          const result = await policy.infer({
            frames: framesOf(parityCase, policy.manifest.image.width),
            task: parityCase.task,
            state: parityCase.state,
            mode: modeOf(run),
            seed: parityCase.seed,
          });

          expect(result.kStar).toBe(run.kStar);
          expect(result.horizon).toBe(run.horizon);
          expect(maxAbsDifference(result.actions, run.actions)).toBeLessThanOrEqual(ACTION_TOLERANCE);
          expect(result.trace.length).toBe(run.trace.length);
          for (const [i, change] of run.trace.entries()) expect(result.trace[i]).toBeCloseTo(change, 5);
          expect(result.greyCameras).toEqual([]);
        });
      }
    });
  }

  it('repeats an inference exactly for one seed', async () => {
    const request = { task: 'pick up the cube', state: new Array<number>(14).fill(0.1), mode: { kind: 'converge' } as const, seed: 5 };
    const first = await policy.infer(request);
    const second = await policy.infer(request);
    expect(Array.from(second.actions)).toEqual(Array.from(first.actions));
    expect(second.kStar).toBe(first.kStar);
    expect(second.trace).toEqual(first.trace);
  });

  it('reports stage timings', async () => {
    const result = await policy.infer({ task: 'pick up the cube', state: new Array<number>(14).fill(0), mode: { kind: 'fixed', depth: 3 }, seed: 1 });
    const t = result.timingsMs;
    for (const stage of [t.preprocess, t.backbone, t.prelude, t.core, t.coda]) expect(stage).toBeGreaterThanOrEqual(0);
    expect(t.total).toBeGreaterThanOrEqual(t.preprocess + t.backbone + t.prelude + t.core + t.coda - 1e-6);
  });

  it('fills cameras without frames with grey', async () => {
    const frames = { cam_high: framesOf(parity.cases[0] as ParityCase, 64).cam_high as CameraFrame };
    const result = await policy.infer({ frames, task: 'pick up the cube', state: new Array<number>(14).fill(0), seed: 1 });
    expect(result.greyCameras).toEqual(['cam_left_wrist', 'cam_right_wrist']);
    expect(result.kStar).toBe(policy.manifest.inference.defaultDepth);
  });

  it('rejects an unknown camera', async () => {
    const frame: CameraFrame = { format: 'rgb', data: new Uint8Array(64 * 64 * 3), width: 64, height: 64 };
    const message = await userErrorOf(() => policy.infer({ frames: { cam_top: frame }, task: 'x', state: new Array<number>(14).fill(0) }));
    expect(message).toBe('unknown camera cam_top: model rdvla-tiny-sim takes cam_high, cam_left_wrist, cam_right_wrist');
  });

  it('rejects a raw frame of the wrong size', async () => {
    const frame: CameraFrame = { format: 'rgb', data: new Uint8Array(32 * 32 * 3), width: 32, height: 32 };
    const message = await userErrorOf(() => policy.infer({ frames: { cam_high: frame }, task: 'x', state: new Array<number>(14).fill(0) }));
    expect(message).toContain('camera cam_high: raw RGB frame is 32x32 with 3072 bytes, the model takes 64x64 (12288 bytes)');
  });

  it('rejects a joint state of the wrong length', async () => {
    const message = await userErrorOf(() => policy.infer({ task: 'x', state: [0, 0, 0] }));
    expect(message).toMatch(/^joint state has 3 values, model rdvla-tiny-sim takes 14 \(left_waist, /);
  });

  it('stops on a NaN prelude output', async () => {
    // A state near the float32 limit overflows the proprio projection of the tiny model.
    const message = await userErrorOf(() => policy.infer({ task: 'pick up the cube', state: new Array<number>(14).fill(1.5e38), seed: 1 }));
    expect(message).toBe('prelude.onnx s_pre is NaN at element 0: inference stopped, no actions returned; check the joint state and camera inputs, or the model export');
  });

  it('rejects overlapping inferences', async () => {
    const request = { task: 'pick up the cube', state: new Array<number>(14).fill(0), mode: { kind: 'fixed', depth: 2 } as const, seed: 1 };
    const first = policy.infer(request);
    await expect(policy.infer(request)).rejects.toThrow('an inference is already running on this policy');
    expect((await first).kStar).toBe(2);
  });

  it('rejects an invalid seed', async () => {
    const message = await userErrorOf(() => policy.infer({ task: 'x', state: new Array<number>(14).fill(0), seed: -1 }));
    expect(message).toBe('seed -1 is invalid: use a whole number from 0 to 4294967295');
  });

  it('rejects features of the wrong size', async () => {
    const features = { midContext: new Float32Array(3), midLatent: new Float32Array(3), lastContext: new Float32Array(3), lastLatent: new Float32Array(3) };
    const message = await userErrorOf(() => policy.inferFromFeatures(features, new Array<number>(14).fill(0)));
    expect(message).toBe('backbone feature midContext has 3 values, model rdvla-tiny-sim takes 6912');
  });

  it('runs the head on backbone features', async () => {
    const m = policy.manifest;
    const features = {
      midContext: new Float32Array(m.contextTokens * m.backboneHiddenSize).fill(0.1),
      midLatent: new Float32Array(m.latentTokens * m.backboneHiddenSize).fill(-0.1),
      lastContext: new Float32Array(m.contextTokens * m.backboneHiddenSize).fill(0.2),
      lastLatent: new Float32Array(m.latentTokens * m.backboneHiddenSize).fill(-0.2),
    };
    const result = await policy.inferFromFeatures(features, new Array<number>(14).fill(0), { mode: { kind: 'fixed', depth: 2 }, seed: 3 });
    expect(result.actions.length).toBe(m.chunkSize * m.actionSize);
    expect(result.kStar).toBe(2);
    expect(result.timingsMs.backbone).toBe(0);
  });
});

describe('RdvlaPolicy model checks', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rdvla-policy-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function copyWithManifest(name: string, edit: (manifest: Record<string, unknown>) => void): string {
    const target = path.join(dir, name);
    cpSync(MODEL_DIR, target, { recursive: true });
    const manifestPath = path.join(target, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    edit(manifest);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    return target;
  }

  it('names a hidden size the graphs do not have', async () => {
    const model = copyWithManifest('wrong-hidden-size', (manifest) => {
      manifest.hiddenSize = 128;
    });
    const message = await userErrorOf(() => RdvlaPolicy.load(model, { provider: 'cpu' }));
    expect(message).toContain('prelude.onnx output s_pre has shape [1,25,64], manifest says [1,25,128]');
    expect(message).toContain('core.onnx input s_prev has shape [1,25,64], manifest says [1,25,128]');
    expect(message).toContain('coda.onnx input s has shape [1,25,64], manifest says [1,25,128]');
    expect(message).toMatch(/: re-export the model or fix manifest\.json$/);
  });

  it('names a graph with the wrong inputs', async () => {
    const model = copyWithManifest('swapped-graphs', (manifest) => {
      (manifest.graphs as Record<string, string>).core = 'coda.onnx';
    });
    const message = await userErrorOf(() => RdvlaPolicy.load(model, { provider: 'cpu' }));
    expect(message).toContain('coda.onnx has no input s_prev (it has s, coda_kv_latent, coda_kv_context)');
  });

  it('names a context size the graphs do not have', async () => {
    const model = copyWithManifest('wrong-context', (manifest) => {
      manifest.contextTokens = 71;
    });
    const message = await userErrorOf(() => RdvlaPolicy.load(model, { provider: 'cpu' }));
    expect(message).toContain('backbone.onnx output mid_context has shape [1,72,96], manifest says [1,71,96]');
    expect(message).toContain('prelude.onnx input mid_context has shape [1,72,96], manifest says [1,71,96]');
    expect(message).toContain('prelude.onnx output core_kv_context has shape [2,2,4,72,16], manifest says [2,2,4,71,16]');
  });

  it('stops on a NaN core output', async () => {
    // core.onnx replaced by s_next = log(s_prev): the negative values of S_0 give NaN.
    const model = copyWithManifest('nan-core', () => undefined);
    const m = JSON.parse(readFileSync(path.join(model, 'manifest.json'), 'utf8')) as Manifest;
    const kv = kvShapes(m);
    const scratchpad = [1, m.chunkSize, m.hiddenSize];
    const inputs = [
      { name: 's_prev', shape: scratchpad },
      { name: 's_pre', shape: scratchpad },
      { name: 'core_kv_latent', shape: kv.latent },
      { name: 'core_kv_context', shape: kv.context },
    ];
    writeFileSync(path.join(model, 'core.onnx'), singleNodeModelBytes('Log', inputs, [{ name: 's_next', shape: scratchpad }], ['s_prev']));

    const nanPolicy = await RdvlaPolicy.load(model, { provider: 'cpu' });
    try {
      const message = await userErrorOf(() => nanPolicy.infer({ task: 'pick up the cube', state: new Array<number>(14).fill(0), seed: 0 }));
      expect(message).toMatch(/^core\.onnx s_next is NaN at element \d+ at iteration 1: inference stopped, no actions returned/);
    } finally {
      await nanPolicy.close();
    }
  });

  it('rejects a model for another rig', async () => {
    const message = await userErrorOf(() => RdvlaPolicy.load(MODEL_DIR, { provider: 'cpu', rigActionSize: 7 }));
    expect(message).toBe('model rdvla-tiny-sim predicts 14 joint targets per step but the rig has 7 joints: use a model trained for this rig');
  });
});
