import type { CameraStats, FrameSample } from '../store/episode-types.js';
import type { CameraHub } from './camera-hub.js';
import type { CameraFrame, CameraStatsSnapshot } from './camera-types.js';
import { FrameTimingCounter } from './frame-timing.js';

/** The part of EpisodeRecorder that camera frames go to. */
export interface FrameSink {
  addFrame(frame: FrameSample): number;
  setCameraStats(camera: string, stats: CameraStats): void;
}

/** Frames of one episode being recorded; stop() ends it and returns each camera's counts. */
export interface EpisodeFrames {
  stop(): Record<string, CameraStatsSnapshot>;
}

/**
 * Queues every frame the hub emits to `sink` until stop(). Drops and late frames are counted
 * over this episode's frames alone, and stop() stores each camera's counts with setCameraStats
 * (fps there is the camera's nominal rate, the size that of its last frame).
 */
export function recordEpisodeFrames(hub: CameraHub, sink: FrameSink): EpisodeFrames {
  const counters = new Map(hub.cameras.map((camera) => [camera.name, new FrameTimingCounter(camera.fps)]));
  const sizes = new Map(hub.cameras.map((camera) => [camera.name, { width: camera.width, height: camera.height }]));

  const onFrame = (frame: CameraFrame): void => {
    sink.addFrame({ camera: frame.camera, tNs: frame.tNs, jpeg: frame.jpeg, width: frame.width, height: frame.height });
    counters.get(frame.camera)?.add(frame.tNs);
    sizes.set(frame.camera, { width: frame.width, height: frame.height });
  };
  hub.on('frame', onFrame);

  let result: Record<string, CameraStatsSnapshot> | null = null;
  return {
    stop() {
      if (result) return result;
      hub.off('frame', onFrame);
      result = {};
      for (const camera of hub.cameras) {
        const snapshot = counters.get(camera.name)!.snapshot();
        const size = sizes.get(camera.name)!;
        sink.setCameraStats(camera.name, { fps: camera.fps, width: size.width, height: size.height, frames: snapshot.frames, dropped: snapshot.dropped, late: snapshot.late });
        result[camera.name] = snapshot;
      }
      return result;
    },
  };
}
