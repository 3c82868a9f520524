import { describe, expect, it } from 'vitest';
import { type AppliedChunk, ChunkPipeline, type PlannedChunk } from './chunk-pipeline.js';

interface FakePolicyRun {
  /** Executed action per tick as "chunk:action", or null for a held tick. */
  executed: (string | null)[];
  applied: AppliedChunk[];
  launchTicks: number[];
  pipeline: ChunkPipeline;
}

interface FakePolicy {
  ticks: number;
  periodMs: number;
  /** Execution horizon of the n-th chunk. */
  horizon: number | ((n: number) => number);
  /** Round trip of the n-th inference, in milliseconds. */
  latencyMs: (n: number) => number;
  maxLeadTicks?: number;
  marginMs?: number;
  /** Latency estimate before the first round trip, e.g. from a warm-up inference; latencyMs(0) by default. */
  initialLatencyMs?: number;
}

/** Builds a one-wide chunk whose action k of inference n is n * 100 + k, so executed ticks name their source. */
function chunkOf(n: number, horizon: number): PlannedChunk {
  return { actions: Float32Array.from({ length: 8 }, (_, k) => n * 100 + k), chunkSize: 8, actionSize: 1, horizon };
}

/**
 * Drives the pipeline with a fake policy on a simulated clock. Tick i starts at i * period. An
 * inference launched on a tick returns latencyMs(n) + 1 ms after that tick's start, and its
 * chunk lands before the first tick that starts after it returned.
 */
function runFakePolicy(policy: FakePolicy): FakePolicyRun {
  const pipeline = new ChunkPipeline({
    periodMs: policy.periodMs,
    marginMs: policy.marginMs ?? 5,
    maxLeadTicks: policy.maxLeadTicks ?? 3,
    initialLatencyMs: policy.initialLatencyMs ?? policy.latencyMs(0),
  });
  const run: FakePolicyRun = { executed: [], applied: [], launchTicks: [], pipeline };
  let pending: { arrivesMs: number; chunk: PlannedChunk; latencyMs: number } | null = null;

  for (let tick = 0; tick < policy.ticks; tick++) {
    const nowMs = tick * policy.periodMs;
    if (pending !== null && pending.arrivesMs <= nowMs) {
      pipeline.land(pending.chunk, pending.latencyMs);
      pending = null;
    }

    const plan = pipeline.tick(tick);
    if (plan.applied) run.applied.push(plan.applied);
    const value = plan.action?.[0];
    run.executed.push(value === undefined ? null : `${Math.floor(value / 100)}:${value % 100}`);

    if (plan.launch) {
      const n = run.launchTicks.length;
      run.launchTicks.push(tick);
      const latencyMs = policy.latencyMs(n);
      const horizon = typeof policy.horizon === 'number' ? policy.horizon : policy.horizon(n);
      pending = { arrivesMs: nowMs + 1 + latencyMs, chunk: chunkOf(n, horizon), latencyMs };
    }
  }
  return run;
}

describe('ChunkPipeline', () => {
  it('never waits when inference is shorter than the horizon', () => {
    const latencies = [20, 45, 60, 35];
    const run = runFakePolicy({ ticks: 500, periodMs: 20, horizon: 4, initialLatencyMs: 60, latencyMs: (n) => latencies[n % latencies.length]! });

    expect(run.pipeline.waitTicks).toBe(0);
    expect(run.pipeline.startupTicks).toBe(2);
    expect(run.executed.slice(2).every((action) => action !== null)).toBe(true);
  });

  it('counts waits when inference is longer than the horizon', () => {
    const run = runFakePolicy({ ticks: 40, periodMs: 20, horizon: 4, latencyMs: () => 150 });

    expect(run.pipeline.startupTicks).toBe(8);
    expect(run.pipeline.waitTicks).toBe(16);
    expect(run.applied.map((chunk) => chunk.waitedTicks)).toEqual([8, 4, 4, 4]);
    expect(run.executed.filter((action) => action === null)).toHaveLength(24);
  });

  it('replaces the queue and skips executed actions', () => {
    const run = runFakePolicy({ ticks: 14, periodMs: 20, horizon: 8, latencyMs: () => 30 });

    expect(run.launchTicks).toEqual([0, 8]);
    expect(run.executed.slice(0, 12)).toEqual([null, null, '0:0', '0:1', '0:2', '0:3', '0:4', '0:5', '0:6', '0:7', '1:1', '1:2']);
    const second = run.applied[1]!;
    expect(second.launchTick).toBe(8);
    expect(second.appliedTick).toBe(10);
    expect(second.skipped).toBe(1);
    expect(second.queued).toBe(7);
  });

  it('does not advance the plan on held ticks', () => {
    const run = runFakePolicy({ ticks: 20, periodMs: 20, horizon: 4, latencyMs: () => 150 });

    const second = run.applied[1]!;
    expect(second.launchTick).toBe(8);
    expect(second.appliedTick).toBe(16);
    expect(second.skipped).toBe(3);
    expect(second.queued).toBe(4);
    expect(run.executed.slice(16, 20)).toEqual(['1:3', '1:4', '1:5', '1:6']);
  });

  it('launches again after an abandoned inference', () => {
    const pipeline = new ChunkPipeline({ periodMs: 20, marginMs: 5, maxLeadTicks: 3, initialLatencyMs: 30 });
    expect(pipeline.tick(0).launch).toBe(true);
    expect(pipeline.tick(1).launch).toBe(false);

    pipeline.abandon();
    const plan = pipeline.tick(2);
    expect(plan.launch).toBe(true);
    expect(plan.action).toBeNull();
    expect(plan.startingUp).toBe(true);
  });

  it('caps the lead at maxLeadTicks', () => {
    const pipeline = new ChunkPipeline({ periodMs: 20, marginMs: 5, maxLeadTicks: 3, initialLatencyMs: 500, latencyWindow: 2 });
    expect(pipeline.leadTicks).toBe(4);

    pipeline.recordLatency(10);
    pipeline.recordLatency(30);
    expect(pipeline.latencyEstimateMs).toBe(30);
    expect(pipeline.leadTicks).toBe(2);
  });
});
