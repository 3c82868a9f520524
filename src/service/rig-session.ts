import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { vectorNames } from '../rig/joint-layout.js';
import { RigConnection } from '../rig/rig-connection.js';
import { ARM_NAMES, type ArmName, type RigConfig, loadRigConfig } from '../rig/rig-config.js';
import { type SimRig, type SimRigOptions, startSimRig } from '../sim/sim-rig.js';
import type { RigActivity, RigConnectParams, RigStatus } from './api.js';
import { type CameraFeed, openCameraFeed } from './camera-feed.js';
import { FrameStream } from './frame-stream.js';
import type { ServiceEvents } from './service-events.js';

const log = createLogger('rig-session');

interface Claim {
  activity: Exclude<RigActivity, 'idle'>;
  /** Ends the activity; called when the rig disconnects under it. */
  stop: () => Promise<void>;
}

/**
 * The connected rig: the simulator (when simulated), the four servo buses, the cameras, the
 * torque last written per arm, and the one activity (teleop, rollout, calibration, scan) that
 * may use the buses at a time.
 */
export class RigSession {
  readonly #events: ServiceEvents;
  readonly #frames: FrameStream;
  #sim: SimRig | null = null;
  #connection: RigConnection | null = null;
  #cameras: CameraFeed | null = null;
  #rigFile: string | null = null;
  /** The connected rig's configuration; kept while the buses are handed to a rollout. */
  #config: RigConfig | null = null;
  #suspended = false;
  #torque = new Map<ArmName, boolean>();
  #claim: Claim | null = null;
  #connecting = false;

  readonly #simOptions: SimRigOptions;

  /** `simOptions` apply whenever the simulated rig is started (camera size and rate, baud rate). */
  constructor(events: ServiceEvents, simOptions: SimRigOptions = {}) {
    this.#events = events;
    this.#simOptions = simOptions;
    this.#frames = new FrameStream(events);
  }

  get connection(): RigConnection | null {
    return this.#connection;
  }

  get sim(): SimRig | null {
    return this.#sim;
  }

  get cameras(): CameraFeed | null {
    return this.#cameras;
  }

  get rigFile(): string | null {
    return this.#rigFile;
  }

  get activity(): RigActivity {
    return this.#claim?.activity ?? 'idle';
  }

  /** The connected rig's configuration, also while a rollout has the buses. */
  get config(): RigConfig | null {
    return this.#config;
  }

  requireConnection(): RigConnection {
    if (this.#suspended) throw new UserError(`the rig is busy with ${this.activity}: stop it first`);
    if (!this.#connection) throw new UserError('no rig connected: connect the simulated rig or a rig file on the Rig page');
    return this.#connection;
  }

  /** Reserves the buses for one activity; the returned function releases them. */
  claim(activity: Claim['activity'], stop: () => Promise<void>): () => void {
    this.requireConnection();
    if (this.#claim) throw new UserError(`the rig is busy with ${this.#claim.activity}: stop it before starting ${activity}`);
    const claim: Claim = { activity, stop };
    this.#claim = claim;
    this.publish();
    return () => {
      if (this.#claim !== claim) return;
      this.#claim = null;
      this.publish();
    };
  }

  async connect(params: RigConnectParams): Promise<void> {
    if (this.#connecting) throw new UserError('a rig connection is already being opened: wait for it to finish');
    // A rig file is read before the current rig is let go, so a typo keeps the old connection.
    const fileRig = params.rigFile ? loadRigConfig(params.rigFile) : null;
    this.#connecting = true;
    try {
      await this.disconnect();
      if (fileRig) {
        this.#rigFile = params.rigFile!;
      } else {
        this.#sim = await startSimRig({ ...this.#simOptions, seed: params.seed ?? this.#simOptions.seed });
        this.#rigFile = this.#sim.rigFile;
        this.#watchSimulator(this.#sim);
      }
      await this.#open(fileRig ?? this.#sim!.config);
    } catch (error) {
      await this.disconnect();
      throw error;
    } finally {
      this.#connecting = false;
    }
  }

  /**
   * Closes the buses but keeps the rig (and the simulator) connected, for code that opens the
   * ports itself (a rollout run); resume() opens them again. The simulator's camera sockets take
   * several readers, so its live view keeps running. A real camera opens for one reader only, so
   * its view pauses until resume().
   */
  async suspend(): Promise<RigConfig> {
    const config = this.#config;
    if (!config) throw new UserError('no rig connected: connect the simulated rig or a rig file on the Rig page');
    if (this.#sim) {
      const connection = this.#connection;
      this.#connection = null;
      this.#torque.clear();
      await connection?.close();
    } else {
      await this.#closeBuses();
    }
    this.#suspended = true;
    return config;
  }

  async resume(): Promise<void> {
    if (!this.#suspended || !this.#config) return;
    this.#suspended = false;
    if (this.#cameras) {
      await this.#openBuses(this.#config);
      this.publish();
      return;
    }
    await this.#open(this.#config);
  }

  /** Reopens the buses with a changed rig configuration (after calibration); the simulator keeps running. */
  async reopen(rig: RigConfig): Promise<void> {
    await this.#closeBuses();
    await this.#open(rig);
  }

  async disconnect(): Promise<void> {
    const claim = this.#claim;
    if (claim) {
      try {
        await claim.stop();
      } catch (error) {
        log.error(`stopping ${claim.activity} before disconnecting failed: ${errorMessage(error)}`);
      }
      this.#claim = null;
    }
    await this.#closeBuses();
    const sim = this.#sim;
    this.#sim = null;
    if (sim) await sim.stop();
    this.#rigFile = null;
    this.#config = null;
    this.#suspended = false;
    this.publish();
  }

  async setTorque(arm: ArmName, enabled: boolean): Promise<void> {
    const connection = this.requireConnection();
    if (this.#claim) throw new UserError(`the rig is busy with ${this.#claim.activity}: stop it before switching torque by hand`);
    await connection.setTorque(arm, enabled);
    this.noteTorque(arm, enabled);
  }

  /** Records a torque change made by an activity (the control loop enables the followers). */
  noteTorque(arm: ArmName, enabled: boolean): void {
    this.#torque.set(arm, enabled);
    this.publish();
  }

  status(): RigStatus {
    const rig = this.#config;
    return {
      connected: rig !== null,
      source: this.#sim ? 'sim' : this.#rigFile ? 'file' : null,
      rigFile: this.#rigFile,
      name: rig?.name ?? null,
      fps: rig?.fps ?? null,
      arms: rig
        ? ARM_NAMES.map((arm) => ({
            arm,
            port: rig.arms[arm].port,
            baudRate: rig.arms[arm].baudRate,
            torque: this.#torque.get(arm) ?? null,
            motors: rig.arms[arm].motors.map((motor) => ({ id: motor.id, joint: motor.joint, model: motor.model, calibration: { ...motor.calibration } })),
          }))
        : [],
      cameras: rig?.cameras.map((camera) => camera.name) ?? [],
      jointNames: rig ? vectorNames(rig) : [],
      activity: this.activity,
    };
  }

  publish(): void {
    this.#events.emit('rig.status', this.status());
  }

  async #openBuses(rig: RigConfig): Promise<void> {
    const connection = await RigConnection.open(rig);
    this.#connection = connection;
    this.#config = rig;
    await connection.prepare();
    for (const arm of ARM_NAMES) this.#torque.set(arm, false);
  }

  async #open(rig: RigConfig): Promise<void> {
    await this.#openBuses(rig);

    this.#cameras = await openCameraFeed(rig);
    if (this.#cameras) {
      this.#cameras.on('error', (error: Error) => log.error(`cameras: ${error.message}`));
      this.#frames.attach(this.#cameras);
      await this.#cameras.start();
    }
    log.info(`rig ${rig.name} connected: ${ARM_NAMES.length} buses, ${rig.cameras.length} cameras, ${rig.fps} Hz`);
    this.publish();
  }

  async #closeBuses(): Promise<void> {
    const cameras = this.#cameras;
    const connection = this.#connection;
    this.#cameras = null;
    this.#connection = null;
    this.#torque.clear();
    this.#frames.detach();
    if (cameras) await cameras.stop();
    if (connection) await connection.close();
  }

  #watchSimulator(sim: SimRig): void {
    void sim.exited.then(() => {
      if (this.#sim !== sim) return;
      log.error('the simulated rig exited: disconnecting');
      void this.disconnect();
    });
  }
}
