import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import type { CameraConfig } from '../rig/rig-config.js';
import type { CameraStream } from './camera-stream.js';

const log = createLogger('camera');

const FFMPEG = 'ffmpeg';
const STOP_TIMEOUT_MS = 2_000;
const STDERR_TAIL_CHARS = 600;
/** JPEG quality scale of ffmpeg's MJPEG encoder: 2 (best) .. 31 (worst). */
const ENCODE_QSCALE = '4';

const OUTPUT_ARGS = ['-f', 'mjpeg', 'pipe:1'];
const ENCODE_ARGS = ['-c:v', 'mjpeg', '-q:v', ENCODE_QSCALE, '-pix_fmt', 'yuvj420p'];

/** ffmpeg arguments that read a V4L2 camera and write its frames as MJPEG to stdout. */
export function v4l2Args(camera: CameraConfig, path: string, offersMjpeg: boolean): string[] {
  const input = ['-f', 'v4l2', '-video_size', `${camera.width}x${camera.height}`, '-framerate', String(camera.fps), '-i', path];
  // With MJPEG from the camera, the frames pass through as the camera compressed them.
  if (offersMjpeg) return ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'v4l2', '-input_format', 'mjpeg', ...input.slice(2), '-c:v', 'copy', ...OUTPUT_ARGS];
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', ...input, ...ENCODE_ARGS, ...OUTPUT_ARGS];
}

/** ffmpeg arguments that run a lavfi source graph in real time and write it as MJPEG to stdout. */
export function lavfiArgs(graph: string): string[] {
  return ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', graph, ...ENCODE_ARGS, ...OUTPUT_ARGS];
}

/** Reads the pixel formats a V4L2 device offers, e.g. ['mjpeg', 'yuyv422'], from `ffmpeg -list_formats all`. */
export function listV4l2Formats(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    // ffmpeg exits with an error after listing, because no output is given: only stderr matters.
    execFile(FFMPEG, ['-hide_banner', '-f', 'v4l2', '-list_formats', 'all', '-i', path], { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(ffmpegMissing());
        return;
      }
      resolve(parseV4l2Formats(stderr));
    });
  });
}

/** Parses the format lines of `ffmpeg -f v4l2 -list_formats all` ("Compressed: mjpeg : Motion-JPEG : 640x480 ..."). */
export function parseV4l2Formats(listing: string): string[] {
  const formats: string[] = [];
  for (const match of listing.matchAll(/(?:Compressed|Raw)\s*:\s*(\S+)\s*:/g)) formats.push(match[1]!);
  return formats;
}

function ffmpegMissing(): UserError {
  return new UserError('ffmpeg not found on PATH: install it (e.g. `apt install ffmpeg`) to capture webcams');
}

/** Checks that a V4L2 device exists and can be opened; the UserError names what to check. */
export function checkV4l2Device(camera: CameraConfig, path: string): void {
  if (!existsSync(path)) {
    throw new UserError(
      `camera ${camera.name}: ${path} not found: check that the camera is plugged in (\`ls /dev/video*\`, \`v4l2-ctl --list-devices\`) and that the rig file names the right device`,
    );
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw new UserError(`camera ${camera.name}: cannot open ${path} (${errorMessage(error)}): add your user to the "video" group and log in again`);
  }
}

/** Opens a V4L2 camera through ffmpeg: passes MJPEG through when the camera offers it, otherwise encodes. */
export async function openV4l2Stream(camera: CameraConfig, path: string): Promise<CameraStream> {
  checkV4l2Device(camera, path);
  const formats = await listV4l2Formats(path);
  const offersMjpeg = formats.includes('mjpeg');
  log.info(`${camera.name}: ${path} offers ${formats.join(', ') || 'no listed formats'}: ${offersMjpeg ? 'passing MJPEG through' : 'encoding to MJPEG'}`);
  return spawnFfmpeg(camera, v4l2Args(camera, path, offersMjpeg), path);
}

export function openLavfiStream(camera: CameraConfig, graph: string): Promise<CameraStream> {
  return spawnFfmpeg(camera, lavfiArgs(graph), `lavfi:${graph}`);
}

function spawnFfmpeg(camera: CameraConfig, args: string[], source: string): Promise<CameraStream> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(FFMPEG, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderrTail = '';
    let stopping = false;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderrTail = (stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });

    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? ffmpegMissing() : new UserError(`camera ${camera.name}: cannot start ffmpeg for ${source}: ${error.message}`));
    });

    child.once('spawn', () => {
      const ended = exited.then((code) => {
        const detail = stderrTail.trim().split('\n').slice(-2).join(' / ') || 'no error output';
        return `ffmpeg for ${source} exited with code ${code ?? 'none'} (${detail})`;
      });
      resolve({
        data: child.stdout!,
        ended: stoppable(ended, () => stopping),
        stop: async () => {
          stopping = true;
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

/** Resolves like `ended`, unless the stream was being stopped by then: that end is expected and never resolves. */
function stoppable(ended: Promise<string>, isStopping: () => boolean): Promise<string> {
  return new Promise((resolve) => {
    void ended.then((reason) => {
      if (!isStopping()) resolve(reason);
    });
  });
}
