import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { motorsOutOfRange } from '../rig/calibration.js';
import { ARM_NAMES, type ArmName, type Calibration } from '../rig/rig-config.js';
import type { CalibrationApi, CalibrationFlowState, CalibrationResult, CalibrationStatus, MotorCalibrationState } from './api.js';
import { type MotorSweep, calibrationFromSweep } from './calibration-sweep.js';
import { writeArmCalibration } from './rig-file-update.js';
import type { RigSession } from './rig-session.js';
import type { ServiceEvents } from './service-events.js';

const log = createLogger('calibration');
const SAMPLE_INTERVAL_MS = 50;

interface Flow {
  arm: ArmName;
  phase: 'middle' | 'range';
  positions: Array<number | null>;
  sweeps: MotorSweep[];
  timer: NodeJS.Timeout;
  release: () => void;
}

/**
 * Calibration status of every motor, and the calibration flow of one arm: torque off, mark the
 * middle pose (homing offset), sweep every joint through its range (rangeMin/rangeMax), then
 * write the result into the rig file and reopen the buses with it.
 */
export class CalibrationService implements CalibrationApi {
  readonly #session: RigSession;
  readonly #events: ServiceEvents;
  #flow: Flow | null = null;
  #sampling = false;

  constructor(session: RigSession, events: ServiceEvents) {
    this.#session = session;
    this.#events = events;
  }

  async status(): Promise<CalibrationStatus> {
    const connection = this.#session.requireConnection();
    const motors: MotorCalibrationState[] = [];
    for (const arm of ARM_NAMES) {
      const config = connection.rig.arms[arm];
      let positions: number[] | null = null;
      try {
        positions = Array.from(await connection.readPositions(arm));
      } catch (error) {
        log.warn(`${arm}: reading positions for the calibration status failed: ${errorMessage(error)}`);
      }
      const outside = positions ? new Set(motorsOutOfRange(config.motors, positions).map((motor) => motor.id)) : null;
      config.motors.forEach((motor, index) => {
        motors.push({
          arm,
          id: motor.id,
          joint: motor.joint,
          position: positions?.[index] ?? null,
          calibration: { ...motor.calibration },
          inRange: outside ? !outside.has(motor.id) : null,
        });
      });
    }
    return { motors, outOfRange: motors.filter((motor) => motor.inRange === false).length };
  }

  async begin(params: { arm: ArmName }): Promise<CalibrationFlowState> {
    const connection = this.#session.requireConnection();
    if (this.#flow) throw new UserError(`calibration of ${this.#flow.arm} is in progress: finish or cancel it first`);
    const release = this.#session.claim('calibration', async () => {
      this.#end();
    });

    try {
      await connection.setTorque(params.arm, false);
      this.#session.noteTorque(params.arm, false);
    } catch (error) {
      release();
      throw error;
    }
    const count = connection.rig.arms[params.arm].motors.length;
    this.#flow = {
      arm: params.arm,
      phase: 'middle',
      positions: new Array<number | null>(count).fill(null),
      sweeps: Array.from({ length: count }, () => ({ middle: null, min: null, max: null })),
      timer: setInterval(() => void this.#sample(), SAMPLE_INTERVAL_MS),
      release,
    };
    log.info(`${params.arm}: calibration started, torque off: hold the arm at the middle of its range`);
    return this.#publish();
  }

  async markMiddle(): Promise<CalibrationFlowState> {
    const flow = this.#requireFlow();
    await this.#sample();
    if (flow.positions.some((position) => position === null)) throw new UserError(`${flow.arm}: not every motor returned its position: check the cables and mark again`);
    flow.sweeps.forEach((sweep, index) => {
      const position = flow.positions[index]!;
      Object.assign(sweep, { middle: position, min: position, max: position });
    });
    flow.phase = 'range';
    log.info(`${flow.arm}: middle pose marked: now move every joint through its full range`);
    return this.#publish();
  }

  async finish(): Promise<CalibrationResult> {
    const flow = this.#requireFlow();
    if (flow.phase !== 'range') throw new UserError(`${flow.arm}: mark the middle pose before finishing`);
    const connection = this.#session.requireConnection();
    const rigFile = this.#session.rigFile!;

    const motors = connection.rig.arms[flow.arm].motors;
    const calibrations = new Map<number, Calibration>(motors.map((motor, index) => [motor.id, calibrationFromSweep(flow.arm, motor, flow.sweeps[index]!)]));
    const rig = writeArmCalibration(rigFile, flow.arm, calibrations);
    this.#end();

    await this.#session.reopen(rig);
    log.info(`${flow.arm}: calibration of ${motors.length} motors written to ${rigFile}`);
    return {
      arm: flow.arm,
      rigFile,
      motors: rig.arms[flow.arm].motors.map((motor) => ({ id: motor.id, joint: motor.joint, model: motor.model, calibration: { ...motor.calibration } })),
    };
  }

  async cancel(): Promise<CalibrationFlowState> {
    if (this.#flow) log.info(`${this.#flow.arm}: calibration cancelled, rig file unchanged`);
    this.#end();
    return this.#publish();
  }

  #requireFlow(): Flow {
    if (!this.#flow) throw new UserError('no calibration in progress: choose an arm and press Start calibration');
    return this.#flow;
  }

  #end(): void {
    const flow = this.#flow;
    if (!flow) return;
    clearInterval(flow.timer);
    this.#flow = null;
    flow.release();
    this.#publish();
  }

  async #sample(): Promise<void> {
    const flow = this.#flow;
    const connection = this.#session.connection;
    if (!flow || !connection || this.#sampling) return;
    this.#sampling = true;
    try {
      const positions = await connection.readPositions(flow.arm);
      positions.forEach((position, index) => {
        flow.positions[index] = position;
        const sweep = flow.sweeps[index]!;
        if (flow.phase !== 'range') return;
        sweep.min = Math.min(sweep.min ?? position, position);
        sweep.max = Math.max(sweep.max ?? position, position);
      });
      this.#publish();
    } catch (error) {
      log.warn(`${flow.arm}: reading positions during calibration failed: ${errorMessage(error)}`);
    } finally {
      this.#sampling = false;
    }
  }

  #state(): CalibrationFlowState {
    const flow = this.#flow;
    if (!flow) return { arm: null, phase: 'idle', motors: [] };
    const motors = this.#session.connection?.rig.arms[flow.arm].motors ?? [];
    return {
      arm: flow.arm,
      phase: flow.phase,
      motors: motors.map((motor, index) => ({ id: motor.id, joint: motor.joint, position: flow.positions[index] ?? null, ...flow.sweeps[index]! })),
    };
  }

  #publish(): CalibrationFlowState {
    const state = this.#state();
    this.#events.emit('calibration', state);
    return state;
  }
}
