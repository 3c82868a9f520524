import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DepthMode } from '../src/policy/policy-types.js';
import type { PolicyDescription } from '../src/rollout/policy-description.js';
import type { RolloutEvent, RolloutSummary } from '../src/rollout/rollout-telemetry.js';
import { RolloutTelemetry } from '../src/rollout/rollout-telemetry.js';
import { runRollout } from '../src/rollout/run-rollout.js';
import { startSimRig } from '../src/sim/sim-rig.js';
import { EpisodeStore } from '../src/store/episode-store.js';
import { mean, percentile } from './stats.js';

/**
 * `npm run bench -- rollout [SECONDS] [MODE]`: a rollout of the tiny model on the simulated rig
 * (20 s, fixed depth by default; MODE is fixed, converge, binary or linear). It reports the
 * control loop's timing while inference runs, the ticks the arm waited for the model, and the
 * frames each of the three simulated cameras dropped during the episode.
 */
const TARGET_P99_LATENESS_MS = 2;
const TARGET_WAIT_TICKS = 0;
const TARGET_DROPPED_FRAMES = 0;

const TINY_MODEL = fileURLToPath(new URL('../../native-models/rdvla-tiny-sim', import.meta.url));

function modeFromArg(arg: string | undefined): DepthMode | undefined {
  if (arg === undefined || arg === 'fixed') return undefined;
  if (arg === 'converge' || arg === 'binary' || arg === 'linear') return { kind: arg };
  throw new Error(`unknown mode "${arg}": use fixed, converge, binary or linear`);
}

interface TickFigures {
  periodErrorsMs: number[];
  latenessMs: number[];
  latenciesMs: number[];
  horizons: number[];
  policy: PolicyDescription | null;
}

function collect(telemetry: RolloutTelemetry, nominalMs: number): TickFigures {
  const figures: TickFigures = { periodErrorsMs: [], latenessMs: [], latenciesMs: [], horizons: [], policy: null };
  telemetry.subscribe((event: RolloutEvent) => {
    if (event.type === 'started') figures.policy = event.policy as PolicyDescription;
    if (event.type === 'tick') {
      if (event.tick > 0) figures.periodErrorsMs.push(Math.abs(event.periodMs - nominalMs));
      figures.latenessMs.push(event.latenessMs);
    }
    if (event.type === 'inference') {
      figures.latenciesMs.push(event.latencyMs);
      figures.horizons.push(event.horizon);
    }
  });
  return figures;
}

/**
 * Maximum round trip with which the pipeline never waits: latency + margin must fit in n periods
 * with n <= the shortest horizon and 2n <= chunkSize + 1, because the chunk skips n - 1 actions.
 */
function noWaitLatencyMs(figures: TickFigures, nominalMs: number): number {
  const chunkSize = figures.policy?.chunkSize ?? 8;
  const periods = Math.min(Math.min(...figures.horizons), Math.floor((chunkSize + 1) / 2));
  return periods * nominalMs - (figures.policy?.marginMs ?? 0);
}

function printFigures(summary: RolloutSummary, figures: TickFigures, dbPath: string, nominalMs: number): void {
  const boundMs = noWaitLatencyMs(figures, nominalMs);
  const withinBound = percentile(figures.latenciesMs, 99) <= boundMs;
  console.log(`  ticks                 ${summary.steps}, stopped by ${summary.stopReason}${summary.fault ? ` (${summary.fault})` : ''}`);
  console.log(`  inferences            ${summary.inferences}, mean k* ${summary.meanKStar?.toFixed(2) ?? 'n/a'}, mean horizon ${summary.meanHorizon?.toFixed(2) ?? 'n/a'}`);
  console.log(`  inference latency     mean ${mean(figures.latenciesMs).toFixed(1)} ms, p99 ${percentile(figures.latenciesMs, 99).toFixed(1)} ms; no waits up to ${boundMs.toFixed(0)} ms`);
  console.log(`  period error          mean ${mean(figures.periodErrorsMs).toFixed(3)} ms, p99 ${percentile(figures.periodErrorsMs, 99).toFixed(3)} ms`);
  console.log(`  lateness              mean ${mean(figures.latenessMs).toFixed(3)} ms, p99 ${percentile(figures.latenessMs, 99).toFixed(3)} ms (target p99 < ${TARGET_P99_LATENESS_MS} ms)`);
  const waitNote = withinBound ? `target ${TARGET_WAIT_TICKS}: p99 latency is within the no-wait bound` : `target ${TARGET_WAIT_TICKS} applies only while inference stays within the no-wait bound`;
  console.log(`  ticks waiting         ${summary.waitTicks} (${waitNote}), ${summary.startupTicks} before the first chunk`);

  const store = EpisodeStore.open(dbPath, { readonly: true });
  try {
    for (const [camera, stats] of Object.entries(store.readCameraStats(summary.episodeId))) {
      console.log(`  ${camera.padEnd(21)} ${stats.frames} frames, ${stats.dropped} dropped, ${stats.late} late at ${stats.fps} fps (target ${TARGET_DROPPED_FRAMES} dropped)`);
    }
  } finally {
    store.close();
  }
}

export async function run(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 20);
  const mode = modeFromArg(args[1]);
  const dir = mkdtempSync(path.join(tmpdir(), 'rdvla-bench-rollout-'));
  const dbPath = path.join(dir, 'bench.db');
  const sim = await startSimRig({});
  try {
    const rig = sim.config;
    const nominalMs = 1000 / rig.fps;
    const telemetry = new RolloutTelemetry();
    const figures = collect(telemetry, nominalMs);

    console.log(`rollout of ${path.basename(TINY_MODEL)} (${args[1] ?? 'fixed'}) at ${rig.fps} Hz on the simulated rig with ${rig.cameras.length} cameras for ${seconds} s ...`);
    const summary = await runRollout({ rig, modelDir: TINY_MODEL, dbPath, seconds, mode, seed: 1, scene: sim, telemetry });
    printFigures(summary, figures, dbPath, nominalMs);
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
