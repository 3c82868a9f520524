import { monotonicMs } from '../common/clock.js';
import type { ExportProgress, ProgressListener } from './export-types.js';

/**
 * Counts the frames of an export against a total that starts as an estimate per episode and
 * becomes exact as each episode is read. Every change reports a snapshot to the listener.
 */
export class ProgressTracker {
  readonly #frames: number[];
  readonly #listener: ProgressListener | undefined;
  readonly #now: () => number;
  readonly #startedMs: number;
  #episodesDone = 0;
  #framesBefore = 0;
  #framesInEpisode = 0;
  #episodeId: number | null = null;

  constructor(estimatedFrames: readonly number[], listener?: ProgressListener, now: () => number = monotonicMs) {
    this.#frames = [...estimatedFrames];
    this.#listener = listener;
    this.#now = now;
    this.#startedMs = now();
  }

  /** Starts the next episode with its exact frame count. */
  startEpisode(id: number, frames: number): void {
    this.#frames[this.#episodesDone] = frames;
    this.#episodeId = id;
    this.#framesInEpisode = 0;
    this.#emit();
  }

  /** Sets how many frames of the current episode are written. */
  episodeFrames(done: number): void {
    if (done === this.#framesInEpisode) return;
    this.#framesInEpisode = done;
    this.#emit();
  }

  finishEpisode(): void {
    this.#framesBefore += this.#frames[this.#episodesDone]!;
    this.#framesInEpisode = 0;
    this.#episodesDone++;
    this.#episodeId = null;
    this.#emit();
  }

  get elapsedS(): number {
    return (this.#now() - this.#startedMs) / 1000;
  }

  snapshot(): ExportProgress {
    const framesDone = this.#framesBefore + this.#framesInEpisode;
    const framesTotal = this.#frames.reduce((sum, frames) => sum + frames, 0);
    const elapsedS = this.elapsedS;
    const framesPerSecond = elapsedS > 0 ? framesDone / elapsedS : 0;
    return {
      episodesDone: this.#episodesDone,
      episodesTotal: this.#frames.length,
      framesDone,
      framesTotal,
      elapsedS,
      framesPerSecond,
      remainingS: framesPerSecond > 0 ? Math.max(0, framesTotal - framesDone) / framesPerSecond : null,
      episodeId: this.#episodeId,
    };
  }

  #emit(): void {
    this.#listener?.(this.snapshot());
  }
}

/** "1 episode", "2 episodes": a count with its noun in the singular or plural. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, '0')}`;
}

/** One-line progress bar: "[#####-----] 3/10 episodes, 5400/18000 frames, 1234 frames/s, 0:12 left". */
export function formatProgressLine(progress: ExportProgress, barWidth = 24): string {
  const fraction = progress.framesTotal > 0 ? Math.min(1, progress.framesDone / progress.framesTotal) : 0;
  const filled = Math.round(fraction * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const left = progress.remainingS === null ? '--:-- left' : `${formatDuration(progress.remainingS)} left`;
  return `${bar} ${progress.episodesDone}/${progress.episodesTotal} episodes, ${progress.framesDone}/${progress.framesTotal} frames, ${Math.round(progress.framesPerSecond)} frames/s, ${left}`;
}
