/**
 * Independent readers for exported datasets: Parquet through hyparquet (not the writer's
 * parquet-wasm), MP4 through ffprobe/ffmpeg, HDF5 through Debian's h5py, and a plain re-statement
 * of the resampling rule to compute what each exported row must hold.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import sharp from 'sharp';

export type ParquetRow = Record<string, unknown>;

function arrayBufferOf(path: string): ArrayBuffer {
  const bytes = readFileSync(path);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export async function readParquet(path: string): Promise<ParquetRow[]> {
  return (await parquetReadObjects({ file: arrayBufferOf(path) })) as ParquetRow[];
}

export function parquetKeyValueMetadata(path: string): Record<string, string> {
  const metadata = parquetMetadata(arrayBufferOf(path));
  return Object.fromEntries((metadata.key_value_metadata ?? []).map(({ key, value }) => [key, value ?? '']));
}

/**
 * Index of the row's sample: the last time at or before `t`, else the first. Written as a plain
 * scan, separate from the exporter's two-pointer version.
 */
export function pickSample(times: readonly bigint[], t: bigint): number {
  let picked = 0;
  for (let i = 0; i < times.length; i++) if (times[i]! <= t) picked = i;
  return picked;
}

/**
 * Output times of a LeRobot episode recorded at `controlHz`: from its first step, every 1/fps
 * seconds up to half a control period past its last step.
 */
export function gridTimes(stepTimes: readonly bigint[], fps: number, controlHz: number): bigint[] {
  const first = stepTimes[0]!;
  const end = stepTimes[stepTimes.length - 1]! + BigInt(Math.round(0.5e9 / controlHz));
  const times: bigint[] = [];
  for (let i = 0; first + BigInt(Math.round((i * 1e9) / fps)) <= end; i++) times.push(first + BigInt(Math.round((i * 1e9) / fps)));
  return times;
}

export interface VideoProbe {
  codec: string;
  pixFmt: string;
  width: number;
  height: number;
  frames: number;
  durationS: number;
  /** Presentation time of every frame, in seconds. */
  frameTimes: number[];
}

export function probeVideo(path: string): VideoProbe {
  const streams = JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=codec_name,pix_fmt,width,height,nb_read_frames:format=duration', '-of', 'json', path], { encoding: 'utf8' }),
  ) as { streams: Array<Record<string, string | number>>; format: { duration: string } };
  const frames = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'json', path], { encoding: 'utf8' })) as {
    frames: Array<{ pts_time: string }>;
  };
  const stream = streams.streams[0]!;
  return {
    codec: String(stream.codec_name),
    pixFmt: String(stream.pix_fmt),
    width: Number(stream.width),
    height: Number(stream.height),
    frames: Number(stream.nb_read_frames),
    durationS: Number(streams.format.duration),
    frameTimes: frames.frames.map((frame) => Number(frame.pts_time)),
  };
}

/** Decodes every frame of a video to packed RGB, one buffer per frame. */
export function decodeVideo(path: string, width: number, height: number): Buffer[] {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 30 });
  const frameBytes = width * height * 3;
  return Array.from({ length: raw.length / frameBytes }, (_, i) => raw.subarray(i * frameBytes, (i + 1) * frameBytes));
}

export async function decodeJpeg(jpeg: Uint8Array): Promise<Buffer> {
  return sharp(jpeg).toColourspace('srgb').removeAlpha().raw().toBuffer();
}

export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`sizes differ: ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

export interface Hdf5Dataset {
  shape: number[];
  dtype: string;
  bytes: Buffer;
}

export interface Hdf5Dump {
  attrs: Record<string, unknown>;
  datasets: Record<string, Hdf5Dataset>;
}

const DUMP_SCRIPT = fileURLToPath(new URL('./dump_hdf5.py', import.meta.url));

/** Reads every attribute and dataset of an HDF5 file with /usr/bin/python3 and h5py. */
export function dumpHdf5(path: string): Hdf5Dump {
  const output = execFileSync('/usr/bin/python3', [DUMP_SCRIPT, path], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const parsed = JSON.parse(output) as { attrs: Record<string, unknown>; datasets: Record<string, { shape: number[]; dtype: string; base64: string }> };
  const datasets: Record<string, Hdf5Dataset> = {};
  for (const [name, dataset] of Object.entries(parsed.datasets)) {
    datasets[name] = { shape: dataset.shape, dtype: dataset.dtype, bytes: Buffer.from(dataset.base64, 'base64') };
  }
  return { attrs: parsed.attrs, datasets };
}

export function float32Values(bytes: Buffer): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function int64Values(bytes: Buffer): BigInt64Array {
  return new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
