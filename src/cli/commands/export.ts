import { type Command, InvalidArgumentError, Option } from 'commander';
import { exportEpisodes } from '../../export/export-episodes.js';
import { countOf, formatProgressLine } from '../../export/export-progress.js';
import { ALOHA_IMAGE_MODES, type AlohaImageMode, EXPORT_FORMATS, type ExportFormat, type ExportProgress, type ExportResult } from '../../export/export-types.js';
import { EPISODE_KINDS, EPISODE_OUTCOMES, type EpisodeKind, type EpisodeOutcome } from '../../store/episode-types.js';
import { integerUpTo } from './record.js';

interface ExportFlags {
  db: string;
  format: ExportFormat;
  out: string;
  task?: string;
  kind?: EpisodeKind;
  outcome?: EpisodeOutcome;
  ids?: number[];
  includeIncomplete?: boolean;
  fps?: number;
  repoId?: string;
  withTelemetry?: boolean;
  images: AlohaImageMode;
  overwrite?: boolean;
  json?: boolean;
}

/** Redraws of the progress bar per second on a terminal. */
const REDRAWS_PER_SECOND = 10;
/** Seconds between progress lines when stderr is a file or pipe. */
const LOG_INTERVAL_S = 5;

function parseIds(value: string): number[] {
  const ids = value.split(',').map((part) => Number(part.trim()));
  if (ids.some((id) => !Number.isSafeInteger(id) || id < 1)) {
    throw new InvalidArgumentError(`expected comma-separated episode ids such as 1,2,5, got "${value}"`);
  }
  return ids;
}

/** Draws the progress bar on stderr: redrawn in place on a terminal, a line every few seconds otherwise. */
function progressPrinter(): { update: (progress: ExportProgress) => void; end: () => void } {
  const terminal = process.stderr.isTTY;
  const intervalS = terminal ? 1 / REDRAWS_PER_SECOND : LOG_INTERVAL_S;
  let lastS = -Infinity;
  let drawn = false;
  return {
    update(progress) {
      const finished = progress.episodesDone === progress.episodesTotal;
      if (progress.elapsedS - lastS < intervalS && !finished) return;
      lastS = progress.elapsedS;
      const line = formatProgressLine(progress);
      process.stderr.write(terminal ? `\r${line}\x1b[K` : `${line}\n`);
      drawn = true;
    },
    end() {
      if (terminal && drawn) process.stderr.write('\n');
    },
  };
}

function printResult(result: ExportResult, json: boolean | undefined): void {
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  const speed = result.elapsedS > 0 ? result.recordedSeconds / result.elapsedS : 0;
  console.log(
    `exported ${countOf(result.episodes.length, 'episode')} (${result.totalFrames} frames at ${result.fps} fps, ${result.recordedSeconds.toFixed(1)} s of recording) to ${result.outDir} in ${result.elapsedS.toFixed(1)} s (${speed.toFixed(1)}x real time)`,
  );
  for (const skipped of result.skipped) console.log(`skipped episode ${skipped.id}: ${skipped.reason}`);
}

async function runExport(flags: ExportFlags): Promise<void> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const printer = progressPrinter();
  try {
    const result = await exportEpisodes(
      {
        dbPath: flags.db,
        format: flags.format,
        outDir: flags.out,
        filter: { task: flags.task, kind: flags.kind, outcome: flags.outcome },
        ids: flags.ids,
        includeIncomplete: flags.includeIncomplete,
        fps: flags.fps,
        repoId: flags.repoId,
        withTelemetry: flags.withTelemetry,
        alohaImages: flags.images,
        overwrite: flags.overwrite,
        signal: abort.signal,
      },
      printer.update,
    );
    printer.end();
    printResult(result, flags.json);
  } catch (error) {
    printer.end();
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('Export recorded episodes as a LeRobotDataset v3.0 or as ALOHA HDF5 files')
    .option('--db <file>', 'episode database (SQLite file)', 'episodes.db')
    .addOption(new Option('--format <format>', 'dataset format').choices(EXPORT_FORMATS).makeOptionMandatory())
    .requiredOption('--out <dir>', 'dataset folder to create; it appears only once the export is complete')
    .option('--task <text>', 'only episodes of this task (exact text)')
    .addOption(new Option('--kind <kind>', 'only episodes of this kind').choices(EPISODE_KINDS))
    .addOption(new Option('--outcome <outcome>', 'only episodes with this outcome').choices(EPISODE_OUTCOMES))
    .option('--ids <list>', 'only these episode ids, comma-separated (e.g. 1,2,5)', parseIds)
    .option('--include-incomplete', 'also export episodes whose recording did not finish')
    .option('--fps <n>', 'LeRobot frames per second, 1 to 1000 (default: the camera rate, or the control rate without cameras)', integerUpTo(1000))
    .option('--repo-id <name>', 'dataset name for the LeRobot dataset card, e.g. lab/fold_towel (default: local/<out folder name>)')
    .option('--with-telemetry', 'add rollout telemetry per frame: rollout.k_star, rollout.horizon, rollout.inference_ms (-1 before the first inference)')
    .addOption(new Option('--images <mode>', 'ALOHA image storage: JPEG bytes as recorded, or decoded RGB pixels').choices(ALOHA_IMAGE_MODES).default('jpeg'))
    .option('--overwrite', 'replace --out if it exists and is not empty')
    .option('--json', 'print the result as one JSON object: format, outDir, fps, episodes, skipped, totalFrames, recordedSeconds, elapsedS')
    .action((flags: ExportFlags) => runExport(flags));
}
