import { expect, test } from 'vitest';
import type { InferenceRecord, StepRecord } from '../store/episode-types.js';
import type { AlignedEpisode, SourceEpisode } from './source-episode.js';
import { NO_INFERENCE, inferenceLatencyMs, telemetryColumns } from './telemetry.js';

function inference(index: number, stepIndex: number, kStar: number, timings: Record<string, number>): InferenceRecord {
  return { index, stepIndex, kStar, horizon: 8, timings, tNs: 0n, trace: [], waitedTicks: 0 };
}

function aligned(stepRows: number[], inferences: InferenceRecord[]): AlignedEpisode {
  const steps = Array.from({ length: 20 }, (_, index) => ({ index }) as StepRecord);
  const source = { steps, inferences } as unknown as SourceEpisode;
  return { source, length: stepRows.length, stepRows: Int32Array.from(stepRows), frameRows: new Map(), seconds: 0 };
}

test('latency prefers the total timing', () => {
  expect(inferenceLatencyMs(inference(0, 0, 1, { backbone: 20, head: 5, total: 31 }))).toBe(31);
  expect(inferenceLatencyMs(inference(0, 0, 1, { backbone: 20, head: 5 }))).toBe(25);
});

test('telemetry forward-fills from the applied inference', () => {
  const inferences = [inference(1, 8, 6, { total: 40 }), inference(0, 2, 3, { total: 30 })];
  const columns = telemetryColumns(aligned([0, 1, 2, 5, 7, 8, 19], inferences));

  expect([...columns.kStar]).toEqual([-1n, -1n, 3n, 3n, 3n, 6n, 6n]);
  expect([...columns.horizon]).toEqual([-1n, -1n, 8n, 8n, 8n, 8n, 8n]);
  expect([...columns.inferenceMs]).toEqual([NO_INFERENCE, NO_INFERENCE, 30, 30, 30, 40, 40]);
});
