/**
 * meta/episodes/chunk-XXX/file-XXX.parquet and meta/tasks.parquet: one row per episode with its
 * tasks, length, where its frames and video segments lie, and its per-feature statistics; one row
 * per task with its index. Column names follow LeRobot's flattened keys ("data/chunk_index",
 * "videos/<key>/from_timestamp", "stats/<feature>/<stat>").
 */
import { type DataType, Field, Float64, Int64, List, Utf8 } from 'apache-arrow';
import { type FeatureStats, QUANTILE_KEYS, nest } from '../feature-stats.js';
import { type Column, recordBatch, valuesColumn, writeParquetFile } from './parquet-columns.js';
import type { FileSlot } from './lerobot-layout.js';

export interface VideoSegment {
  slot: FileSlot;
  fromTimestamp: number;
  toTimestamp: number;
}

export interface EpisodeRow {
  episodeIndex: number;
  tasks: string[];
  length: number;
  data: FileSlot;
  datasetFromIndex: number;
  datasetToIndex: number;
  /** By video key, in feature order. */
  videos: Map<string, VideoSegment>;
  /** By feature name, in feature order. */
  stats: Map<string, FeatureStats>;
  /** Id of the episode in the RD-VLA episode database. */
  sourceEpisodeId: number;
}

function listOf(type: DataType, depth: number): DataType {
  let result = type;
  for (let i = 0; i < depth; i++) result = new List(new Field('item', result, true));
  return result;
}

function statColumns(rows: readonly EpisodeRow[], feature: string): Column[] {
  const first = rows[0]!.stats.get(feature)!;
  const type = listOf(new Float64(), first.shape.length);
  const pick = (key: 'min' | 'max' | 'mean' | 'std') => rows.map((row) => nest(row.stats.get(feature)![key], first.shape));
  const columns = [
    valuesColumn(`stats/${feature}/min`, pick('min'), type),
    valuesColumn(`stats/${feature}/max`, pick('max'), type),
    valuesColumn(`stats/${feature}/mean`, pick('mean'), type),
    valuesColumn(`stats/${feature}/std`, pick('std'), type),
    valuesColumn(`stats/${feature}/count`, rows.map((row) => [BigInt(row.stats.get(feature)!.count)]), listOf(new Int64(), 1)),
  ];
  for (const key of QUANTILE_KEYS) {
    columns.push(valuesColumn(`stats/${feature}/${key}`, rows.map((row) => nest(row.stats.get(feature)!.quantiles[key], first.shape)), type));
  }
  return columns;
}

/** Writes the episodes metadata file; all rows share the same video keys and statistics features. */
export function writeEpisodesTable(path: string, rows: readonly EpisodeRow[], slot: FileSlot): void {
  const first = rows[0];
  if (!first) throw new Error('no episodes to write');
  const int64 = (name: string, pick: (row: EpisodeRow) => number): Column => valuesColumn(name, rows.map((row) => BigInt(pick(row))), new Int64());
  const float64 = (name: string, pick: (row: EpisodeRow) => number): Column => valuesColumn(name, rows.map(pick), new Float64());

  const columns: Column[] = [
    int64('episode_index', (row) => row.episodeIndex),
    valuesColumn('tasks', rows.map((row) => row.tasks), new List(new Field('item', new Utf8(), true))),
    int64('length', (row) => row.length),
    int64('data/chunk_index', (row) => row.data.chunk),
    int64('data/file_index', (row) => row.data.file),
    int64('dataset_from_index', (row) => row.datasetFromIndex),
    int64('dataset_to_index', (row) => row.datasetToIndex),
  ];
  for (const key of first.videos.keys()) {
    columns.push(
      int64(`videos/${key}/chunk_index`, (row) => row.videos.get(key)!.slot.chunk),
      int64(`videos/${key}/file_index`, (row) => row.videos.get(key)!.slot.file),
      float64(`videos/${key}/from_timestamp`, (row) => row.videos.get(key)!.fromTimestamp),
      float64(`videos/${key}/to_timestamp`, (row) => row.videos.get(key)!.toTimestamp),
    );
  }
  for (const feature of first.stats.keys()) columns.push(...statColumns(rows, feature));
  columns.push(
    int64('meta/episodes/chunk_index', () => slot.chunk),
    int64('meta/episodes/file_index', () => slot.file),
    int64('source_episode_id', (row) => row.sourceEpisodeId),
  );
  writeParquetFile(path, [recordBatch(columns)]);
}

/**
 * pandas metadata that makes pandas.read_parquet return the tasks with "task" as the index, the
 * DataFrame LeRobot's load_tasks expects (it looks tasks up with tasks.loc[task] and tasks.index).
 */
function tasksPandasMetadata(): string {
  return JSON.stringify({
    index_columns: ['task'],
    column_indexes: [{ name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } }],
    columns: [
      { name: 'task_index', field_name: 'task_index', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
      { name: 'task', field_name: 'task', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
    ],
    creator: { library: 'rdvla-studio', version: '0.1.0' },
    pandas_version: '2.2.3',
  });
}

/** Writes meta/tasks.parquet: columns task_index and task (the pandas index), in task index order. */
export function writeTasksTable(path: string, tasks: readonly string[]): void {
  const batch = recordBatch([
    valuesColumn('task_index', tasks.map((_, index) => BigInt(index)), new Int64()),
    valuesColumn('task', [...tasks], new Utf8()),
  ]);
  writeParquetFile(path, [batch], new Map([['pandas', tasksPandasMetadata()]]));
}
