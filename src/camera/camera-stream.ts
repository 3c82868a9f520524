import type { Readable } from 'node:stream';

/** Source of a camera's MJPEG bytes, as named by the rig file's `device` string. */
export type CameraDevice =
  | { kind: 'v4l2'; path: string }
  | { kind: 'lavfi'; graph: string }
  | { kind: 'unix'; path: string };

/**
 * Parses a camera device string: `/dev/videoN` (a V4L2 webcam), `lavfi:GRAPH` (an ffmpeg
 * test source such as `lavfi:testsrc=size=320x240:rate=30`) or `unix:PATH` (a socket that
 * streams concatenated JPEGs, as the simulated rig's cameras do).
 */
export function parseCameraDevice(device: string): CameraDevice {
  if (device.startsWith('lavfi:')) return { kind: 'lavfi', graph: device.slice('lavfi:'.length) };
  if (device.startsWith('unix:')) return { kind: 'unix', path: device.slice('unix:'.length) };
  return { kind: 'v4l2', path: device };
}

/** An open byte stream of concatenated JPEG frames from one camera. */
export interface CameraStream {
  readonly data: Readable;
  /** Resolves with the reason once the stream ends by itself, not through stop(). */
  readonly ended: Promise<string>;
  stop(): Promise<void>;
}
