import type Database from 'better-sqlite3';
import { openConnection } from '../store/store-connection.js';

interface FrameTime {
  index: number;
  tNs: bigint;
}

export interface StoredFrame {
  camera: string;
  index: number;
  tNs: bigint;
  jpeg: Buffer;
  width: number;
  height: number;
}

/**
 * Reads single frames of an episode by time, for the review player. EpisodeStore.readFrames
 * loads every JPEG of a camera at once, which is too much for scrubbing a long episode, so this
 * reader keeps the frame times of the last episode opened (no image data) and fetches one frame
 * per camera by its primary key.
 */
export class EpisodeFrameReader {
  readonly #db: Database.Database;
  #cached: { episodeId: number; byCamera: Map<string, FrameTime[]> } | null = null;

  constructor(path: string) {
    this.#db = openConnection(path, { mustExist: true });
  }

  close(): void {
    this.#db.close();
  }

  /** Forgets the cached frame times (after a recording adds frames or an episode is deleted). */
  invalidate(episodeId: number): void {
    if (this.#cached?.episodeId === episodeId) this.#cached = null;
  }

  frameTimes(episodeId: number): Map<string, FrameTime[]> {
    if (this.#cached?.episodeId === episodeId) return this.#cached.byCamera;
    const rows = this.#db
      .prepare('SELECT camera, frame_index AS frameIndex, t_ns AS tNs FROM frames WHERE episode_id = ? ORDER BY camera, frame_index')
      .safeIntegers(true)
      .all(episodeId) as Array<{ camera: string; frameIndex: bigint; tNs: bigint }>;
    const byCamera = new Map<string, FrameTime[]>();
    for (const row of rows) {
      const list = byCamera.get(row.camera) ?? [];
      list.push({ index: Number(row.frameIndex), tNs: row.tNs });
      byCamera.set(row.camera, list);
    }
    this.#cached = { episodeId, byCamera };
    return byCamera;
  }

  /** Returns each camera's last frame at or before `tNs` (its first frame when `tNs` is earlier). */
  framesAt(episodeId: number, tNs: bigint): StoredFrame[] {
    const select = this.#db
      .prepare('SELECT jpeg, width, height FROM frames WHERE episode_id = ? AND camera = ? AND frame_index = ?')
      .safeIntegers(false);
    const frames: StoredFrame[] = [];
    for (const [camera, times] of this.frameTimes(episodeId)) {
      const chosen = times[Math.max(0, lastAtOrBefore(times, tNs))]!;
      const row = select.get(episodeId, camera, chosen.index) as { jpeg: Buffer; width: number; height: number } | undefined;
      if (row) frames.push({ camera, index: chosen.index, tNs: chosen.tNs, ...row });
    }
    return frames;
  }
}

/** Binary search: index of the last entry with tNs <= t, or -1. */
function lastAtOrBefore(times: readonly FrameTime[], t: bigint): number {
  let low = 0;
  let high = times.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (times[middle]!.tNs <= t) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
