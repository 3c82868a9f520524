import type { EpisodeMeta, EpisodeOutcome } from './episode-types.js';
import type { RecordingBatch } from './recording-batch.js';

/** Data the episode writer thread starts with. */
export interface WriterInit {
  path: string;
  meta: EpisodeMeta;
  maxPageCount?: number;
}

export type WriterRequest =
  | { type: 'batch'; batch: RecordingBatch }
  | { type: 'finish'; endNs: bigint; outcome?: EpisodeOutcome };

/** `stepsWritten` always counts the steps committed to the database so far. */
export type WriterReply =
  | { type: 'ready'; episodeId: number }
  | { type: 'committed'; stepsWritten: number }
  | { type: 'failed'; message: string; userError: boolean; stepsWritten: number }
  | { type: 'finished'; stepsWritten: number };
