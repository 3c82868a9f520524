/** The growing data and video files of a LeRobot dataset, each moving on to a new file at its size limit. */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { VideoEncoding } from '../export-types.js';
import { type FileSlot, DATA_FILES_SIZE_IN_MB, DATA_PATH, VIDEO_FILES_SIZE_IN_MB, VIDEO_PATH, formatPath, nextSlot } from './lerobot-layout.js';
import type { VideoSegment } from './episodes-table.js';
import { batchBytes, writeParquetFile } from './parquet-columns.js';
import { VideoFileEncoder } from './video-encoder.js';

const MB = 1024 * 1024;

/** Frame rows of data/chunk-XXX/file-XXX.parquet, kept in memory until their file is complete. */
export class DataFiles {
  readonly #root: string;
  #slot: FileSlot = { chunk: 0, file: 0 };
  #batches: RecordBatch[] = [];
  #bytes = 0;

  constructor(root: string) {
    this.#root = root;
  }

  /** Adds one episode's rows; returns the file they go to. Like LeRobot, an episode never spans two files. */
  add(batch: RecordBatch): FileSlot {
    const bytes = batchBytes(batch);
    if (this.#batches.length > 0 && this.#bytes + bytes >= DATA_FILES_SIZE_IN_MB * MB) {
      this.flush();
      this.#slot = nextSlot(this.#slot);
    }
    this.#batches.push(batch);
    this.#bytes += bytes;
    return this.#slot;
  }

  /** Writes the rows added since the last flush. */
  flush(): void {
    if (this.#batches.length === 0) return;
    const path = join(this.#root, formatPath(DATA_PATH, this.#slot));
    mkdirSync(dirname(path), { recursive: true });
    writeParquetFile(path, this.#batches);
    this.#batches = [];
    this.#bytes = 0;
  }
}

/** One camera's videos/observation.images.<camera>/chunk-XXX/file-XXX.mp4 files, episodes back to back. */
export class CameraVideoFiles {
  readonly key: string;
  readonly #root: string;
  readonly #fps: number;
  readonly #encoding: VideoEncoding;
  readonly #threads: number;
  #slot: FileSlot = { chunk: 0, file: 0 };
  #encoder: VideoFileEncoder | null = null;
  #framesInFile = 0;

  constructor(root: string, key: string, fps: number, encoding: VideoEncoding, threads: number) {
    this.#root = root;
    this.key = key;
    this.#fps = fps;
    this.#encoding = encoding;
    this.#threads = threads;
  }

  /** Path of the first video file, from which LeRobot reads the video feature's info. */
  get firstPath(): string {
    return join(this.#root, formatPath(VIDEO_PATH, { chunk: 0, file: 0 }, this.key));
  }

  /**
   * Reserves the next `frames` frames for an episode, first moving to a new file when the current
   * one would pass the size limit (estimated from its bytes per frame so far).
   */
  async beginEpisode(frames: number): Promise<VideoSegment> {
    if (this.#encoder && this.#framesInFile > 0) {
      const bytes = statSync(this.#encoder.path, { throwIfNoEntry: false })?.size ?? 0;
      if (bytes + (bytes / this.#framesInFile) * frames >= VIDEO_FILES_SIZE_IN_MB * MB) {
        await this.#encoder.finish();
        this.#encoder = null;
        this.#slot = nextSlot(this.#slot);
      }
    }
    if (!this.#encoder) {
      const path = join(this.#root, formatPath(VIDEO_PATH, this.#slot, this.key));
      mkdirSync(dirname(path), { recursive: true });
      this.#encoder = VideoFileEncoder.start({ path, fps: this.#fps, encoding: this.#encoding, threads: this.#threads });
      this.#framesInFile = 0;
    }
    const fromTimestamp = this.#framesInFile / this.#fps;
    this.#framesInFile += frames;
    return { slot: this.#slot, fromTimestamp, toTimestamp: this.#framesInFile / this.#fps };
  }

  writeFrame(jpeg: Uint8Array): Promise<void> {
    if (!this.#encoder) throw new Error(`${this.key}: beginEpisode must come before writeFrame`);
    return this.#encoder.writeFrame(jpeg);
  }

  async finish(): Promise<void> {
    await this.#encoder?.finish();
    this.#encoder = null;
  }

  kill(): void {
    this.#encoder?.kill();
  }
}
