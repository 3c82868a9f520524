import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../common/errors.js';
import type { CameraConfig } from '../rig/rig-config.js';
import { CameraHub } from './camera-hub.js';
import type { CameraFrame } from './camera-types.js';
import { lavfiArgs, parseV4l2Formats, v4l2Args } from './ffmpeg-stream.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function camera(name: string, device: string, fps = 30): CameraConfig {
  return { name, device, width: 160, height: 120, fps };
}

function collectFrames(hub: CameraHub, camera: string, count: number): Promise<CameraFrame[]> {
  const frames: CameraFrame[] = [];
  return new Promise((resolve) => {
    const onFrame = (frame: CameraFrame): void => {
      if (frame.camera !== camera) return;
      frames.push(frame);
      if (frames.length === count) {
        hub.off('frame', onFrame);
        resolve(frames);
      }
    };
    hub.on('frame', onFrame);
  });
}

/** Starts a Unix socket server that writes `jpeg` to every client in chunks of 100 bytes, `count` times. */
async function jpegSocket(jpeg: Buffer, count: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rdvla-camera-test-'));
  const path = join(dir, 'cam.sock');
  const clients = new Set<Socket>();
  const server: Server = createServer((socket) => {
    clients.add(socket);
    socket.on('error', () => {});
    for (let frame = 0; frame < count; frame++) {
      for (let offset = 0; offset < jpeg.length; offset += 100) socket.write(jpeg.subarray(offset, offset + 100));
    }
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(async () => {
    for (const client of clients) client.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  return path;
}

describe('CameraHub', () => {
  it('captures two ffmpeg testsrc streams at once', async () => {
    const hub = new CameraHub([camera('cam_a', 'lavfi:testsrc=size=160x120:rate=30'), camera('cam_b', 'lavfi:testsrc=size=96x64:rate=30')]);
    cleanups.push(() => hub.stop());
    const framesA = collectFrames(hub, 'cam_a', 5);
    const framesB = collectFrames(hub, 'cam_b', 5);
    await hub.start();

    for (const frames of [await framesA, await framesB]) {
      expect(frames.map((frame) => frame.index)).toEqual([0, 1, 2, 3, 4].map((i) => i + frames[0]!.index));
      for (let i = 1; i < frames.length; i++) expect(frames[i]!.tNs).toBeGreaterThan(frames[i - 1]!.tNs);
    }
    const last = (await framesB)[4]!;
    expect([last.width, last.height]).toEqual([96, 64]);
    const decoded = await sharp(last.jpeg).metadata();
    expect([decoded.format, decoded.width, decoded.height]).toEqual(['jpeg', 96, 64]);
    expect(hub.latest('cam_a')?.jpeg[0]).toBe(0xff);
    expect(hub.stats().cam_a!.frames).toBeGreaterThanOrEqual(5);
  });

  it('reads JPEG frames from a Unix socket', async () => {
    const jpeg = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 200, g: 10, b: 10 } } }).jpeg().toBuffer();
    const path = await jpegSocket(jpeg, 4);
    const hub = new CameraHub([camera('cam_high', `unix:${path}`)]);
    cleanups.push(() => hub.stop());
    const frames = collectFrames(hub, 'cam_high', 4);
    await hub.start();

    expect((await frames).map((frame) => frame.jpeg)).toEqual([jpeg, jpeg, jpeg, jpeg]);
    expect(hub.stats().cam_high!.frames).toBe(4);
  });

  it('names a missing V4L2 device', async () => {
    const hub = new CameraHub([camera('cam_low', '/dev/video97')]);
    const started = hub.start();
    await expect(started).rejects.toThrow(UserError);
    await expect(started).rejects.toThrow(/camera cam_low: \/dev\/video97 not found: check that the camera is plugged in/);
  });

  it('names a socket nobody listens on', async () => {
    const hub = new CameraHub([camera('cam_high', 'unix:/tmp/rdvla-no-such-dir/cam_high.sock')]);
    await expect(hub.start()).rejects.toThrow(/camera cam_high: cannot connect to \/tmp\/rdvla-no-such-dir\/cam_high.sock \(ENOENT\)/);
  });

  it('reports a stream that ends before its first frame', async () => {
    const hub = new CameraHub([camera('cam_bad', 'lavfi:nosuchsource=size=10x10')]);
    await expect(hub.start()).rejects.toThrow(/camera cam_bad: no frame from lavfi:nosuchsource=size=10x10: ffmpeg for .* exited with code 1/);
  });

  it('rejects two cameras with one name', () => {
    expect(() => new CameraHub([camera('cam_high', 'lavfi:testsrc'), camera('cam_high', 'lavfi:testsrc')])).toThrow(/listed twice/);
  });
});

describe('ffmpeg arguments', () => {
  it('passes MJPEG through when the camera offers it', () => {
    expect(v4l2Args(camera('cam_high', '/dev/video0'), '/dev/video0', true).join(' ')).toBe(
      '-hide_banner -loglevel error -nostdin -f v4l2 -input_format mjpeg -video_size 160x120 -framerate 30 -i /dev/video0 -c:v copy -f mjpeg pipe:1',
    );
  });

  it('encodes raw camera formats to MJPEG', () => {
    expect(v4l2Args(camera('cam_high', '/dev/video0'), '/dev/video0', false).join(' ')).toBe(
      '-hide_banner -loglevel error -nostdin -f v4l2 -video_size 160x120 -framerate 30 -i /dev/video0 -c:v mjpeg -q:v 4 -pix_fmt yuvj420p -f mjpeg pipe:1',
    );
  });

  it('runs lavfi sources in real time', () => {
    expect(lavfiArgs('testsrc=size=320x240:rate=30')).toContain('-re');
  });

  it('parses the V4L2 format listing', () => {
    const listing = [
      '[video4linux2,v4l2 @ 0x55d0] Compressed:       mjpeg :          Motion-JPEG : 640x480 1280x720',
      '[video4linux2,v4l2 @ 0x55d0] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 1280x720',
      '/dev/video0: Immediate exit requested',
    ].join('\n');
    expect(parseV4l2Formats(listing)).toEqual(['mjpeg', 'yuyv422']);
  });
});
