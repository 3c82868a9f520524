import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { wireTimeUs } from '../src/bus/timing.js';
import { RigConnection } from '../src/rig/rig-connection.js';
import type { RigConfig } from '../src/rig/rig-config.js';
import { startSimRig } from '../src/sim/sim-rig.js';
import { EpisodeRecorder } from '../src/store/episode-recorder.js';
import type { StepSample } from '../src/store/episode-types.js';
import { ControlLoop } from '../src/teleop/control-loop.js';
import { calibrationOf } from '../src/teleop/record-episodes.js';
import { teleopSource } from '../src/teleop/teleop-source.js';
import { mean, percentile } from './stats.js';

/**
 * `npm run bench -- teleop [SECONDS]`: teleop on the simulated rig at 50 Hz while recording
 * (60 s by default), then the loop run as fast as it goes to find its top rate at 1 Mbps,
 * next to the limit the wire time of one tick's packets sets.
 */
const TARGET_P99_LATENESS_MS = 1;
const TARGET_TOP_RATE_FRACTION = 0.9;
const TOP_RATE_SECONDS = 10;

/** Bytes of a Sync Read instruction for `motors` ids and of its status packets carrying `dataBytes` each. */
function syncReadBytes(motors: number, dataBytes: number): number {
  const instruction = 4 + 1 + 2 + 1 + 4 + motors + 2;
  const replies = motors * (11 + dataBytes);
  return instruction + replies;
}

function syncWriteBytes(motors: number, dataBytes: number): number {
  return 4 + 1 + 2 + 1 + 4 + motors * (1 + dataBytes) + 2;
}

/**
 * Wire time of one teleop tick: the leader position reads (4 bytes) and follower state reads
 * (10 bytes) run in parallel on separate buses, so the slower of the two counts, then the
 * follower Sync Write of goal positions.
 */
function tickWireTimeUs(rig: RigConfig): number {
  const motors = rig.arms.left_follower.motors.length;
  const baud = rig.arms.left_follower.baudRate;
  const readUs = Math.max(wireTimeUs(syncReadBytes(motors, 4), baud), wireTimeUs(syncReadBytes(motors, 10), baud));
  return readUs + wireTimeUs(syncWriteBytes(motors, 4), baud);
}

async function runLoop(connection: RigConnection, hz: number, seconds: number, onStep: (step: StepSample) => void): Promise<number> {
  const loop = new ControlLoop(connection, { readLeaders: true, source: teleopSource(connection.rig), hz });
  let failure: Error | null = null;
  loop.on('step', onStep);
  loop.once('error', (error: Error) => {
    failure = error;
  });
  const started = performance.now();
  await loop.start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await loop.stop();
  if (failure) throw failure;
  return (performance.now() - started) / 1000;
}

export async function run(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 60);
  const dir = mkdtempSync(path.join(tmpdir(), 'rdvla-bench-teleop-'));
  const sim = await startSimRig({});
  const connection = await RigConnection.open(sim.config);
  try {
    await connection.prepare();
    const rig = connection.rig;
    const recorder = await EpisodeRecorder.start(path.join(dir, 'bench.db'), { task: 'teleop benchmark', kind: 'teleop', fps: rig.fps, rig, calibration: calibrationOf(rig) });
    const steps: StepSample[] = [];

    console.log(`teleop at ${rig.fps} Hz on the simulated rig for ${seconds} s while recording ...`);
    const elapsed = await runLoop(connection, rig.fps, seconds, (step) => {
      recorder.addStep(step);
      steps.push(step);
    });
    const written = await recorder.stop();

    const nominalMs = 1000 / rig.fps;
    const periodErrors = steps.slice(1).map((step) => Math.abs(step.periodMs - nominalMs));
    const lateness = steps.map((step) => step.latenessMs);
    const busMs = steps.map((step) => step.busMs);
    console.log(`  ticks                 ${steps.length}`);
    console.log(`  period error          mean ${mean(periodErrors).toFixed(3)} ms, p99 ${percentile(periodErrors, 99).toFixed(3)} ms`);
    console.log(`  lateness              mean ${mean(lateness).toFixed(3)} ms, p99 ${percentile(lateness, 99).toFixed(3)} ms (target p99 < ${TARGET_P99_LATENESS_MS} ms)`);
    console.log(`  bus time per tick     mean ${mean(busMs).toFixed(3)} ms, p99 ${percentile(busMs, 99).toFixed(3)} ms`);
    console.log(`  steps written         ${written} (${(written / elapsed).toFixed(1)} per second)`);

    console.log(`top rate: the loop as fast as it goes for ${TOP_RATE_SECONDS} s ...`);
    let ticks = 0;
    const topElapsed = await runLoop(connection, 100_000, TOP_RATE_SECONDS, () => {
      ticks += 1;
    });
    const achievedHz = ticks / topElapsed;
    const limitHz = 1e6 / tickWireTimeUs(rig);
    const fraction = achievedHz / limitHz;
    console.log(`  achieved              ${achievedHz.toFixed(1)} Hz`);
    console.log(`  wire-time limit       ${limitHz.toFixed(1)} Hz (${tickWireTimeUs(rig).toFixed(0)} us of packets per tick at ${rig.arms.left_follower.baudRate} baud)`);
    console.log(`  fraction of limit     ${(fraction * 100).toFixed(1)} % (target >= ${TARGET_TOP_RATE_FRACTION * 100} %)`);
    for (const [arm, bus] of Object.entries(connection.buses)) {
      console.log(`  ${arm.padEnd(15)} ${bus.counters.transactions} transactions, ${bus.counters.retries} retries, ${bus.counters.timeouts} timeouts, ${bus.counters.crcErrors} CRC errors`);
    }
  } finally {
    await connection.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
