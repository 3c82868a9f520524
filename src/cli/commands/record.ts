import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { UserError } from '../../common/errors.js';
import { loadRigConfig } from '../../rig/rig-config.js';
import type { RigConfig } from '../../rig/rig-config.js';
import { startSimRig } from '../../sim/sim-rig.js';
import { EpisodeStore } from '../../store/episode-store.js';
import { recordEpisodes } from '../../teleop/record-episodes.js';
import type { RecordedEpisode } from '../../teleop/record-episodes.js';

interface RecordFlags {
  sim?: boolean;
  rig?: string;
  db: string;
  task: string;
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
}

/** Resolves the rig from --sim or --rig; returns the rig and a function that shuts the simulator down. */
export async function rigFromFlags(flags: { sim?: boolean; rig?: string }): Promise<{ rig: RigConfig; stop: () => Promise<void> }> {
  if (flags.sim && flags.rig) throw new UserError('--sim and --rig exclude each other: pass one of them');
  if (flags.rig) return { rig: loadRigConfig(flags.rig), stop: async () => {} };
  if (!flags.sim) throw new UserError('no rig given: pass --rig FILE for real arms, or --sim for the built-in simulated rig');
  const sim = await startSimRig({});
  return { rig: sim.config, stop: () => sim.stop() };
}

export function registerRecordCommand(program: Command): void {
  program
    .command('record')
    .description('Record teleoperated demonstrations into the episode database')
    .option('--sim', 'start the built-in simulated rig and record from it')
    .option('--rig <file>', 'rig file of the real arms')
    .option('--db <file>', 'episode database (SQLite)', 'episodes.db')
    .requiredOption('--task <text>', 'task description stored with each episode')
    .option('--seconds <n>', 'length of each episode in seconds', positiveNumber, 10)
    .option('--episodes <n>', 'number of episodes to record', positiveInteger, 1)
    .option('--reset-seconds <n>', 'pause between episodes while teleop keeps running, in seconds', Number, 2)
    .option('--json', 'print one JSON object per episode')
    .action(async (flags: RecordFlags) => {
      // Check the database before starting any hardware or simulator.
      EpisodeStore.open(flags.db).close();
      const { rig, stop } = await rigFromFlags(flags);
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await recordEpisodes({
          rig,
          dbPath: flags.db,
          task: flags.task,
          seconds: flags.seconds,
          episodes: flags.episodes,
          resetSeconds: flags.resetSeconds,
          signal: abort.signal,
          onEpisodeDone: (episode) => printEpisode(episode, flags.json),
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await stop();
      }
    });
}
