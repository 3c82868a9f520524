import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { UserError, errorMessage } from '../../common/errors.js';
import { loadRigConfig } from '../../rig/rig-config.js';
import type { RigConfig } from '../../rig/rig-config.js';
import { type SimRig, startSimRig } from '../../sim/sim-rig.js';
import { EpisodeStore } from '../../store/episode-store.js';
import { recordEpisodes } from '../../teleop/record-episodes.js';
import type { EpisodeScene, RecordedEpisode } from '../../teleop/record-episodes.js';

interface RecordFlags {
  sim?: boolean;
  rig?: string;
  db: string;
  task?: string;
  seed?: number;
  seconds: number;
  episodes: number;
  resetSeconds: number;
  json?: boolean;
}

export function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return parsed;
}

export function nonNegativeNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError(`expected a number of at least 0, got "${value}"`);
  return parsed;
}

/** Parses a uint32 seed; a blank value is rejected rather than read as 0. */
export function seedNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isInteger(parsed) || parsed < 0 || parsed > 0xffffffff) {
    throw new InvalidArgumentError(`expected a whole number from 0 to 4294967295, got "${value}"`);
  }
  return parsed;
}

/** Parses a task instruction; blank text is rejected, since a policy and a dataset need one. */
export function taskText(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a task instruction, got blank text');
  return value;
}

/** Maximum length of an episode or rollout in seconds: one day, far beyond any demonstration. */
const MAX_SECONDS = 86_400;

/** Parses a length in seconds, above 0 and at most one day (longer timers overflow in Node). */
export function durationSeconds(value: string): number {
  const parsed = positiveNumber(value);
  if (parsed > MAX_SECONDS) throw new InvalidArgumentError(`expected at most ${MAX_SECONDS} seconds (one day), got "${value}"`);
  return parsed;
}

/** Returns a parser of whole numbers from 1 to `max`. */
export function integerUpTo(max: number): (value: string) => number {
  return (value) => {
    const parsed = positiveInteger(value);
    if (parsed > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}, got "${value}"`);
    return parsed;
  };
}

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return parsed;
}

function formatMs(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(2)} ms`;
}

function printEpisode(episode: RecordedEpisode, json: boolean | undefined): void {
  if (json) {
    console.log(JSON.stringify(episode));
    return;
  }
  const note = episode.cutShort ? ' (stopped early)' : '';
  console.log(
    `episode ${episode.id}: ${episode.steps} steps in ${episode.durationS.toFixed(2)} s, mean period ${formatMs(episode.meanPeriodMs)}, p99 lateness ${formatMs(episode.p99LatenessMs)}${note}`,
  );
  for (const [camera, stats] of Object.entries(episode.cameras)) {
    console.log(`  ${camera}: ${stats.frames} frames, ${stats.dropped} dropped, ${stats.late} late, ${stats.fps.toFixed(2)} fps measured`);
  }
  if (episode.verdictDetail !== null) console.log(`  outcome ${episode.outcome}: ${episode.verdictDetail}`);
}

/** Wraps the simulated rig's table task as the scene of each recorded episode. */
function simScene(sim: SimRig): EpisodeScene {
  return { reset: () => sim.resetScene(), verdict: () => sim.taskVerdict() };
}

/** Rejects a command line that names both rigs or neither. */
export function checkRigFlags(flags: { sim?: boolean; rig?: string }): void {
  if (flags.sim && flags.rig) throw new UserError('--sim and --rig exclude each other: pass one of them');
  if (!flags.sim && !flags.rig) throw new UserError('no rig given: pass --rig FILE for real arms, or --sim for the built-in simulated rig');
}

/**
 * Resolves the rig from --sim or --rig; returns the rig, the simulator with --sim, and a
 * function that shuts the simulator down.
 */
export async function rigFromFlags(flags: { sim?: boolean; rig?: string; seed?: number }): Promise<{ rig: RigConfig; sim?: SimRig; stop: () => Promise<void> }> {
  checkRigFlags(flags);
  if (flags.rig) return { rig: loadRigConfig(flags.rig), stop: async () => {} };
  const sim = await startSimRig({ seed: flags.seed });
  return { rig: sim.config, sim, stop: () => sim.stop() };
}

export function registerRecordCommand(program: Command): void {
  program
    .command('record')
    .description('Record teleoperated demonstrations into the episode database')
    .option('--sim', 'start the built-in simulated rig and record from it')
    .option('--rig <file>', 'rig file of the real arms')
    .option('--db <file>', 'episode database (SQLite)', 'episodes.db')
    .option('--task <text>', "task description stored with each episode; with --sim, the simulated scene's task by default", taskText)
    .option('--seed <n>', 'with --sim: seed of the scripted operator and of the table scenes', seedNumber)
    .option('--seconds <n>', 'length of each episode in seconds (at most one day)', durationSeconds, 10)
    .option('--episodes <n>', 'number of episodes to record', positiveInteger, 1)
    .option('--reset-seconds <n>', 'pause between episodes while teleop keeps running, in seconds', nonNegativeNumber, 2)
    .option('--json', 'print one JSON object per episode')
    .action(async (flags: RecordFlags) => {
      // Check the flags, the rig file and the database before starting any hardware or simulator.
      checkRigFlags(flags);
      if (flags.task === undefined && !flags.sim) throw new UserError('no task given: pass --task TEXT describing what the operator demonstrates');
      if (flags.rig) loadRigConfig(flags.rig);
      EpisodeStore.open(flags.db).close();
      const { rig, sim, stop } = await rigFromFlags(flags);
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await recordEpisodes({
          rig,
          dbPath: flags.db,
          task: flags.task,
          scene: sim ? simScene(sim) : undefined,
          seconds: flags.seconds,
          episodes: flags.episodes,
          resetSeconds: flags.resetSeconds,
          signal: abort.signal,
          onEpisodeDone: (episode) => printEpisode(episode, flags.json),
        });
      } catch (error) {
        // A signal to the whole process group (timeout, systemctl) also stops the simulator or
        // camera processes, so their ports fail after the stop was requested.
        if (!abort.signal.aborted) throw error;
        console.error(`rdvla: stopped by a signal, after which the rig failed (${errorMessage(error)}): check the stored episodes with \`rdvla episodes list --db ${flags.db}\``);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await stop();
      }
    });
}
