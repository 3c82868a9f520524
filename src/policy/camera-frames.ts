import sharp from 'sharp';
import { UserError, errorMessage } from '../common/errors.js';
import type { Manifest } from './manifest.js';

/**
 * One camera frame: an encoded image (JPEG, or any format sharp decodes) resized to the model's
 * input size, or raw interleaved RGB uint8 pixels already at that size.
 */
export type CameraFrame = { format: 'jpeg'; data: Uint8Array } | { format: 'rgb'; data: Uint8Array; width: number; height: number };

/** Pixel value of the mid-grey frame given to a camera that has no image. */
export const MID_GREY = 128;

async function decodeToRgb(camera: string, frame: CameraFrame, width: number, height: number): Promise<Uint8Array> {
  if (frame.format === 'rgb') {
    if (frame.width !== width || frame.height !== height || frame.data.length !== width * height * 3) {
      throw new UserError(
        `camera ${camera}: raw RGB frame is ${frame.width}x${frame.height} with ${frame.data.length} bytes, ` +
          `the model takes ${width}x${height} (${width * height * 3} bytes): resize it or send it as JPEG`,
      );
    }
    return frame.data;
  }

  try {
    const { data, info } = await sharp(frame.data)
      .removeAlpha()
      .toColourspace('srgb')
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return data;
  } catch (error) {
    throw new UserError(`camera ${camera}: cannot decode the image (${errorMessage(error)}): send a JPEG or PNG file`);
  }
}

/**
 * Writes the frames as the backbone's `images` tensor [1, C, 3, H, W] into `out`: RGB planes,
 * x/255 then (x - mean) / std per channel. A camera without a frame gets a mid-grey image.
 * Returns the cameras that got the grey image.
 */
export async function writeImagesTensor(frames: Readonly<Record<string, CameraFrame | undefined>>, manifest: Manifest, out: Float32Array): Promise<string[]> {
  const unknown = Object.keys(frames).filter((name) => !manifest.cameras.includes(name));
  if (unknown.length > 0) {
    throw new UserError(`unknown camera ${unknown.join(', ')}: model ${manifest.name} takes ${manifest.cameras.join(', ')}`);
  }

  const { width, height, mean, std } = manifest.image;
  const plane = width * height;
  const greyCameras: string[] = [];
  for (const [cameraIndex, camera] of manifest.cameras.entries()) {
    const frame = frames[camera];
    if (frame === undefined) greyCameras.push(camera);
    const rgb = frame === undefined ? null : await decodeToRgb(camera, frame, width, height);

    for (let channel = 0; channel < 3; channel++) {
      const scale = 1 / (255 * (std[channel] ?? 1));
      const offset = (mean[channel] ?? 0) / (std[channel] ?? 1);
      const base = (cameraIndex * 3 + channel) * plane;
      for (let pixel = 0; pixel < plane; pixel++) {
        const value = rgb === null ? MID_GREY : (rgb[pixel * 3 + channel] ?? 0);
        out[base + pixel] = value * scale - offset;
      }
    }
  }
  return greyCameras;
}
