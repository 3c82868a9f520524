import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../common/errors.js';
import { describeManifestIssues, manifestSchema } from './manifest.js';
import { loadModelDir } from './model-dir.js';

function sampleManifest(): Record<string, unknown> {
  const joints = Array.from({ length: 14 }, (_, i) => `joint_${i}`);
  return {
    format: 'rdvla-onnx',
    formatVersion: 1,
    name: 'sample',
    opset: 17,
    cameras: ['cam_high', 'cam_left_wrist'],
    image: { height: 32, width: 32, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    tokenizer: 'tokenizer.json',
    maxTaskTokens: 16,
    padTokenId: 0,
    proprioSize: 14,
    actionSize: 14,
    chunkSize: 8,
    hiddenSize: 64,
    backboneHiddenSize: 48,
    heads: 4,
    coreLayers: 2,
    latentTokens: 8,
    contextTokens: 24,
    jointNames: joints,
    normalization: {
      state: { mean: joints.map(() => 0), std: joints.map(() => 1) },
      action: { mean: joints.map(() => 0), std: joints.map(() => 1) },
    },
    scratchpadInitScale: 1,
    inference: {
      defaultDepth: 12,
      maxIterations: 32,
      delta: 5e-4,
      firstCheck: 2,
      binary: { threshold: 4, short: 4, long: 8, direction: 'hard-replans-sooner' },
      linear: { hMax: 7, hMin: 2, tauBase: 8, fullChunkAtOrBelow: 6 },
      fixedHorizon: 5,
    },
    graphs: { backbone: 'backbone.onnx', prelude: 'prelude.onnx', core: 'core.onnx', coda: 'coda.onnx' },
  };
}

function issuesOf(manifest: unknown): string {
  const parsed = manifestSchema.safeParse(manifest, { reportInput: true });
  if (parsed.success) return '';
  return describeManifestIssues(parsed.error);
}

describe('manifest schema', () => {
  it('accepts the sample manifest', () => {
    expect(issuesOf(sampleManifest())).toBe('');
  });

  it('names a wrong format and the expected value', () => {
    expect(issuesOf({ ...sampleManifest(), format: 'onnx' })).toBe('format: Invalid input: expected "rdvla-onnx" (found "onnx")');
  });

  it('names a missing nested field', () => {
    const manifest = sampleManifest();
    delete (manifest.inference as Record<string, unknown>).delta;
    expect(issuesOf(manifest)).toBe('inference.delta: Invalid input: expected number, received undefined');
  });

  it('rejects a fractional size', () => {
    expect(issuesOf({ ...sampleManifest(), hiddenSize: 63.5 })).toContain('hiddenSize: Invalid input: expected int');
  });

  it('rejects an unknown binary direction', () => {
    const manifest = sampleManifest();
    (manifest.inference as { binary: Record<string, unknown> }).binary.direction = 'sooner';
    expect(issuesOf(manifest)).toBe('inference.binary.direction: Invalid option: expected one of "hard-replans-sooner"|"hard-runs-longer" (found "sooner")');
  });

  it('checks statistics lengths against the sizes', () => {
    const manifest = sampleManifest();
    (manifest.normalization as { action: { std: number[] } }).action.std = [1, 1];
    expect(issuesOf(manifest)).toBe('normalization.action.std: has 2 entries, expected 14 (actionSize)');
  });

  it('rejects a zero standard deviation', () => {
    const manifest = sampleManifest();
    (manifest.normalization as { state: { std: number[] } }).state.std[3] = 0;
    expect(issuesOf(manifest)).toContain('normalization.state.std.3: Too small: expected number to be >0');
  });

  it('rejects heads that do not divide the hidden size', () => {
    expect(issuesOf({ ...sampleManifest(), heads: 5 })).toBe('heads: 5 does not divide hiddenSize 64');
  });

  it('rejects horizons longer than the chunk', () => {
    const manifest = sampleManifest();
    (manifest.inference as Record<string, unknown>).fixedHorizon = 9;
    expect(issuesOf(manifest)).toBe('inference.fixedHorizon: is 9, more than chunkSize 8');
  });
});

describe('loadModelDir', () => {
  let dir: string;

  function writeModel(manifest: Record<string, unknown>, files = ['backbone.onnx', 'prelude.onnx', 'core.onnx', 'coda.onnx', 'tokenizer.json']): void {
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    for (const file of files) writeFileSync(path.join(dir, file), '');
  }

  function loadError(options = {}): string {
    try {
      loadModelDir(dir, options);
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      return (error as Error).message;
    }
    throw new Error('loadModelDir accepted the directory');
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rdvla-model-dir-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves every file of a complete directory', () => {
    writeModel(sampleManifest());
    const model = loadModelDir(dir);
    expect(model.manifest.name).toBe('sample');
    expect(model.graphPaths.core).toBe(path.join(dir, 'core.onnx'));
    expect(model.graphPaths.backbone).toBe(path.join(dir, 'backbone.onnx'));
    expect(model.tokenizerPath).toBe(path.join(dir, 'tokenizer.json'));
  });

  it('rejects a directory without manifest', () => {
    expect(loadError()).toBe(`model directory ${dir} has no manifest.json: point --model at an exported RD-VLA model`);
  });

  it('rejects a missing folder', () => {
    const missing = path.join(dir, 'absent');
    expect(() => loadModelDir(missing)).toThrow(`model directory ${missing} not found`);
  });

  it('rejects a file as folder', () => {
    const file = path.join(dir, 'model.onnx');
    writeFileSync(file, 'not a folder');
    expect(() => loadModelDir(file)).toThrow(`model directory ${file} is not a directory: pass the folder that contains manifest.json`);
  });

  it('rejects malformed JSON', () => {
    writeFileSync(path.join(dir, 'manifest.json'), '{"format":');
    expect(loadError()).toMatch(/manifest\.json is not valid JSON .*: re-export the model$/);
  });

  it('names the invalid field', () => {
    writeModel({ ...sampleManifest(), chunkSize: 0 });
    expect(loadError()).toContain('manifest.json is invalid: chunkSize: Too small: expected number to be >0 (found 0)');
  });

  it('names a missing graph file', () => {
    writeModel(sampleManifest(), ['backbone.onnx', 'prelude.onnx', 'coda.onnx', 'tokenizer.json']);
    expect(loadError()).toBe(`model directory ${dir} lacks core.onnx (manifest graphs.core): re-export the model or fix the manifest`);
  });

  it('names a missing tokenizer', () => {
    writeModel(sampleManifest(), ['backbone.onnx', 'prelude.onnx', 'core.onnx', 'coda.onnx']);
    expect(loadError()).toContain('lacks tokenizer.json (manifest tokenizer)');
  });

  it('rejects an action size that differs from the rig', () => {
    writeModel(sampleManifest());
    expect(loadError({ rigActionSize: 7 })).toBe('model sample predicts 14 joint targets per step but the rig has 7 joints: use a model trained for this rig');
  });

  it('accepts a head-only export only when asked', () => {
    const manifest = sampleManifest();
    (manifest.graphs as Record<string, unknown>).backbone = null;
    writeModel(manifest, ['prelude.onnx', 'core.onnx', 'coda.onnx']);
    expect(loadError()).toContain('is a head-only export (no graphs.backbone)');
    const model = loadModelDir(dir, { allowHeadOnly: true });
    expect(model.graphPaths.backbone).toBeUndefined();
    expect(model.tokenizerPath).toBeUndefined();
  });

  it('reads a nested graph path', () => {
    const manifest = sampleManifest();
    (manifest.graphs as Record<string, unknown>).core = 'graphs/core.onnx';
    mkdirSync(path.join(dir, 'graphs'));
    writeModel(manifest, ['backbone.onnx', 'prelude.onnx', 'graphs/core.onnx', 'coda.onnx', 'tokenizer.json']);
    expect(loadModelDir(dir).graphPaths.core).toBe(path.join(dir, 'graphs', 'core.onnx'));
  });
});
