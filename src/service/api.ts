/**
 * The Studio service API, shared by the service (Node) and the UI (renderer). Every value here
 * crosses a process boundary as JSON: times are seconds as numbers, vectors are number arrays and
 * images are base64 JPEG. This file contains types and constants only, so the renderer can import it
 * without pulling in Node modules.
 */

export type ArmName = 'left_leader' | 'left_follower' | 'right_leader' | 'right_follower';
export const ARMS: readonly ArmName[] = ['left_leader', 'left_follower', 'right_leader', 'right_follower'];

export type EpisodeKind = 'teleop' | 'rollout';
export type EpisodeOutcome = 'unlabelled' | 'success' | 'failure';

// ---- rig --------------------------------------------------------------------------------

/** Connects the simulated rig (`sim`) or the arms of a rig file (`rigFile`); exactly one of them. */
export interface RigConnectParams {
  sim?: boolean;
  rigFile?: string;
  /** Seed of the simulated operator and scene. */
  seed?: number;
}

export interface MotorCalibration {
  homingOffset: number;
  direction: 1 | -1;
  rangeMin: number;
  rangeMax: number;
}

export interface MotorInfo {
  id: number;
  joint: string;
  model: string;
  calibration: MotorCalibration;
}

export interface ArmInfo {
  arm: ArmName;
  port: string;
  baudRate: number;
  /** Torque Enable as last written by the service; null before the first write. */
  torque: boolean | null;
  motors: MotorInfo[];
}

/** Activity of the rig's control loop; one runs at a time. */
export type RigActivity = 'idle' | 'teleop' | 'rollout' | 'calibration' | 'scan';

export interface RigStatus {
  connected: boolean;
  source: 'sim' | 'file' | null;
  rigFile: string | null;
  name: string | null;
  /** Control rate in Hz. */
  fps: number | null;
  arms: ArmInfo[];
  cameras: string[];
  /** Names of the state and action vector entries, e.g. left_waist .. right_gripper. */
  jointNames: string[];
  activity: RigActivity;
}

export interface SerialPortEntry {
  path: string;
  byIdPath?: string;
  manufacturer?: string;
  serialNumber?: string;
  /** The arm of the connected rig on this port, if any. */
  arm?: ArmName;
}

/** Scans one port, or every bus of the connected rig when `port` is absent. */
export interface ScanParams {
  port?: string;
  baudRate?: number;
}

export interface ScannedMotor {
  id: number;
  modelNumber: number;
  modelName: string | null;
  firmware: number;
  /** Present Position in raw ticks, or null when the motor did not return it. */
  position: number | null;
}

export interface BusScanResult {
  port: string;
  arm: ArmName | null;
  baudRate: number;
  motors: ScannedMotor[];
}

export interface TorqueParams {
  arm: ArmName;
  enabled: boolean;
}

// ---- calibration -------------------------------------------------------------------------

export interface MotorCalibrationState {
  arm: ArmName;
  id: number;
  joint: string;
  /** Present Position in raw ticks, or null when it could not be read. */
  position: number | null;
  calibration: MotorCalibration;
  /** False when the motor sits outside its calibrated range. */
  inRange: boolean | null;
}

export interface CalibrationStatus {
  motors: MotorCalibrationState[];
  outOfRange: number;
}

/**
 * Calibration of one arm in two phases: "middle" (hold the arm at the middle of its range and
 * mark it, which sets the homing offset) and "range" (move every joint through its full range,
 * which records rangeMin and rangeMax).
 */
export type CalibrationPhase = 'idle' | 'middle' | 'range';

export interface CalibrationMotorSweep {
  id: number;
  joint: string;
  position: number | null;
  middle: number | null;
  min: number | null;
  max: number | null;
}

export interface CalibrationFlowState {
  arm: ArmName | null;
  phase: CalibrationPhase;
  motors: CalibrationMotorSweep[];
}

export interface CalibrationResult {
  arm: ArmName;
  rigFile: string;
  motors: MotorInfo[];
}

// ---- teleop and recording ----------------------------------------------------------------

export interface LoopStatus {
  running: boolean;
  activity: RigActivity;
  /** Ticks per second over the last second. */
  rateHz: number;
  ticks: number;
  overruns: number;
  maxLatenessMs: number;
  /** Camera frames dropped since the cameras started, by camera. */
  droppedFrames: Record<string, number>;
}

/** Joint values of one control tick, sent at most about 20 times per second. */
export interface JointsSample {
  /** Seconds since the loop started. */
  tS: number;
  state: number[];
  action: number[];
}

export interface CameraFrameEvent {
  camera: string;
  /** Seconds since the cameras started. */
  tS: number;
  width: number;
  height: number;
  jpegBase64: string;
}

export interface RecordingStartParams {
  task: string;
}

export type RecordingState = 'idle' | 'recording' | 'stopping';

export interface RecordingStatus {
  state: RecordingState;
  task: string;
  episodeId: number | null;
  steps: number;
  elapsedS: number;
  /** Episodes kept in this session (discarded ones excluded). */
  sessionCount: number;
  lastEpisodeId: number | null;
}

// ---- rollouts ----------------------------------------------------------------------------

export type RolloutStrategy = 'fixed' | 'binary' | 'linear' | 'converge';

export interface RolloutStartParams {
  /** Model directory, as listed by policies.list. */
  policyDir: string;
  /** Instruction for the policy; on the simulated rig an empty task means the scene's own. */
  task?: string;
  strategy: RolloutStrategy;
  /** Recurrent iterations for the fixed strategy. */
  depth?: number;
  /** Convergence threshold (mean squared change of the action chunk) for adaptive strategies. */
  delta?: number;
  /** k* above which the linear rule starts shortening the horizon. */
  tau?: number;
  /** Execution horizon: actions executed per plan (fixed and converge), or the linear rule's maximum. */
  horizon?: number;
  /** Rollout length in seconds. */
  maxSeconds?: number;
  /** Seed of the simulated scene, when the rig is simulated. */
  sceneSeed?: number;
}

export type RolloutState = 'idle' | 'starting' | 'running' | 'stopping';

export interface RolloutStatus {
  state: RolloutState;
  episodeId: number | null;
  task: string;
  policy: string | null;
  strategy: RolloutStrategy | null;
  elapsedS: number;
  inferences: number;
  /** Success check of the simulated scene after the last rollout, when the rig is simulated. */
  verdict: { success: boolean; detail: string } | null;
  /** Reason the last rollout ended early, if it did. */
  error: string | null;
  /** Whether starting the current or last rollout stopped teleop, which does not restart on its own. */
  stoppedTeleop: boolean;
}

/** One policy call of a running rollout. */
export interface InferenceEvent {
  /** Seconds since the rollout started. */
  tS: number;
  kStar: number;
  /** Execution horizon H_exec: actions executed from this plan. */
  horizon: number;
  /** Convergence curve: mean squared change of the chunk per iteration. */
  trace: number[];
  latencyMs: number;
}

// ---- episodes ----------------------------------------------------------------------------

export interface EpisodeFilterParams {
  task?: string;
  kind?: EpisodeKind;
  outcome?: EpisodeOutcome;
}

export interface EpisodeEntry {
  id: number;
  task: string;
  kind: EpisodeKind;
  fps: number;
  startedAt: string;
  outcome: EpisodeOutcome;
  incomplete: boolean;
  steps: number;
  durationS: number;
}

export interface EpisodeCameraStats {
  fps: number;
  width: number;
  height: number;
  frames: number;
  dropped: number;
  late: number;
}

export interface EpisodeDetail extends EpisodeEntry {
  meanPeriodMs: number | null;
  p99LatenessMs: number | null;
  cameras: Record<string, EpisodeCameraStats>;
  jointNames: string[];
  policy: unknown;
}

export interface EpisodeIdParams {
  id: number;
}

export interface EpisodeLabelParams {
  id: number;
  outcome: EpisodeOutcome;
}

export interface EpisodeFramesParams {
  id: number;
  /** Seconds since the episode started. */
  tS: number;
}

export interface EpisodeFrame {
  camera: string;
  index: number;
  tS: number;
  width: number;
  height: number;
  jpegBase64: string;
}

/** Everything of an episode except its images, on one timeline in seconds since its start. */
export interface EpisodeTelemetry {
  id: number;
  jointNames: string[];
  steps: { tS: number[]; state: number[][]; action: number[][]; periodMs: number[]; latenessMs: number[] };
  inferences: { tS: number[]; kStar: number[]; horizon: number[]; latencyMs: number[]; traces: number[][] };
  /** Frame times per camera. */
  frameTimes: Record<string, number[]>;
}

// ---- policies ----------------------------------------------------------------------------

export interface PolicyEntry {
  name: string;
  dir: string;
  /** Null when the directory is a valid model; the validation message otherwise. */
  error: string | null;
  cameras: string[];
  actionSize: number | null;
}

export interface PolicyDirParams {
  dir: string;
}

/** A loaded policy: execution provider, sizes and inference defaults (see src/policy PolicyInfo). */
export interface LoadedPolicy {
  name: string;
  dir: string;
  provider: string;
  providerReason: string;
  cameras: string[];
  jointNames: string[];
  sizes: Record<string, number>;
  inference: {
    defaultDepth: number;
    maxIterations: number;
    delta: number;
    firstCheck: number;
    fixedHorizon: number;
    binary: { threshold: number; short: number; long: number; direction: string };
    linear: { hMax: number; hMin: number; tauBase: number; fullChunkAtOrBelow?: number | null };
  };
}

// ---- export ------------------------------------------------------------------------------

export type ExportFormat = 'lerobot' | 'aloha-hdf5';

export interface ExportAvailability {
  available: boolean;
  formats: ExportFormat[];
  /** Reason export is unavailable, when it is. */
  reason: string | null;
}

export interface ExportStartParams {
  episodeIds: number[];
  format: ExportFormat;
  /** Output folder; a new folder under the service's export folder by default. */
  outDir?: string;
  /** Dataset name or repo id written into the dataset's metadata. */
  name?: string;
}

export interface ExportProgress {
  done: number;
  total: number;
  stage: string;
  /** Set on the last event: where the dataset was written, or why it failed. */
  outDir?: string;
  error?: string;
  finished: boolean;
}

export interface ExportResult {
  outDir: string;
  episodes: number;
  format: ExportFormat;
  /** Episodes left out, with the reason (e.g. "episode 4: recording did not finish"). */
  skipped: string[];
}

// ---- the API -----------------------------------------------------------------------------

export interface RigApi {
  status(): Promise<RigStatus>;
  connect(params: RigConnectParams): Promise<RigStatus>;
  disconnect(): Promise<RigStatus>;
  listPorts(): Promise<SerialPortEntry[]>;
  scanMotors(params: ScanParams): Promise<BusScanResult[]>;
  setTorque(params: TorqueParams): Promise<RigStatus>;
}

export interface CalibrationApi {
  status(): Promise<CalibrationStatus>;
  begin(params: { arm: ArmName }): Promise<CalibrationFlowState>;
  markMiddle(): Promise<CalibrationFlowState>;
  finish(): Promise<CalibrationResult>;
  cancel(): Promise<CalibrationFlowState>;
}

export interface TeleopApi {
  start(): Promise<LoopStatus>;
  stop(): Promise<LoopStatus>;
  status(): Promise<LoopStatus>;
}

export interface RecordingApi {
  status(): Promise<RecordingStatus>;
  start(params: RecordingStartParams): Promise<RecordingStatus>;
  stop(): Promise<RecordingStatus>;
  /** Deletes the episode being recorded (or the last one kept) and starts recording again. */
  rerecord(params: Partial<RecordingStartParams>): Promise<RecordingStatus>;
  /** Deletes the episode being recorded, or the last one kept in this session. */
  discard(): Promise<RecordingStatus>;
}

export interface RolloutApi {
  status(): Promise<RolloutStatus>;
  start(params: RolloutStartParams): Promise<RolloutStatus>;
  stop(): Promise<RolloutStatus>;
  /** Stops the loop at once without waiting for the policy, and leaves the followers as the rig's onStop sets. */
  estop(): Promise<RolloutStatus>;
}

export interface EpisodesApi {
  list(params: EpisodeFilterParams): Promise<EpisodeEntry[]>;
  get(params: EpisodeIdParams): Promise<EpisodeDetail>;
  label(params: EpisodeLabelParams): Promise<EpisodeEntry>;
  delete(params: EpisodeIdParams): Promise<{ id: number }>;
  /** The frame of each camera shown at time tS: the last frame at or before it. */
  frames(params: EpisodeFramesParams): Promise<EpisodeFrame[]>;
  telemetry(params: EpisodeIdParams): Promise<EpisodeTelemetry>;
}

export interface PoliciesApi {
  list(): Promise<PolicyEntry[]>;
  load(params: PolicyDirParams): Promise<LoadedPolicy>;
  manifest(params: PolicyDirParams): Promise<Record<string, unknown>>;
}

export interface ExportApi {
  availability(): Promise<ExportAvailability>;
  start(params: ExportStartParams): Promise<ExportResult>;
}

/** The whole service as the UI calls it: one typed object per area. */
export interface StudioApi {
  rig: RigApi;
  calibration: CalibrationApi;
  teleop: TeleopApi;
  recording: RecordingApi;
  rollout: RolloutApi;
  episodes: EpisodesApi;
  policies: PoliciesApi;
  export: ExportApi;
}

export interface LogEntry {
  time: string;
  level: 'warn' | 'error';
  channel: string;
  message: string;
}

/** Event streams of the service, by topic. */
export interface StudioEvents {
  'rig.status': RigStatus;
  'loop': LoopStatus;
  'joints': JointsSample;
  'frame': CameraFrameEvent;
  'recording': RecordingStatus;
  'calibration': CalibrationFlowState;
  'rollout': RolloutStatus;
  'inference': InferenceEvent;
  'export.progress': ExportProgress;
  'episodes.changed': { ids: number[] };
  'log': LogEntry;
}

export type StudioTopic = keyof StudioEvents;

export const STUDIO_TOPICS: readonly StudioTopic[] = [
  'rig.status',
  'loop',
  'joints',
  'frame',
  'recording',
  'calibration',
  'rollout',
  'inference',
  'export.progress',
  'episodes.changed',
  'log',
];

/** "group.method" names of every API call, e.g. "rig.connect". */
export type StudioMethod = {
  [G in keyof StudioApi]: `${G & string}.${keyof StudioApi[G] & string}`;
}[keyof StudioApi];

/** An API call result or a readable error message, never a stack trace. */
export type CallOutcome = { result: unknown } | { error: string };

/** The bridge the Electron preload exposes as window.rdvla. */
export interface StudioBridge {
  invoke(method: string, params: unknown): Promise<CallOutcome>;
  /** Starts delivering a topic's events to `listener`; returns the function that stops it. */
  subscribe(topic: string, listener: (data: unknown) => void): () => void;
}
