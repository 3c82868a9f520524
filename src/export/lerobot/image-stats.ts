import type { FrameRecord } from '../../store/episode-types.js';
import { type FeatureStats, imageStats } from '../feature-stats.js';
import { decodeJpegFrames } from './jpeg-decoder.js';

/** Round half to even, as numpy's round does. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Frames LeRobot samples for image statistics (compute_stats.sample_indices): about length^0.75 of
 * them, at least 100 (or all when fewer), at most 10000, evenly spread from first to last.
 */
export function sampleIndices(length: number): number[] {
  const minimum = Math.min(100, length);
  const count = Math.max(minimum, Math.min(Math.trunc(length ** 0.75), 10_000));
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, i) => roundHalfEven((i * (length - 1)) / (count - 1)));
}

/** LeRobot's auto_downsample_height_width: keep every n-th pixel so the long side is near 150. */
export function downsampleStep(width: number, height: number): number {
  if (Math.max(width, height) < 300) return 1;
  return Math.trunc(width > height ? width / 150 : height / 150);
}

/** Adds a decoded RGB image's strided pixels to per-channel counts of each 8-bit value. */
function countPixels(pixels: Buffer, width: number, height: number, counts: Float64Array[]): void {
  const step = downsampleStep(width, height);
  for (let y = 0; y < height; y += step) {
    for (let x = 0; x < width; x += step) {
      const offset = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) counts[c]![pixels[offset + c]!]! += 1;
    }
  }
}

/**
 * Statistics of a video feature from the frames of one exported episode: the sampled frames are
 * decoded (by ffmpeg, where LeRobot uses PIL), downsampled and reduced per RGB channel, scaled to 0..1.
 */
export async function videoFeatureStats(frames: readonly FrameRecord[]): Promise<FeatureStats> {
  const counts = [0, 1, 2].map(() => new Float64Array(256));
  const indices = sampleIndices(frames.length);
  const { width, height } = frames[0]!;
  await decodeJpegFrames(
    indices.map((index) => frames[index]!.jpeg),
    width,
    height,
    (rgb) => countPixels(rgb, width, height, counts),
  );
  return imageStats(counts, indices.length);
}
