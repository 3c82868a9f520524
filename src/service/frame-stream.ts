import type { CameraFeed, FeedFrame } from './camera-feed.js';
import type { ServiceEvents } from './service-events.js';

/** Frames per second and camera sent to the UI, at most; recording keeps every frame. */
export const FRAME_EVENT_FPS = 15;

/**
 * Forwards camera frames to the UI as 'frame' events, at most FRAME_EVENT_FPS per camera.
 * Transports keep only the newest pending frame per camera, so a slow window skips frames
 * instead of queueing them.
 */
export class FrameStream {
  readonly #events: ServiceEvents;
  readonly #lastSentNs = new Map<string, bigint>();
  #feed: CameraFeed | null = null;
  #startNs: bigint | null = null;

  constructor(events: ServiceEvents) {
    this.#events = events;
  }

  attach(feed: CameraFeed): void {
    this.detach();
    this.#feed = feed;
    feed.on('frame', this.#onFrame);
  }

  detach(): void {
    this.#feed?.off('frame', this.#onFrame);
    this.#feed = null;
    this.#startNs = null;
    this.#lastSentNs.clear();
  }

  readonly #onFrame = (frame: FeedFrame): void => {
    this.#startNs ??= frame.tNs;
    const last = this.#lastSentNs.get(frame.camera);
    if (last !== undefined && frame.tNs - last < BigInt(Math.round(1e9 / FRAME_EVENT_FPS))) return;
    this.#lastSentNs.set(frame.camera, frame.tNs);

    this.#events.emit('frame', {
      camera: frame.camera,
      tS: Number(frame.tNs - this.#startNs) / 1e9,
      width: frame.width,
      height: frame.height,
      jpegBase64: Buffer.from(frame.jpeg.buffer, frame.jpeg.byteOffset, frame.jpeg.byteLength).toString('base64'),
    });
  };
}
