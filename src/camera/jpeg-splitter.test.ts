import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { JpegSplitter, type SplitJpeg } from './jpeg-splitter.js';

/** Encodes a noisy JPEG, so the entropy-coded data contains stuffed FF 00 bytes. */
async function noiseJpeg(width: number, height: number, seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[i] = state >>> 24;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

function splitAll(stream: Buffer, chunkSizes: number[]): { frames: SplitJpeg[]; splitter: JpegSplitter } {
  const splitter = new JpegSplitter();
  const frames: SplitJpeg[] = [];
  let offset = 0;
  for (let i = 0; offset < stream.length; i++) {
    const size = chunkSizes[i % chunkSizes.length]!;
    frames.push(...splitter.push(stream.subarray(offset, offset + size)));
    offset += size;
  }
  return { frames, splitter };
}

/** Inserts an APP1 segment holding a whole small JPEG (an EXIF-style thumbnail) right after SOI. */
function withThumbnail(jpeg: Buffer, thumbnail: Buffer): Buffer {
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(thumbnail.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, thumbnail, jpeg.subarray(2)]);
}

describe('JpegSplitter', () => {
  let images: Buffer[];

  beforeAll(async () => {
    images = await Promise.all([noiseJpeg(64, 48, 1), noiseJpeg(40, 30, 2), noiseJpeg(17, 9, 3)]);
  });

  it('contains stuffed bytes in the test images', () => {
    expect(images[0]!.includes(Buffer.from([0xff, 0x00]))).toBe(true);
  });

  it('cuts whole frames from one chunk', () => {
    const { frames, splitter } = splitAll(Buffer.concat(images), [1 << 20]);
    expect(frames.map((frame) => frame.jpeg)).toEqual(images);
    expect(frames.map((frame) => [frame.width, frame.height])).toEqual([
      [64, 48],
      [40, 30],
      [17, 9],
    ]);
    expect(splitter.discardedBytes).toBe(0);
  });

  it('cuts frames from chunks split anywhere', () => {
    const stream = Buffer.concat([...images, ...images]);
    for (const sizes of [[1], [2], [3, 7], [5, 1, 1000], [4096]]) {
      const { frames } = splitAll(stream, sizes);
      expect(frames.map((frame) => frame.jpeg)).toEqual([...images, ...images]);
    }
  });

  it('skips garbage between frames and counts it', () => {
    const garbage = Buffer.from([0x00, 0xff, 0x12, 0xff, 0xff, 0xd9, 0x55]);
    const stream = Buffer.concat([garbage, images[0]!, garbage, images[1]!, garbage]);
    const { frames, splitter } = splitAll(stream, [3]);
    expect(frames.map((frame) => frame.jpeg)).toEqual([images[0], images[1]]);
    expect(splitter.discardedBytes).toBe(3 * garbage.length);
  });

  it('drops a truncated frame and keeps the next one', () => {
    const truncated = images[0]!.subarray(0, Math.floor(images[0]!.length / 2));
    const { frames, splitter } = splitAll(Buffer.concat([truncated, images[1]!]), [11]);
    expect(frames.map((frame) => frame.jpeg)).toEqual([images[1]]);
    expect(splitter.discardedBytes).toBe(truncated.length);
  });

  it('does not end a frame at a thumbnail end marker', () => {
    const framed = withThumbnail(images[0]!, images[2]!);
    const { frames } = splitAll(Buffer.concat([framed, images[1]!]), [64]);
    expect(frames.map((frame) => frame.jpeg)).toEqual([framed, images[1]]);
    expect(frames[0]!.width).toBe(64);
  });

  it('passes restart markers inside entropy data', () => {
    const image = images[1]!;
    const sos = image.indexOf(Buffer.from([0xff, 0xda]));
    const dataStart = sos + 2 + image.readUInt16BE(sos + 2);
    const withRestart = Buffer.concat([image.subarray(0, dataStart + 4), Buffer.from([0xff, 0xd0]), image.subarray(dataStart + 4)]);
    const { frames } = splitAll(withRestart, [5]);
    expect(frames.map((frame) => frame.jpeg)).toEqual([withRestart]);
  });

  it('gives up on a frame larger than the limit', () => {
    const splitter = new JpegSplitter({ maxFrameBytes: 1000 });
    const stream = Buffer.concat([images[0]!, images[2]!]);
    const frames: SplitJpeg[] = [];
    for (let offset = 0; offset < stream.length; offset += 200) frames.push(...splitter.push(stream.subarray(offset, offset + 200)));
    expect(images[0]!.length).toBeGreaterThan(1000);
    expect(images[2]!.length).toBeLessThan(1000);
    expect(frames.map((frame) => frame.jpeg)).toEqual([images[2]]);
    expect(splitter.discardedBytes).toBe(images[0]!.length);
  });
});
