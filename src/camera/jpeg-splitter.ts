/** A complete JPEG cut out of a byte stream, with the image size from its frame header. */
export interface SplitJpeg {
  jpeg: Buffer;
  width: number;
  height: number;
}

const MARKER = 0xff;
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;

/** Frames larger than this are treated as a corrupt stream, so a missing end marker cannot grow memory without bound. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

type ParseResult = { kind: 'more' } | { kind: 'frame'; end: number } | { kind: 'corrupt'; resumeAt: number };

function isStartOfFrame(marker: number): boolean {
  // SOF0..SOF15 are C0..CF, except C4 (DHT), C8 (reserved) and CC (DAC).
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function isStandalone(marker: number): boolean {
  return marker === TEM || (marker >= 0xd0 && marker <= 0xd7);
}

/**
 * Cuts a stream of concatenated JPEG images (an MJPEG pipe or socket) into frames. It walks
 * the marker segments by their lengths, so a thumbnail inside an APP segment does not end a
 * frame early, and it scans entropy-coded data for the next marker, skipping stuffed bytes
 * (FF 00) and restart markers. Chunks may split a frame anywhere. Bytes outside frames and
 * frames that break the marker syntax are counted in `discardedBytes` and skipped.
 */
export class JpegSplitter {
  /** Bytes skipped so far: garbage between frames and the starts of corrupt frames. */
  discardedBytes = 0;
  readonly #maxFrameBytes: number;
  #pending: Buffer = Buffer.alloc(0);
  #inFrame = false;
  #inEntropyData = false;
  #scanAt = 0;
  #width = 0;
  #height = 0;

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Adds a chunk of the stream and returns the frames it completed, oldest first. */
  push(chunk: Buffer): SplitJpeg[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: SplitJpeg[] = [];

    for (;;) {
      if (!this.#inFrame && !this.#findStart()) break;

      const result = this.#parse();
      if (result.kind === 'more') {
        if (this.#pending.length <= this.#maxFrameBytes) break;
        this.#discard(this.#pending.length);
        continue;
      }
      if (result.kind === 'corrupt') {
        this.#discard(Math.max(2, result.resumeAt));
        continue;
      }

      frames.push({ jpeg: Buffer.from(this.#pending.subarray(0, result.end)), width: this.#width, height: this.#height });
      this.#pending = this.#pending.subarray(result.end);
      this.#inFrame = false;
    }
    return frames;
  }

  /** Drops the bytes before the next start-of-image marker; returns false when there is none yet. */
  #findStart(): boolean {
    const start = this.#pending.indexOf(Buffer.from([MARKER, SOI]));
    if (start < 0) {
      // Keep a trailing FF: it may be the first half of a start marker split across chunks.
      const keep = this.#pending.length > 0 && this.#pending[this.#pending.length - 1] === MARKER ? 1 : 0;
      this.discardedBytes += this.#pending.length - keep;
      this.#pending = this.#pending.subarray(this.#pending.length - keep);
      return false;
    }

    this.discardedBytes += start;
    this.#pending = this.#pending.subarray(start);
    this.#inFrame = true;
    this.#inEntropyData = false;
    this.#scanAt = 2;
    this.#width = 0;
    this.#height = 0;
    return true;
  }

  #discard(count: number): void {
    this.discardedBytes += count;
    this.#pending = this.#pending.subarray(count);
    this.#inFrame = false;
  }

  /** Continues parsing the frame at the head of the pending bytes from where the last call stopped. */
  #parse(): ParseResult {
    const bytes = this.#pending;
    let at = this.#scanAt;

    for (;;) {
      if (this.#inEntropyData) {
        while (at + 1 < bytes.length) {
          const next = bytes[at + 1]!;
          if (bytes[at] !== MARKER || next === 0x00 || next === MARKER || (next >= 0xd0 && next <= 0xd7)) {
            at += 1;
            continue;
          }
          break;
        }
        if (at + 1 >= bytes.length) return this.#needMore(at);
        // A marker other than a restart ends the scan: EOI, or a table or another scan of a progressive image.
        this.#inEntropyData = false;
      }

      if (at + 1 >= bytes.length) return this.#needMore(at);
      if (bytes[at] !== MARKER) return { kind: 'corrupt', resumeAt: at };
      const marker = bytes[at + 1]!;
      if (marker === MARKER) {
        at += 1;
        continue;
      }
      if (marker === EOI) return { kind: 'frame', end: at + 2 };
      if (marker === SOI) return { kind: 'corrupt', resumeAt: at };
      if (isStandalone(marker)) {
        at += 2;
        continue;
      }

      if (at + 3 >= bytes.length) return this.#needMore(at);
      const segmentLength = bytes.readUInt16BE(at + 2);
      if (segmentLength < 2) return { kind: 'corrupt', resumeAt: at + 2 };
      if (at + 2 + segmentLength > bytes.length) return this.#needMore(at);
      if (isStartOfFrame(marker) && segmentLength >= 7) {
        this.#height = bytes.readUInt16BE(at + 5);
        this.#width = bytes.readUInt16BE(at + 7);
      }
      at += 2 + segmentLength;
      if (marker === SOS) this.#inEntropyData = true;
    }
  }

  #needMore(at: number): ParseResult {
    this.#scanAt = at;
    return { kind: 'more' };
  }
}
