import { type ChildProcessByStdio, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { UserError } from '../../common/errors.js';
import type { VideoEncoding } from '../export-types.js';
import { FileWriteError } from '../write-failure.js';

const execFileAsync = promisify(execFile);
const STDERR_TAIL_CHARS = 2000;

export interface VideoFileOptions {
  path: string;
  fps: number;
  encoding: VideoEncoding;
  /** Threads for the JPEG decoder and for x264. */
  threads: number;
}

export function missingFfmpeg(tool: string): UserError {
  return new UserError(`${tool} not found on PATH: install FFmpeg (e.g. \`apt install ffmpeg\`) and run the export again`);
}

let zscaleAvailable: boolean | null = null;

/**
 * Returns the output options that convert decoded JPEG (full-range yuvj420p or yuvj422p) to
 * limited-range yuv420p. With FFmpeg 5.1 on a shared 2-core machine, swscale took about 0.7 ms per
 * 640x480 frame (close to x264 ultrafast's own time) and zimg's zscale filter almost none, so
 * swscale is only the fallback for FFmpeg builds without zimg.
 */
function limitedRangeYuv420(): string[] {
  if (zscaleAvailable === null) {
    try {
      zscaleAvailable = /\bzscale\b/.test(execFileSync('ffmpeg', ['-hide_banner', '-filters'], { encoding: 'utf8' }));
    } catch {
      zscaleAvailable = false;
    }
  }
  return zscaleAvailable ? ['-vf', 'zscale=r=limited,format=yuv420p'] : ['-pix_fmt', 'yuv420p'];
}

/**
 * One MP4 file being encoded by an ffmpeg process: JPEG frames are piped in (image2pipe) and
 * encoded at a constant frame rate with H.264, yuv420p, no B-frames, so frame n has pts n / fps.
 */
export class VideoFileEncoder {
  readonly path: string;
  framesWritten = 0;
  readonly #child: ChildProcessByStdio<Writable, null, Readable>;
  readonly #exit: Promise<number | null>;
  #stderr = '';
  #failure: Error | null = null;

  private constructor(path: string, child: ChildProcessByStdio<Writable, null, Readable>) {
    this.path = path;
    this.#child = child;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    // Writes after ffmpeg exited fail with EPIPE; the exit code carries the reason.
    child.stdin.on('error', (error) => {
      this.#failure ??= error;
    });
    this.#exit = new Promise((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? missingFfmpeg('ffmpeg') : error));
      child.once('exit', (code, signal) => {
        // A file size limit (ulimit -f) stops ffmpeg with SIGXFSZ before it can print a reason.
        if (signal === 'SIGXFSZ') this.#stderr += '\nFile too large: ffmpeg was stopped by SIGXFSZ';
        resolve(code);
      });
    });
    this.#exit.catch((error: Error) => {
      this.#failure ??= error;
    });
  }

  static start(options: VideoFileOptions): VideoFileEncoder {
    const { encoding } = options;
    const threads = String(options.threads);
    const args = [
      '-hide_banner', '-loglevel', 'error',
      '-f', 'image2pipe', '-framerate', String(options.fps), '-c:v', 'mjpeg', '-threads', threads, '-i', 'pipe:0',
      '-an', '-c:v', 'libx264', '-preset', encoding.preset, '-crf', String(encoding.crf), '-g', String(encoding.gop), '-bf', '0',
      ...limitedRangeYuv420(), '-colorspace', 'bt470bg', '-color_range', 'tv', '-threads', threads,
      '-y', options.path,
    ];
    const child = spawn('ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    return new VideoFileEncoder(options.path, child);
  }

  /** Queues one JPEG frame; resolves once ffmpeg's pipe accepts more. */
  async writeFrame(jpeg: Uint8Array): Promise<void> {
    if (this.#failure) throw await this.#failed();
    this.framesWritten++;
    if (!this.#child.stdin.write(jpeg)) {
      // The pipe fails with EPIPE once ffmpeg has exited: #failed() then gives ffmpeg's reason.
      await Promise.race([once(this.#child.stdin, 'drain'), this.#exit]).catch((error: Error) => {
        this.#failure ??= error;
      });
      if (this.#failure || this.#child.exitCode !== null) throw await this.#failed();
    }
  }

  /** Closes the input and waits for ffmpeg to write the file. */
  async finish(): Promise<void> {
    this.#child.stdin.end();
    const code = await this.#exit;
    if (code !== 0) throw await this.#failed();
  }

  /** Stops ffmpeg without finishing the file. */
  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }

  async #failed(): Promise<Error> {
    const code = await this.#exit.catch((error: Error) => error);
    if (code instanceof Error) return code;
    const reason = this.#stderr.trim() || this.#failure?.message || 'no output';
    return new FileWriteError(this.path, `ffmpeg failed encoding ${this.path} (exit code ${code}) after ${this.framesWritten} frames: ${reason}`, { cause: this.#failure ?? undefined });
  }
}

/** Reads the `info` LeRobot stores for a video feature back from the encoded file with ffprobe. */
export async function probeVideoInfo(path: string): Promise<Record<string, unknown>> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height,pix_fmt,r_frame_rate', '-of', 'json', path]));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingFfmpeg('ffprobe');
    throw error;
  }
  const streams = (JSON.parse(stdout) as { streams: Array<Record<string, string | number>> }).streams;
  const video = streams.find((stream) => stream.codec_type === 'video');
  if (!video) throw new Error(`ffprobe found no video stream in ${path}`);
  const [numerator, denominator] = String(video.r_frame_rate).split('/').map(Number);
  const pixFmt = String(video.pix_fmt);
  return {
    'video.height': video.height,
    'video.width': video.width,
    'video.codec': video.codec_name,
    'video.pix_fmt': pixFmt,
    'video.is_depth_map': false,
    'video.fps': Math.trunc(numerator! / (denominator || 1)),
    'video.channels': pixFmt.includes('gray') ? 1 : pixFmt.startsWith('yuva') || pixFmt.includes('rgba') ? 4 : 3,
    has_audio: streams.some((stream) => stream.codec_type === 'audio'),
  };
}

/** Threads per ffmpeg process so that one process per camera together use every CPU. */
export function threadsPerCamera(cpus: number, cameras: number): number {
  return Math.max(1, Math.floor(cpus / Math.max(1, cameras)));
}
