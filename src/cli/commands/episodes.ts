import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { FrameTimingCounter } from '../../camera/frame-timing.js';
import { UserError } from '../../common/errors.js';
import { EpisodeStore } from '../../store/episode-store.js';
import {
  EPISODE_KINDS,
  EPISODE_OUTCOMES,
  type CameraStats,
  type EpisodeFilter,
  type EpisodeKind,
  type EpisodeOutcome,
  type EpisodeSummary,
} from '../../store/episode-types.js';

/** One row of `rdvla episodes list --json`. The field names are a contract for scripts. */
export interface EpisodeListEntry {
  id: number;
  task: string;
  kind: EpisodeKind;
  steps: number;
  fps: number;
  durationS: number;
  outcome: EpisodeOutcome;
  incomplete: boolean;
}

/** Counts over the frames stored for one camera, computed from their timestamps. */
export interface StoredFrames {
  count: number;
  /** Missing frame periods between stored frames, against the camera's nominal rate. */
  dropped: number;
  late: number;
  /** Measured rate: (count - 1) / (last t_ns - first t_ns). */
  fps: number;
}

/** Output of `rdvla episodes show ID --json`: a list entry plus loop timing, camera statistics and stored frames. */
export interface EpisodeDetail extends EpisodeListEntry {
  meanPeriodMs: number | null;
  p99LatenessMs: number | null;
  /** Statistics the recorder stored for each camera when the episode stopped. */
  cameras: Record<string, CameraStats>;
  frames: Record<string, StoredFrames>;
}

const DEFAULT_DB = 'episodes.db';

interface DbOptions {
  db: string;
}

interface ListOptions extends DbOptions {
  task?: string;
  kind?: EpisodeKind;
  outcome?: EpisodeOutcome;
  json?: boolean;
}

function listEntry(summary: EpisodeSummary): EpisodeListEntry {
  const { id, task, kind, stepCount, fps, durationS, outcome, incomplete } = summary;
  return { id, task, kind, steps: stepCount, fps, durationS, outcome, incomplete };
}

export function listEpisodeEntries(store: EpisodeStore, filter: EpisodeFilter = {}): EpisodeListEntry[] {
  return store.listEpisodes(filter).map(listEntry);
}

export function episodeDetail(store: EpisodeStore, id: number): EpisodeDetail {
  // episodeStats throws the store's "not found" UserError for an unknown id.
  const { meanPeriodMs, p99LatenessMs } = store.episodeStats(id);
  const summary = store.getEpisode(id)!;
  const cameras = store.readCameraStats(id);
  return { ...listEntry(summary), meanPeriodMs, p99LatenessMs, cameras, frames: storedFrames(store, id, cameras) };
}

/**
 * Counts each camera's stored frames and their drops from the stored timestamps. The nominal
 * rate comes from the camera statistics; a camera without them is checked against its own
 * measured rate.
 */
export function storedFrames(store: EpisodeStore, id: number, cameras: Record<string, CameraStats>): Record<string, StoredFrames> {
  // NOTE: readFrames also loads every JPEG; a timestamps-only query in the store would make this cheaper.
  const times = new Map<string, bigint[]>();
  for (const frame of store.readFrames(id)) {
    const list = times.get(frame.camera) ?? [];
    list.push(frame.tNs);
    times.set(frame.camera, list);
  }

  const result: Record<string, StoredFrames> = {};
  for (const [camera, stamps] of times) {
    const spanS = stamps.length > 1 ? Number(stamps[stamps.length - 1]! - stamps[0]!) / 1e9 : 0;
    const measuredFps = spanS > 0 ? (stamps.length - 1) / spanS : 0;
    const nominalFps = cameras[camera]?.fps ?? measuredFps;
    if (!(nominalFps > 0)) {
      result[camera] = { count: stamps.length, dropped: 0, late: 0, fps: 0 };
      continue;
    }
    const counter = new FrameTimingCounter(nominalFps);
    for (const tNs of stamps) counter.add(tNs);
    const { frames, dropped, late, fps } = counter.snapshot();
    result[camera] = { count: frames, dropped, late, fps };
  }
  return result;
}

function withStore<T>(path: string, readonly: boolean, work: (store: EpisodeStore) => T): T {
  const store = EpisodeStore.open(path, { readonly, mustExist: true });
  try {
    return work(store);
  } finally {
    store.close();
  }
}

function parseEpisodeId(value: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 1) throw new InvalidArgumentError('use a positive whole number from `rdvla episodes list`');
  return id;
}

function formatMs(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(2)} ms`;
}

function completeness(entry: EpisodeListEntry): string {
  return entry.incomplete ? 'incomplete' : 'complete';
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
}

function list(options: ListOptions): void {
  const filter: EpisodeFilter = { task: options.task, kind: options.kind, outcome: options.outcome };
  const entries = withStore(options.db, true, (store) => listEpisodeEntries(store, filter));
  if (options.json) {
    console.log(JSON.stringify(entries));
    return;
  }
  if (entries.length === 0) {
    console.log(`no episodes in ${options.db} match the filter`);
    return;
  }
  printTable(
    ['ID', 'TASK', 'KIND', 'STEPS', 'FPS', 'DURATION', 'OUTCOME', 'STATE'],
    entries.map((entry) => [
      String(entry.id),
      entry.task,
      entry.kind,
      String(entry.steps),
      String(entry.fps),
      `${entry.durationS.toFixed(1)} s`,
      entry.outcome,
      completeness(entry),
    ]),
  );
}

function show(id: number, options: DbOptions & { json?: boolean }): void {
  const detail = withStore(options.db, true, (store) => episodeDetail(store, id));
  if (options.json) {
    console.log(JSON.stringify(detail));
    return;
  }

  const state = detail.incomplete ? 'incomplete (still recording, or the recording was interrupted)' : 'complete';
  printTable(
    ['FIELD', 'VALUE'],
    [
      ['id', String(detail.id)],
      ['task', detail.task],
      ['kind', detail.kind],
      ['steps', `${detail.steps} at ${detail.fps} fps`],
      ['duration', `${detail.durationS.toFixed(2)} s`],
      ['outcome', detail.outcome],
      ['state', state],
      ['mean period', formatMs(detail.meanPeriodMs)],
      ['p99 lateness', formatMs(detail.p99LatenessMs)],
    ],
  );

  const cameras = Object.entries(detail.cameras);
  if (cameras.length === 0) return;
  console.log('');
  printTable(
    ['CAMERA', 'SIZE', 'FPS', 'FRAMES', 'DROPPED', 'LATE'],
    cameras.map(([name, stats]) => [name, `${stats.width}x${stats.height}`, String(stats.fps), String(stats.frames), String(stats.dropped), String(stats.late)]),
  );
}

function label(id: number, outcome: EpisodeOutcome, options: DbOptions): void {
  withStore(options.db, false, (store) => store.setOutcome(id, outcome));
  console.log(`episode ${id}: outcome ${outcome}`);
}

function remove(id: number, options: DbOptions & { yes?: boolean }): void {
  if (!options.yes) {
    throw new UserError(`deleting episode ${id} removes its steps, frames and inferences for good: add --yes to confirm`);
  }
  withStore(options.db, false, (store) => store.deleteEpisode(id));
  console.log(`episode ${id}: deleted from ${options.db}`);
}

/** Adds `rdvla episodes list|show|label|delete`. */
export function registerEpisodesCommand(program: Command): void {
  const episodes = program.command('episodes').description('List, inspect, label and delete recorded episodes');
  const dbOption = () => new Option('--db <file>', 'episode database (SQLite file)').default(DEFAULT_DB);
  const idArgument = () => new Argument('<id>', 'episode id').argParser(parseEpisodeId);

  episodes
    .command('list')
    .description('List episodes, oldest first')
    .addOption(dbOption())
    .option('--task <text>', 'only episodes of this task (exact text)')
    .addOption(new Option('--kind <kind>', 'only episodes of this kind').choices(EPISODE_KINDS))
    .addOption(new Option('--outcome <outcome>', 'only episodes with this outcome').choices(EPISODE_OUTCOMES))
    .option('--json', 'print a JSON array of {id, task, kind, steps, fps, durationS, outcome, incomplete}')
    .action((options: ListOptions) => list(options));

  episodes
    .command('show')
    .description('Show one episode with its loop timing and cameras')
    .addArgument(idArgument())
    .addOption(dbOption())
    .option('--json', 'print a JSON object: the list fields plus meanPeriodMs, p99LatenessMs, cameras and frames ({count, dropped, late, fps} per camera)')
    .action((id: number, options: DbOptions & { json?: boolean }) => show(id, options));

  episodes
    .command('label')
    .description('Set the outcome of an episode')
    .addArgument(idArgument())
    .addArgument(new Argument('<outcome>', 'outcome of the episode').choices(EPISODE_OUTCOMES))
    .addOption(dbOption())
    .action((id: number, outcome: EpisodeOutcome, options: DbOptions) => label(id, outcome, options));

  episodes
    .command('delete')
    .description('Delete an episode with its steps, frames and inferences')
    .addArgument(idArgument())
    .addOption(dbOption())
    .option('--yes', 'confirm the deletion')
    .action((id: number, options: DbOptions & { yes?: boolean }) => remove(id, options));
}
