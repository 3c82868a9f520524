/**
 * ALOHA HDF5 episode files as ALOHA's record_episodes.py and act-plus-plus write them:
 * /observations/qpos, /observations/qvel, /observations/effort and /action as (T x N) float32
 * (qvel and effort are NaN on steps recorded without follower velocity or current),
 * /observations/images/<camera> as (T x H x W x 3) uint8, or (T x L) uint8 JPEG bytes zero-padded
 * to the camera's longest frame with /compress_len (cameras x T, float32, cameras in name order)
 * giving each frame's length. Root attributes sim (0) and compress (1 for JPEG) are int8 because
 * h5wasm cannot write h5py's boolean enum type. h5py reads them as numpy int8, and ALOHA's
 * loaders test them for truth, so 0 and 1 act as False and True.
 */
import sharp from 'sharp';
import type { AlohaImageMode } from '../export-types.js';
import { type AlignedEpisode, type CameraStream, framesForRows, gatherVectors } from '../source-episode.js';
import { telemetryColumns } from '../telemetry.js';
import { type H5Dataset, type H5File, type H5Group, writeHdf5File } from './hdf5.js';

/** Rows written per HDF5 call; bounds the copy into the WebAssembly heap. */
const JPEG_ROWS_PER_WRITE = 64;
const RAW_ROWS_PER_WRITE = 8;

export interface AlohaEpisodeOptions {
  images: AlohaImageMode;
  withTelemetry: boolean;
  vectorWidth: number;
}

/** Creates a uint8 dataset of `rows` rows of `rowShape`, one row per chunk, to be filled with write_slice. */
function createRowDataset(group: H5Group, name: string, rows: number, rowShape: number[]): H5Dataset {
  const dataset = group.create_dataset({ name, data: new Uint8Array(0), shape: [0, ...rowShape], maxshape: [null, ...rowShape], dtype: '<B', chunks: [1, ...rowShape] });
  dataset.resize([rows, ...rowShape]);
  return dataset;
}

function writeJpegCamera(images: H5Group, camera: CameraStream, aligned: AlignedEpisode, onRows: (rows: number) => void): Float32Array {
  const frames = framesForRows(aligned, camera);
  const lengths = Float32Array.from(frames, (frame) => frame.jpeg.byteLength);
  const padded = Math.max(...frames.map((frame) => frame.jpeg.byteLength));
  const dataset = createRowDataset(images, camera.name, frames.length, [padded]);

  const block = new Uint8Array(JPEG_ROWS_PER_WRITE * padded);
  for (let start = 0; start < frames.length; start += JPEG_ROWS_PER_WRITE) {
    const count = Math.min(JPEG_ROWS_PER_WRITE, frames.length - start);
    block.fill(0);
    for (let i = 0; i < count; i++) block.set(frames[start + i]!.jpeg, i * padded);
    dataset.write_slice([[start, start + count], [0, padded]], block.subarray(0, count * padded));
    onRows(start + count);
  }
  return lengths;
}

async function writeRawCamera(images: H5Group, camera: CameraStream, aligned: AlignedEpisode, onRows: (rows: number) => void): Promise<void> {
  const frames = framesForRows(aligned, camera);
  const rowShape = [camera.height, camera.width, 3];
  const rowBytes = camera.height * camera.width * 3;
  const dataset = createRowDataset(images, camera.name, frames.length, rowShape);

  const block = new Uint8Array(RAW_ROWS_PER_WRITE * rowBytes);
  for (let start = 0; start < frames.length; start += RAW_ROWS_PER_WRITE) {
    const count = Math.min(RAW_ROWS_PER_WRITE, frames.length - start);
    const decoded = await Promise.all(
      frames.slice(start, start + count).map((frame) => sharp(frame.jpeg).toColourspace('srgb').removeAlpha().raw().toBuffer()),
    );
    decoded.forEach((pixels, i) => block.set(pixels, i * rowBytes));
    dataset.write_slice([[start, start + count], [0, camera.height], [0, camera.width], [0, 3]], block.subarray(0, count * rowBytes));
    onRows(start + count);
  }
}

function writeVectors(file: H5File, aligned: AlignedEpisode, width: number): void {
  const matrix = (values: Float32Array) => ({ data: values, shape: [aligned.length, width], dtype: '<f' });
  const observations = file.create_group('observations');
  observations.create_dataset({ name: 'qpos', ...matrix(gatherVectors(aligned, width, (step) => step.observationState)) });
  observations.create_dataset({ name: 'qvel', ...matrix(gatherVectors(aligned, width, (step) => step.followerVelocity)) });
  observations.create_dataset({ name: 'effort', ...matrix(gatherVectors(aligned, width, (step) => step.followerCurrent)) });
  file.create_dataset({ name: 'action', ...matrix(gatherVectors(aligned, width, (step) => step.action)) });
}

function writeTelemetry(file: H5File, aligned: AlignedEpisode): void {
  const telemetry = telemetryColumns(aligned);
  const rollout = file.create_group('rollout');
  rollout.create_dataset({ name: 'k_star', data: telemetry.kStar, shape: [aligned.length], dtype: '<q' });
  rollout.create_dataset({ name: 'horizon', data: telemetry.horizon, shape: [aligned.length], dtype: '<q' });
  rollout.create_dataset({ name: 'inference_ms', data: telemetry.inferenceMs, shape: [aligned.length], dtype: '<f' });
}

function writeAttributes(file: H5File, aligned: AlignedEpisode, jpeg: boolean): void {
  file.create_attribute('sim', new Int8Array([0]), [], '<b');
  file.create_attribute('compress', new Int8Array([jpeg ? 1 : 0]), [], '<b');
  file.create_attribute('task', aligned.source.summary.task);
  file.create_attribute('episode_id', aligned.source.summary.id);
  file.create_attribute('fps', aligned.source.summary.fps);
}

async function writeImages(file: H5File, aligned: AlignedEpisode, jpeg: boolean, onRows: (rows: number) => void): Promise<void> {
  const cameras = aligned.source.cameras;
  const images = (file.get('observations') as H5Group).create_group('images');
  const lengths: Float32Array[] = [];
  for (const [index, camera] of cameras.entries()) {
    const share = (rows: number): void => onRows(Math.floor((index * aligned.length + rows) / cameras.length));
    if (jpeg) lengths.push(writeJpegCamera(images, camera, aligned, share));
    else await writeRawCamera(images, camera, aligned, share);
  }
  if (jpeg && cameras.length > 0) {
    const compressLen = new Float32Array(cameras.length * aligned.length);
    lengths.forEach((cameraLengths, index) => compressLen.set(cameraLengths, index * aligned.length));
    file.create_dataset({ name: 'compress_len', data: compressLen, shape: [cameras.length, aligned.length], dtype: '<f' });
  }
}

/** Opens the written file again and checks that the joint and image datasets hold every row. */
function checkWritten(file: H5File, aligned: AlignedEpisode): void {
  const names = ['action', 'observations/qpos', ...aligned.source.cameras.map((camera) => `observations/images/${camera.name}`)];
  for (const name of names) {
    const rows = (file.get(name) as H5Dataset | null)?.shape?.[0];
    if (rows !== aligned.length) throw new Error(`${name} contains ${rows ?? 'no'} rows after writing, expected ${aligned.length}`);
  }
}

/**
 * Writes one episode file. `onRows` receives the rows written so far, counting every camera's
 * images as a share of each row. A failed write (a full disk, say) throws a FileWriteError.
 */
export async function writeAlohaEpisode(path: string, aligned: AlignedEpisode, options: AlohaEpisodeOptions, onRows: (rows: number) => void): Promise<void> {
  await writeHdf5File(path, async (h5) => {
    const jpeg = options.images === 'jpeg';
    const file = new h5.File(path, 'w');
    let closed = false;
    try {
      writeAttributes(file, aligned, jpeg);
      writeVectors(file, aligned, options.vectorWidth);
      if (options.withTelemetry) writeTelemetry(file, aligned);
      await writeImages(file, aligned, jpeg, onRows);
      closed = true;
      if (file.close() < 0) throw new Error(`closing ${path} failed`);
    } finally {
      if (!closed) closeAfterFailure(file);
    }

    const written = new h5.File(path, 'r');
    try {
      checkWritten(written, aligned);
    } finally {
      written.close();
    }
  });
  onRows(aligned.length);
}

/** Closes a file whose writes failed; the first failure is the one reported. */
function closeAfterFailure(file: H5File): void {
  try {
    file.close();
  } catch {
    // Closing flushes what the failed write left, which fails the same way.
  }
}
