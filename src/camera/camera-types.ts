/** One JPEG frame from a camera, stamped on arrival with the monotonic clock (src/common/clock.ts). */
export interface CameraFrame {
  camera: string;
  /** Count of this camera's frames since the hub started, from 0. */
  index: number;
  /** Monotonic arrival time in nanoseconds: the clock the control loop stamps joint steps with. */
  tNs: bigint;
  jpeg: Buffer;
  /** Image size read from the JPEG's frame header. */
  width: number;
  height: number;
}

/** Frame counts of one camera over a stretch of time. */
export interface CameraStatsSnapshot {
  frames: number;
  /** Missing frame periods: a gap of more than 1.5 periods adds round(gap / period) - 1. */
  dropped: number;
  /** Frames that arrived more than 1.25 and at most 1.5 periods after the previous one. */
  late: number;
  /** Measured rate: (frames - 1) / (last arrival - first arrival), 0 with fewer than 2 frames. */
  fps: number;
}
