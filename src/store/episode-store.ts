import type Database from 'better-sqlite3';
import { monotonicNs } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import {
  type EpisodeRow,
  type FrameRow,
  type InferenceRow,
  type StepRow,
  type SummaryRow,
  episodeFromRow,
  float32Blob,
  frameFromRow,
  inferenceFromRow,
  stepFromRow,
  summaryFromRow,
} from './episode-rows.js';
import {
  EPISODE_OUTCOMES,
  type CameraStats,
  type Episode,
  type EpisodeFilter,
  type EpisodeMeta,
  type EpisodeOutcome,
  type EpisodeStats,
  type EpisodeSummary,
  type FrameRecord,
  type InferenceRecord,
  type StepRecord,
  type StepSample,
} from './episode-types.js';
import { type ConnectionOptions, openConnection } from './store-connection.js';

const SUMMARY_COLUMNS = `e.id, e.task, e.kind, e.fps, e.started_at, e.start_ns, e.ended_at, e.end_ns,
  e.outcome, e.incomplete, e.step_count,
  (SELECT s.t_ns FROM steps s WHERE s.episode_id = e.id ORDER BY s.step_index DESC LIMIT 1) AS last_t_ns`;

/**
 * One lab's episodes in one SQLite file: episodes, their joint steps, camera frames, camera
 * statistics and policy inferences. Every method runs synchronously on the caller's thread, so
 * recording goes through EpisodeRecorder, which writes from a worker thread.
 */
export class EpisodeStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
  }

  /** Opens (and, unless read-only, creates and migrates) the episode database at `path`. */
  static open(path: string, options: ConnectionOptions = {}): EpisodeStore {
    return new EpisodeStore(path, openConnection(path, options));
  }

  close(): void {
    this.#db.close();
  }

  /** Runs `work` in one transaction, or a savepoint when nested. A thrown error rolls it back. */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  createEpisode(meta: EpisodeMeta): number {
    const result = this.#statement(
        `INSERT INTO episodes (task, kind, fps, rig, calibration, policy, started_at, start_ns)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        meta.task,
        meta.kind,
        meta.fps,
        JSON.stringify(meta.rig),
        JSON.stringify(meta.calibration),
        meta.policy === undefined || meta.policy === null ? null : JSON.stringify(meta.policy),
        (meta.startedAt ?? new Date()).toISOString(),
        meta.startNs ?? monotonicNs(),
      );
    return Number(result.lastInsertRowid);
  }

  /** Inserts steps and adds them to the episode's step_count, in one transaction. */
  appendSteps(episodeId: number, steps: ReadonlyArray<StepSample & { index: number }>): void {
    const insert = this.#statement(
      `INSERT INTO steps (episode_id, step_index, t_ns, observation_state, action, follower_velocity,
         follower_current, period_ms, lateness_ms, bus_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.transaction(() => {
      this.#requireEpisode(episodeId);
      for (const step of steps) {
        insert.run(
          episodeId,
          step.index,
          step.tNs,
          float32Blob(step.observationState),
          float32Blob(step.action),
          step.followerVelocity ? float32Blob(step.followerVelocity) : null,
          step.followerCurrent ? float32Blob(step.followerCurrent) : null,
          step.periodMs,
          step.latenessMs,
          step.busMs,
        );
      }
      this.#statement('UPDATE episodes SET step_count = step_count + ? WHERE id = ?').run(steps.length, episodeId);
    });
  }

  appendFrames(episodeId: number, frames: readonly FrameRecord[]): void {
    const insert = this.#statement(
      `INSERT INTO frames (episode_id, camera, frame_index, t_ns, jpeg, width, height)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.transaction(() => {
      this.#requireEpisode(episodeId);
      for (const frame of frames) {
        const jpeg = Buffer.from(frame.jpeg.buffer, frame.jpeg.byteOffset, frame.jpeg.byteLength);
        insert.run(episodeId, frame.camera, frame.index, frame.tNs, jpeg, frame.width, frame.height);
      }
    });
  }

  appendInferences(episodeId: number, inferences: readonly InferenceRecord[]): void {
    const insert = this.#statement(
      `INSERT INTO inferences (episode_id, inference_index, t_ns, step_index, k_star, horizon, trace,
         timings, waited_ticks)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.transaction(() => {
      this.#requireEpisode(episodeId);
      for (const inference of inferences) {
        insert.run(
          episodeId,
          inference.index,
          inference.tNs,
          inference.stepIndex,
          inference.kStar,
          inference.horizon,
          JSON.stringify(inference.trace),
          JSON.stringify(inference.timings),
          inference.waitedTicks,
        );
      }
    });
  }

  /** Stores (or replaces) one camera's statistics for the episode. */
  setCameraStats(episodeId: number, camera: string, stats: CameraStats): void {
    this.transaction(() => {
      this.#requireEpisode(episodeId);
      this.#statement(
          `INSERT OR REPLACE INTO cameras (episode_id, camera, fps, width, height, frames, dropped, late)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(episodeId, camera, stats.fps, stats.width, stats.height, stats.frames, stats.dropped, stats.late);
    });
  }

  /** Marks the episode complete (incomplete = 0) with its end time and, if given, its outcome. */
  finishEpisode(episodeId: number, end: { endNs: bigint; outcome?: EpisodeOutcome; endedAt?: Date }): void {
    if (end.outcome !== undefined) checkOutcome(end.outcome);
    const result = this.#statement(
        `UPDATE episodes SET ended_at = ?, end_ns = ?, incomplete = 0, outcome = coalesce(?, outcome)
         WHERE id = ?`,
      )
      .run((end.endedAt ?? new Date()).toISOString(), end.endNs, end.outcome ?? null, episodeId);
    if (result.changes === 0) throw this.#notFound(episodeId);
  }

  setOutcome(episodeId: number, outcome: EpisodeOutcome): void {
    checkOutcome(outcome);
    const result = this.#statement('UPDATE episodes SET outcome = ? WHERE id = ?').run(outcome, episodeId);
    if (result.changes === 0) throw this.#notFound(episodeId);
  }

  /** Deletes the episode with its steps, frames, camera statistics and inferences. */
  deleteEpisode(episodeId: number): void {
    const result = this.#statement('DELETE FROM episodes WHERE id = ?').run(episodeId);
    if (result.changes === 0) throw this.#notFound(episodeId);
  }

  listEpisodes(filter: EpisodeFilter = {}): EpisodeSummary[] {
    const rows = this.#statement(
        `SELECT ${SUMMARY_COLUMNS} FROM episodes e
         WHERE (@task IS NULL OR e.task = @task)
           AND (@kind IS NULL OR e.kind = @kind)
           AND (@outcome IS NULL OR e.outcome = @outcome)
         ORDER BY e.id`,
      )
      .safeIntegers(true)
      .all({ task: filter.task ?? null, kind: filter.kind ?? null, outcome: filter.outcome ?? null }) as SummaryRow[];
    return rows.map(summaryFromRow);
  }

  getEpisode(episodeId: number): Episode | undefined {
    const row = this.#statement(`SELECT ${SUMMARY_COLUMNS}, e.rig, e.calibration, e.policy FROM episodes e WHERE e.id = ?`)
      .safeIntegers(true)
      .get(episodeId) as EpisodeRow | undefined;
    return row && episodeFromRow(row);
  }

  /** Returns the episode's steps in index order, vectors decoded to Float32Array and t_ns as bigint. */
  readSteps(episodeId: number): StepRecord[] {
    const rows = this.#statement('SELECT * FROM steps WHERE episode_id = ? ORDER BY step_index')
      .safeIntegers(true)
      .all(episodeId) as StepRow[];
    return rows.map(stepFromRow);
  }

  /** Returns the episode's frames ordered by camera and index, of one camera when `camera` is given. */
  readFrames(episodeId: number, camera?: string): FrameRecord[] {
    const rows = this.#statement(
        `SELECT camera, frame_index, t_ns, jpeg, width, height FROM frames
         WHERE episode_id = ? AND (? IS NULL OR camera = ?) ORDER BY camera, frame_index`,
      )
      .safeIntegers(true)
      .all(episodeId, camera ?? null, camera ?? null) as FrameRow[];
    return rows.map(frameFromRow);
  }

  readInferences(episodeId: number): InferenceRecord[] {
    const rows = this.#statement('SELECT * FROM inferences WHERE episode_id = ? ORDER BY inference_index')
      .safeIntegers(true)
      .all(episodeId) as InferenceRow[];
    return rows.map(inferenceFromRow);
  }

  /** Returns the statistics of every camera of the episode, keyed by camera name. */
  readCameraStats(episodeId: number): Record<string, CameraStats> {
    const rows = this.#statement('SELECT camera, fps, width, height, frames, dropped, late FROM cameras WHERE episode_id = ? ORDER BY camera')
      .all(episodeId) as Array<CameraStats & { camera: string }>;
    const byCamera: Record<string, CameraStats> = {};
    for (const { camera, ...stats } of rows) byCamera[camera] = stats;
    return byCamera;
  }

  /** Computes the loop timing of an episode from its steps. */
  episodeStats(episodeId: number): EpisodeStats {
    const episode = this.getEpisode(episodeId);
    if (!episode) throw this.#notFound(episodeId);

    const { count, meanPeriodMs } = this.#statement('SELECT count(*) AS count, avg(period_ms) AS meanPeriodMs FROM steps WHERE episode_id = ?')
      .get(episodeId) as { count: number; meanPeriodMs: number | null };
    if (count === 0) return { meanPeriodMs: null, p99LatenessMs: null, durationS: episode.durationS };

    const rank = Math.ceil(0.99 * count);
    const p99LatenessMs = this.#statement('SELECT lateness_ms FROM steps WHERE episode_id = ? ORDER BY lateness_ms LIMIT 1 OFFSET ?')
      .pluck()
      .get(episodeId, rank - 1) as number;
    return { meanPeriodMs, p99LatenessMs, durationS: episode.durationS };
  }

  /** Returns the prepared statement for `sql`, compiling it on first use. */
  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #requireEpisode(episodeId: number): void {
    const found = this.#statement('SELECT 1 FROM episodes WHERE id = ?').get(episodeId);
    if (!found) throw this.#notFound(episodeId);
  }

  #notFound(episodeId: number): UserError {
    return new UserError(`episode ${episodeId} not found in ${this.path}: list the ids with \`rdvla episodes list --db ${this.path}\``);
  }
}

function checkOutcome(outcome: string): void {
  if (!(EPISODE_OUTCOMES as readonly string[]).includes(outcome)) {
    throw new UserError(`invalid outcome "${outcome}": use one of ${EPISODE_OUTCOMES.join(', ')}`);
  }
}
