/**
 * Arrow columns and Parquet files for LeRobot datasets. Tables are built with apache-arrow and
 * written by parquet-wasm (the Rust parquet crate) with Snappy compression, as pyarrow does by default.
 */
import { writeFileSync } from 'node:fs';
import {
  type Data,
  type DataType,
  Field,
  FixedSizeList,
  Float32,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  Table,
  makeData,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm/node';

export interface Column {
  name: string;
  data: Data;
}

/** Builds a fixed-size list column from a (rows x width) float32 matrix, the Arrow type of a LeRobot vector feature. */
export function float32ListColumn(name: string, values: Float32Array, width: number): Column {
  const child = makeData({ type: new Float32(), length: values.length, nullCount: 0, data: values });
  const type = new FixedSizeList(width, new Field('item', new Float32(), true));
  return { name, data: makeData({ type, length: values.length / width, nullCount: 0, child }) };
}

export function float32Column(name: string, values: Float32Array): Column {
  return { name, data: makeData({ type: new Float32(), length: values.length, nullCount: 0, data: values }) };
}

export function int64Column(name: string, values: BigInt64Array): Column {
  return { name, data: makeData({ type: new Int64(), length: values.length, nullCount: 0, data: values }) };
}

/** Builds a column of the given Arrow type from plain JavaScript values (lists, strings, numbers). */
export function valuesColumn(name: string, values: readonly unknown[], type: DataType): Column {
  const vector = vectorFromArray(values, type);
  const [data] = vector.data;
  if (!data || vector.data.length !== 1) throw new Error(`column ${name}: expected one chunk, got ${vector.data.length}`);
  return { name, data };
}

/** One table's worth of rows; columns must have equal lengths. */
export function recordBatch(columns: readonly Column[]): RecordBatch {
  const fields = columns.map((column) => new Field(column.name, column.data.type, true));
  const length = columns[0]?.data.length ?? 0;
  for (const column of columns) {
    if (column.data.length !== length) throw new Error(`column ${column.name} has ${column.data.length} rows, expected ${length}`);
  }
  const schema = new Schema(fields);
  const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children: columns.map((column) => column.data) });
  return new RecordBatch(schema, struct);
}

/** Bytes the batch's buffers take in memory, close to the uncompressed Parquet size LeRobot sizes files by. */
export function batchBytes(batch: RecordBatch): number {
  let bytes = 0;
  const visit = (data: Data): void => {
    for (const buffer of [data.values, data.valueOffsets, data.nullBitmap] as unknown[]) {
      if (ArrayBuffer.isView(buffer)) bytes += buffer.byteLength;
    }
    for (const child of data.children) visit(child);
  };
  visit(batch.data);
  return bytes;
}

/**
 * Writes the batches (same schema) as one Parquet file. `metadata` goes into the file's key-value
 * metadata, where pandas and pyarrow read table-level metadata from.
 */
export function writeParquetFile(path: string, batches: readonly RecordBatch[], metadata?: ReadonlyMap<string, string>): number {
  const first = batches[0];
  if (!first) throw new Error(`no rows to write to ${path}`);
  const table = new Table(first.schema, [...batches]);
  const wasmTable = WasmTable.fromIPCStream(tableToIPC(table, 'stream'));
  let properties = new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).setCreatedBy('rdvla-studio export (parquet-wasm)');
  if (metadata) properties = properties.setKeyValueMetadata(new Map(metadata));
  const bytes = writeParquet(wasmTable, properties.build());
  writeFileSync(path, bytes);
  return bytes.byteLength;
}
