import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Manifest } from '../src/policy/manifest.js';
import type { HeadFeatures, InferenceResult } from '../src/policy/policy-types.js';
import { RdvlaPolicy } from '../src/policy/rdvla-policy.js';
import { mulberry32 } from '../src/policy/scratchpad.js';
import { measureMachineLimits, type MachineLimits } from './machine-limits.js';
import { formatBytes, iterationCost, median, type IterationCost } from './policy-figures.js';
import { packageRoot } from '../src/common/package-root.js';

/**
 * `npm run bench -- policy`: time per recurrent iteration and per inference at several depths,
 * peak memory per depth, the PyTorch eager head for comparison, and how close one iteration
 * comes to this machine's memory-bandwidth and matmul limits.
 */
const DEPTHS = [1, 4, 8, 12, 32, 64];

const REPO_ROOT = packageRoot();
const TINY_MODEL = path.join(REPO_ROOT, 'native-models', 'rdvla-tiny-sim');
const PAPER_HEAD_CACHE = path.join(REPO_ROOT, 'node_modules', '.cache', 'rdvla-bench', 'paper-head-random');

// The Python with torch that the training code runs on; RDVLA_PYTHON overrides it.
const PYTHON = process.env.RDVLA_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

// Targets printed beside the measurements; the benchmark does not fail on them.
const TARGET_BANDWIDTH_RATIO = 1.2;
const TARGET_SPEEDUP_OVER_RECOMPUTE = 4.5;
const TARGET_MEMORY_GROWTH_BYTES = 1024 * 1024;

interface DepthFigures {
  depth: number;
  repeats: number;
  inferenceMs: number;
  iterationMs: number;
  bestIterationMs: number;
  preludeMs: number;
  codaMs: number;
  backboneMs: number;
  maxRssBytes: number;
  growthBytes: number;
}

/** Returns V8's garbage collector, so JS garbage left by earlier runs does not count as growth. */
function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

const collectGarbage = exposeGc();

function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function randomFeatures(manifest: Manifest, seed: number): HeadFeatures {
  const next = mulberry32(seed);
  const fill = (tokens: number): Float32Array => Float32Array.from({ length: tokens * manifest.backboneHiddenSize }, () => next() * 2 - 1);
  return { midContext: fill(manifest.contextTokens), midLatent: fill(manifest.latentTokens), lastContext: fill(manifest.contextTokens), lastLatent: fill(manifest.latentTokens) };
}

/** Exports the paper-size head with random weights once into the cache; returns its folder or null with the reason printed. */
function exportPaperHead(): string | null {
  if (existsSync(path.join(PAPER_HEAD_CACHE, 'manifest.json'))) return PAPER_HEAD_CACHE;
  mkdirSync(PAPER_HEAD_CACHE, { recursive: true });
  console.log(`exporting the paper-size head with random weights to ${PAPER_HEAD_CACHE} ...`);
  const exported = spawnSync(PYTHON, ['-m', 'rdvla.export', '--preset', 'paper', '--random-weights', '--head-only', '--out', PAPER_HEAD_CACHE], {
    cwd: path.join(REPO_ROOT, 'training'),
    encoding: 'utf8',
  });
  if (exported.status !== 0) {
    console.log(`paper-size head: export failed (exit ${exported.status}), skipped: ${(exported.stderr || exported.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`);
    return null;
  }
  return PAPER_HEAD_CACHE;
}

async function inferOnce(policy: RdvlaPolicy, features: HeadFeatures | null, depth: number): Promise<InferenceResult> {
  const state = new Array<number>(policy.manifest.proprioSize).fill(0);
  const options = { mode: { kind: 'fixed' as const, depth }, seed: 1 };
  if (features !== null) return policy.inferFromFeatures(features, state, options);
  return policy.infer({ task: 'pick up the cube', state, ...options });
}

/**
 * Times each depth, shallowest first. Memory growth is the maxRSS rise since the depth-1 runs,
 * which follow 5 warm-up runs, so it shows what deeper loops add on top of one iteration.
 */
async function benchDepths(policy: RdvlaPolicy, features: HeadFeatures | null): Promise<DepthFigures[]> {
  for (let i = 0; i < 5; i++) await inferOnce(policy, features, 1);
  let baseline: number | null = null;

  const figures: DepthFigures[] = [];
  for (const depth of DEPTHS) {
    collectGarbage();
    const first = await inferOnce(policy, features, depth);
    const repeats = Math.max(3, Math.min(20, Math.ceil(1000 / Math.max(first.timingsMs.total, 1))));
    const results: InferenceResult[] = [];
    for (let i = 0; i < repeats; i++) results.push(await inferOnce(policy, features, depth));

    const rss = maxRssBytes();
    baseline ??= rss;
    figures.push({
      depth,
      repeats,
      inferenceMs: median(results.map((result) => result.timingsMs.total)),
      iterationMs: median(results.map((result) => result.timingsMs.core / depth)),
      bestIterationMs: Math.min(...results.map((result) => result.timingsMs.core / depth)),
      preludeMs: median(results.map((result) => result.timingsMs.prelude)),
      codaMs: median(results.map((result) => result.timingsMs.coda)),
      backboneMs: median(results.map((result) => result.timingsMs.backbone)),
      maxRssBytes: rss,
      growthBytes: rss - baseline,
    });
  }
  return figures;
}

function printDepthTable(figures: DepthFigures[], withBackbone: boolean): void {
  console.log(`  depth  runs  inference ms  iteration ms (median, best)  prelude ms  coda ms${withBackbone ? '  backbone ms' : ''}  maxRSS      growth since depth 1`);
  for (const f of figures) {
    const backbone = withBackbone ? `  ${f.backboneMs.toFixed(2).padStart(11)}` : '';
    console.log(
      `  ${String(f.depth).padStart(5)}  ${String(f.repeats).padStart(4)}  ${f.inferenceMs.toFixed(2).padStart(12)}  ${f.iterationMs.toFixed(3).padStart(14)} ${f.bestIterationMs.toFixed(3).padStart(12)}` +
        `  ${f.preludeMs.toFixed(2).padStart(10)}  ${f.codaMs.toFixed(2).padStart(7)}${backbone}  ${formatBytes(f.maxRssBytes).padStart(10)}  ${formatBytes(f.growthBytes)}`,
    );
  }
}

function printRoofline(cost: IterationCost, figures: DepthFigures, limits: MachineLimits): void {
  const bandwidthBoundMs = (cost.bytes / limits.readBandwidth) * 1e3;
  const computeBoundMs = (cost.flops / limits.matmulFlops) * 1e3;
  console.log(`  one iteration reads ${formatBytes(cost.weightBytes)} of weights + ${formatBytes(cost.bytes - cost.weightBytes)} of caches and scratchpads, ${(cost.flops / 1e6).toFixed(1)} MFLOP`);
  console.log(`  bounds: memory bandwidth ${bandwidthBoundMs.toFixed(3)} ms, compute ${computeBoundMs.toFixed(3)} ms per iteration`);
  const samples: [string, number][] = [
    [`median at depth ${figures.depth}`, figures.iterationMs],
    [`best at depth ${figures.depth}`, figures.bestIterationMs],
  ];
  for (const [label, ms] of samples) {
    const seconds = ms / 1e3;
    console.log(
      `  ${label}: ${ms.toFixed(3)} ms = ${(ms / bandwidthBoundMs).toFixed(2)}x the bandwidth bound (target <= ${TARGET_BANDWIDTH_RATIO}x), ` +
        `${(cost.bytes / seconds / 1e9).toFixed(1)} GB/s, ${(cost.flops / seconds / 1e9).toFixed(1)} GFLOP/s`,
    );
  }
}

function printMemoryTarget(figures: DepthFigures[]): void {
  const last = figures[figures.length - 1];
  if (last === undefined) return;
  const verdict = last.growthBytes < TARGET_MEMORY_GROWTH_BYTES ? 'meets' : 'misses';
  console.log(`  peak memory growth depth 1 -> ${last.depth}: ${formatBytes(last.growthBytes)} (target < ${formatBytes(TARGET_MEMORY_GROWTH_BYTES)}: ${verdict})`);
}

/** The parts of `python3 -m rdvla.bench_head --json` this benchmark compares against. */
interface TorchReport {
  /** Milliseconds per inference by depth, per pattern. */
  recompute: Record<string, number>;
  cached: Record<string, number>;
  perIterationMs: { recompute: number; cached: number };
  parameterBytesPerIteration: { recompute: number; cached: number };
  flopsPerIteration: { recompute: number; cached: number };
  threads: number;
  torch: string;
}

/** Runs the PyTorch eager head benchmark; returns null with the reason printed when it cannot run. */
function runTorchBench(): TorchReport | null {
  const depths = DEPTHS.join(',');
  const result = spawnSync(PYTHON, ['-m', 'rdvla.bench_head', '--preset', 'paper', '--depths', depths, '--json'], {
    cwd: path.join(REPO_ROOT, 'training'),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    console.log(`PyTorch head benchmark failed (exit ${result.status}), skipped: ${(result.stderr || result.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`);
    return null;
  }
  return JSON.parse(result.stdout) as TorchReport;
}

/** Least-squares milliseconds per added iteration over the measured depths. */
function slope(points: { depth: number; ms: number }[]): number {
  const meanDepth = points.reduce((sum, point) => sum + point.depth, 0) / points.length;
  const meanMs = points.reduce((sum, point) => sum + point.ms, 0) / points.length;
  const spread = points.reduce((sum, point) => sum + (point.depth - meanDepth) ** 2, 0);
  return points.reduce((sum, point) => sum + (point.depth - meanDepth) * (point.ms - meanMs), 0) / spread;
}

function printTorchComparison(torch: TorchReport, paper: DepthFigures[]): void {
  console.log(`\nPyTorch ${torch.torch} eager head, paper size, ${torch.threads} threads (python3 -m rdvla.bench_head), ms per inference:`);
  console.log('  depth  onnxruntime  torch cached  torch recompute  cached / ort  recompute / ort');
  for (const figures of paper) {
    const cached = torch.cached[String(figures.depth)] ?? Number.NaN;
    const recompute = torch.recompute[String(figures.depth)] ?? Number.NaN;
    console.log(
      `  ${String(figures.depth).padStart(5)}  ${figures.inferenceMs.toFixed(2).padStart(11)}  ${cached.toFixed(2).padStart(12)}  ${recompute.toFixed(2).padStart(15)}` +
        `  ${(cached / figures.inferenceMs).toFixed(2).padStart(12)}  ${(recompute / figures.inferenceMs).toFixed(2).padStart(15)}`,
    );
  }

  const ortSlope = slope(paper.map((figures) => ({ depth: figures.depth, ms: figures.inferenceMs })));
  const speedup = torch.perIterationMs.recompute / ortSlope;
  console.log(
    `  per iteration (slope over depths): onnxruntime ${ortSlope.toFixed(3)} ms, torch cached ${torch.perIterationMs.cached.toFixed(3)} ms, ` +
      `torch recompute ${torch.perIterationMs.recompute.toFixed(3)} ms`,
  );
  console.log(`  onnxruntime vs recompute pattern: ${speedup.toFixed(2)}x faster (target >= ${TARGET_SPEEDUP_OVER_RECOMPUTE}x)`);
  console.log(
    `  torch counts ${formatBytes(torch.parameterBytesPerIteration.cached)} of weights and ${(torch.flopsPerIteration.cached / 1e9).toFixed(3)} GFLOP per cached iteration, ` +
      `${formatBytes(torch.parameterBytesPerIteration.recompute)} and ${(torch.flopsPerIteration.recompute / 1e9).toFixed(3)} GFLOP per recompute iteration`,
  );
}

async function benchModel(label: string, dir: string, headOnly: boolean, limits: MachineLimits): Promise<DepthFigures[]> {
  const policy = await RdvlaPolicy.load(dir, { allowHeadOnly: headOnly });
  try {
    const info = policy.info();
    console.log(`\n${label}: ${info.name}, D ${info.sizes.hiddenSize}, ${info.sizes.heads} heads, K ${info.sizes.chunkSize}, ${info.sizes.coreLayers} core layers, ` +
      `${info.sizes.contextTokens} context + ${info.sizes.latentTokens} latent + 1 proprio tokens, on ${info.provider}`);
    const features = headOnly ? randomFeatures(policy.manifest, 7) : null;
    const figures = await benchDepths(policy, features);
    printDepthTable(figures, !headOnly);

    const core = info.graphs.core;
    if (core !== undefined) {
      const deepest = figures[figures.length - 1];
      if (deepest !== undefined) printRoofline(iterationCost(policy.manifest, core.bytes), deepest, limits);
    }
    printMemoryTarget(figures);
    return figures;
  } finally {
    await policy.close();
  }
}

/**
 * Quantises the paper head's core to int8 (bench/quantize_core.py, which needs the onnxruntime
 * Python package) and compares it with float32: time per iteration and the largest action change.
 */
async function benchInt8Core(paperDir: string, paper: DepthFigures[]): Promise<void> {
  const int8Dir = `${paperDir}-int8-core`;
  if (!existsSync(path.join(int8Dir, 'manifest.json'))) {
    // RDVLA_QUANTIZE_PYTHON names a Python with onnxruntime and onnx, when the default python3 lacks them.
    const python = process.env.RDVLA_QUANTIZE_PYTHON ?? 'python3';
    const quantized = spawnSync(python, [path.join(REPO_ROOT, 'bench', 'quantize_core.py'), paperDir, int8Dir], { encoding: 'utf8' });
    if (quantized.status !== 0) {
      const reason = (quantized.stderr || quantized.error?.message || '').trim().split('\n').slice(-1)[0];
      console.log(`\nint8 core: skipped, quantisation failed (${reason}); install onnxruntime, onnx and onnx-ir for python3 to measure it`);
      return;
    }
  }

  const accuracyDepth = 12;
  const actionsOf = async (dir: string): Promise<{ actions: Float32Array; iterationMs: number }> => {
    const policy = await RdvlaPolicy.load(dir, { allowHeadOnly: true });
    try {
      const features = randomFeatures(policy.manifest, 7);
      for (let i = 0; i < 2; i++) await inferOnce(policy, features, accuracyDepth);
      const results: InferenceResult[] = [];
      for (let i = 0; i < 5; i++) results.push(await inferOnce(policy, features, DEPTHS[DEPTHS.length - 1] ?? 64));
      const reference = await inferOnce(policy, features, accuracyDepth);
      return { actions: reference.actions, iterationMs: median(results.map((result) => result.timingsMs.core / result.kStar)) };
    } finally {
      await policy.close();
    }
  };

  const float32 = await actionsOf(paperDir);
  const int8 = await actionsOf(int8Dir);
  const largestChange = float32.actions.reduce((max, value, i) => Math.max(max, Math.abs(value - (int8.actions[i] ?? Number.NaN))), 0);
  const meanMagnitude = float32.actions.reduce((sum, value) => sum + Math.abs(value), 0) / float32.actions.length;
  console.log(`\nint8 core (dynamic quantisation of the paper head's core weights, ${int8Dir}):`);
  console.log(
    `  per iteration at depth ${DEPTHS[DEPTHS.length - 1]}: float32 ${float32.iterationMs.toFixed(3)} ms, int8 ${int8.iterationMs.toFixed(3)} ms ` +
      `(${(float32.iterationMs / int8.iterationMs).toFixed(2)}x; float32 table above: ${paper[paper.length - 1]?.iterationMs.toFixed(3)} ms)`,
  );
  console.log(`  accuracy cost at depth ${accuracyDepth}: largest action change ${largestChange.toExponential(2)} (mean |action| ${meanMagnitude.toFixed(3)}), random weights`);
}

export async function run(_args: string[]): Promise<void> {
  const load = os.loadavg().map((value) => value.toFixed(2)).join(', ');
  console.log(`measuring this machine (load average ${load}; other processes on these cores slow every figure below) ...`);
  const limits = await measureMachineLimits();
  console.log(
    `machine: ${limits.threads} threads, read bandwidth ${(limits.readBandwidth / 1e9).toFixed(1)} GB/s (onnxruntime ReduceSum, 128 MB), ` +
      `copy ${(limits.copyBandwidth / 1e9).toFixed(1)} GB/s (read + write), ` +
      `onnxruntime streaming MatMul ${(limits.streamingMatmulBandwidth / 1e9).toFixed(1)} GB/s of weights, MatMul 1024^3 ${(limits.matmulFlops / 1e9).toFixed(1)} GFLOP/s`,
  );

  if (existsSync(path.join(TINY_MODEL, 'manifest.json'))) await benchModel('tiny model (full inference, grey frames)', TINY_MODEL, false, limits);
  else console.log(`\ntiny model: ${TINY_MODEL} not found, skipped`);

  const paperDir = exportPaperHead();
  const paper = paperDir === null ? null : await benchModel('paper-size head (random weights, random context)', paperDir, true, limits);

  const torch = runTorchBench();
  if (torch !== null && paper !== null) printTorchComparison(torch, paper);
  if (paperDir !== null && paper !== null) await benchInt8Core(paperDir, paper);
}
