import { spawn } from 'node:child_process';
import { missingFfmpeg } from './video-encoder.js';

const STDERR_TAIL_CHARS = 2000;

/**
 * Decodes JPEG frames of one size to packed RGB with a single ffmpeg process (image2pipe in,
 * rawvideo rgb24 out), calling `onFrame` with each decoded frame in order. The buffer passed to
 * `onFrame` is reused for the next frame.
 */
export async function decodeJpegFrames(jpegs: readonly Uint8Array[], width: number, height: number, onFrame: (rgb: Buffer) => void): Promise<void> {
  const args = ['-hide_banner', '-loglevel', 'error', '-f', 'image2pipe', '-c:v', 'mjpeg', '-threads', '1', '-i', 'pipe:0', '-pix_fmt', 'rgb24', '-threads', '1', '-f', 'rawvideo', 'pipe:1'];
  const child = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const frameBytes = width * height * 3;
  const frame = Buffer.alloc(frameBytes);
  let filled = 0;
  let decoded = 0;
  let stderr = '';

  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  child.stdout.on('data', (chunk: Buffer) => {
    for (let offset = 0; offset < chunk.length; ) {
      const copied = chunk.copy(frame, filled, offset, Math.min(chunk.length, offset + frameBytes - filled));
      filled += copied;
      offset += copied;
      if (filled === frameBytes) {
        onFrame(frame);
        decoded++;
        filled = 0;
      }
    }
  });
  const exit = new Promise<number | null>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? missingFfmpeg('ffmpeg') : error));
    child.once('close', (code) => resolve(code));
  });
  // A write after ffmpeg failed raises EPIPE; the exit code and stderr explain the failure.
  child.stdin.on('error', () => {});

  for (const jpeg of jpegs) {
    if (!child.stdin.write(jpeg)) await Promise.race([new Promise((resolve) => child.stdin.once('drain', resolve)), exit]);
  }
  child.stdin.end();

  const code = await exit;
  if (code !== 0 || decoded !== jpegs.length) {
    throw new Error(`ffmpeg decoded ${decoded} of ${jpegs.length} JPEG frames of ${width}x${height} (exit code ${code}): ${stderr.trim() || 'no output'}`);
  }
}
