import { type Command, Option } from 'commander';
import { UserError } from '../../common/errors.js';
import { PROVIDERS, type ExecutionProvider } from '../../policy/execution-provider.js';
import { loadModelDir } from '../../policy/model-dir.js';
import type { DepthMode } from '../../policy/policy-types.js';
import type { RolloutEvent, RolloutSummary } from '../../rollout/rollout-telemetry.js';
import { RolloutTelemetry } from '../../rollout/rollout-telemetry.js';
import { runRollout } from '../../rollout/run-rollout.js';
import { durationSeconds, integerUpTo, positiveNumber, rigFromFlags, seedNumber, taskText } from './record.js';

/** Deepest fixed recurrence a rollout accepts: the training schedule's cap. */
const MAX_DEPTH = 64;

type AdaptiveKind = 'converge' | 'binary' | 'linear';

interface RolloutFlags {
  sim?: boolean;
  rig?: string;
  model: string;
  task?: string;
  seconds: number;
  db: string;
  depth?: number;
  adaptive?: AdaptiveKind;
  delta?: number;
  seed?: number;
  provider?: ExecutionProvider;
  watchdog?: number;
  json?: boolean;
}


/** --depth R, or --adaptive MODE with an optional --delta; the manifest's default depth without either. */
function depthModeFromFlags(flags: RolloutFlags): DepthMode | undefined {
  if (flags.depth !== undefined && flags.adaptive !== undefined) throw new UserError('--depth and --adaptive exclude each other: choose a fixed depth or an adaptive mode');
  if (flags.adaptive !== undefined) return { kind: flags.adaptive, delta: flags.delta };
  if (flags.delta !== undefined) throw new UserError('--delta applies to --adaptive modes only: add --adaptive binary, linear or converge');
  if (flags.depth !== undefined) return { kind: 'fixed', depth: flags.depth };
  return undefined;
}

function formatNumber(value: number | null, digits: number, unit = ''): string {
  return value === null ? 'n/a' : `${value.toFixed(digits)}${unit}`;
}

function printEvent(event: RolloutEvent, json: boolean | undefined): void {
  if (event.type === 'inference') {
    const { index, kStar, horizon, latencyMs, launchedAtStep, appliedAtStep, skipped, waitedTicks, timingsMs, trace } = event;
    if (json) {
      console.log(JSON.stringify({ kStar, horizon, latencyMs, index, launchedAtStep, appliedAtStep, skipped, waitedTicks, timingsMs, trace }));
      return;
    }
    const stages = `backbone ${timingsMs.backbone.toFixed(1)}, core ${timingsMs.core.toFixed(1)}, coda ${timingsMs.coda.toFixed(1)}`;
    console.log(`inference ${index}: k* ${kStar}, horizon ${horizon}, latency ${latencyMs.toFixed(1)} ms (${stages}), launched at step ${launchedAtStep}, applied at ${appliedAtStep}, waited ${waitedTicks} ticks`);
    return;
  }
  if (json) return;
  if (event.type === 'wait') console.log(`waited ${event.ticks} ticks for the policy from step ${event.fromTick}`);
  if (event.type === 'rejected') console.log(`chunk rejected at step ${event.tick}: ${event.reason}`);
}

function printSummary(summary: RolloutSummary, json: boolean | undefined): void {
  if (json) {
    console.log(JSON.stringify({ summary }));
    return;
  }
  const verdict = summary.verdict === null ? '' : ` (${summary.verdict})`;
  console.log(
    `episode ${summary.episodeId}: ${summary.steps} steps, ${summary.inferences} inferences, mean k* ${formatNumber(summary.meanKStar, 2)}, ` +
      `mean horizon ${formatNumber(summary.meanHorizon, 2)}, ${summary.startupTicks} ticks waiting for the first chunk and ${summary.waitTicks} after it, ` +
      `mean latency ${formatNumber(summary.meanLatencyMs, 1, ' ms')}, p99 lateness ${formatNumber(summary.p99LatenessMs, 2, ' ms')}, ` +
      `outcome ${summary.outcome}${verdict}, stopped by ${summary.stopReason}`,
  );
}

export function registerRolloutCommand(program: Command): void {
  program
    .command('rollout')
    .description('Run an RD-VLA policy on the follower arms and record the rollout as an episode')
    .option('--sim', 'start the built-in simulated rig, reset its scene and judge the task at the end')
    .option('--rig <file>', 'rig file of the real arms')
    .requiredOption('--model <dir>', 'model directory (manifest.json, tokenizer.json, ONNX graphs)')
    .option('--task <text>', "instruction for the policy (default with --sim: the scene's task)", taskText)
    .option('--seconds <n>', 'length of the rollout in seconds (at most one day)', durationSeconds, 20)
    .option('--db <file>', 'episode database (SQLite)', 'episodes.db')
    .option('--depth <iterations>', `fixed number of recurrent iterations, 1 to ${MAX_DEPTH} (default: the manifest defaultDepth)`, integerUpTo(MAX_DEPTH))
    .addOption(new Option('--adaptive <mode>', 'stop iterating when the actions converge; horizon from k* by the binary or linear rule, fixed for converge').choices(['converge', 'binary', 'linear']))
    .option('--delta <value>', 'convergence threshold of --adaptive: mean squared change of the normalised chunk (default: manifest)', positiveNumber)
    .option('--seed <uint32>', 'seed of the scene reset and of the first scratchpad (inference n uses seed + n)', seedNumber)
    .addOption(new Option('--provider <name>', 'execution provider (default: CUDA, then WebGPU, then CPU)').choices([...PROVIDERS]))
    .option('--watchdog <seconds>', 'stop with the arms holding when an inference takes longer than this (default: 3x the measured latency, at least 0.5 s)', positiveNumber)
    .option('--json', 'print one JSON line per inference ({"kStar", "horizon", "latencyMs", ...}) and a final {"summary": {...}} line')
    .action(async (flags: RolloutFlags) => {
      const mode = depthModeFromFlags(flags);
      if (!flags.sim && flags.task === undefined) throw new UserError('--task is required with --rig: pass the instruction for the policy');
      // A wrong model folder fails here, before a rig or the simulator starts.
      loadModelDir(flags.model);
      const { rig, sim, stop } = await rigFromFlags(flags);

      const telemetry = new RolloutTelemetry();
      telemetry.subscribe((event) => printEvent(event, flags.json), { tickHz: 1 });
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await runRollout({
          rig,
          modelDir: flags.model,
          provider: flags.provider,
          dbPath: flags.db,
          task: flags.task,
          seconds: flags.seconds,
          mode,
          seed: flags.seed,
          scene: sim ?? null,
          signal: abort.signal,
          telemetry,
          watchdogMs: flags.watchdog === undefined ? undefined : flags.watchdog * 1000,
        });
        printSummary(summary, flags.json);
        if (summary.fault !== null) throw new UserError(summary.fault);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await stop();
      }
    });
}
