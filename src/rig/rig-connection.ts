import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { DynamixelBus } from '../bus/servo-bus.js';
import { MODEL_NUMBERS, OperatingMode, X_SERIES, encodeValue, modelNameOf, readInt16LE, readInt32LE } from '../dynamixel/control-table.js';
import { motorsOutOfRange } from './calibration.js';
import type { ArmConfig, ArmName, RigConfig, ServoModel } from './rig-config.js';
import { ARM_NAMES } from './rig-config.js';

const log = createLogger('rig');

/** Present Current .. Present Position (addresses 126-135) in one read: current 2, velocity 4, position 4 bytes. */
const STATE_BLOCK = { address: X_SERIES.presentCurrent.address, length: 10 } as const;

/** Present Velocity unit: 0.229 rev/min. */
const RAD_PER_S_PER_VELOCITY_UNIT = (0.229 * 2 * Math.PI) / 60;

/** Present Current unit in mA; the XL430-W250 reports Present Load in 0.1 % instead, stored as is. */
const CURRENT_UNIT_MA: Record<ServoModel, number> = {
  'xm430-w350': 2.69,
  'xm540-w270': 2.69,
  'xl330-m288': 1,
  'xl430-w250': 0.1,
};

/** One arm's motor readings in motor order: raw positions, velocity in rad/s, current in mA. */
export interface ArmState {
  positionRaw: Int32Array;
  velocity: Float32Array;
  current: Float32Array;
}

/** The four servo buses of a bimanual leader-follower rig, checked against the rig file. */
export class RigConnection {
  readonly rig: RigConfig;
  readonly buses: Readonly<Record<ArmName, DynamixelBus>>;

  private constructor(rig: RigConfig, buses: Record<ArmName, DynamixelBus>) {
    this.rig = rig;
    this.buses = buses;
  }

  /** Opens every bus and pings every motor; a missing motor or wrong model ends in UserError. */
  static async open(rig: RigConfig): Promise<RigConnection> {
    const opened: Partial<Record<ArmName, DynamixelBus>> = {};
    try {
      for (const arm of ARM_NAMES) {
        const config = rig.arms[arm];
        opened[arm] = await DynamixelBus.openSerial(config.port, config.baudRate, {
          latencyMs: config.latencyMs,
          returnDelayUs: config.returnDelayUs,
        });
      }
      const connection = new RigConnection(rig, opened as Record<ArmName, DynamixelBus>);
      await Promise.all(ARM_NAMES.map((arm) => connection.#checkMotors(arm)));
      return connection;
    } catch (error) {
      await Promise.allSettled(Object.values(opened).map((bus) => bus.close()));
      throw error;
    }
  }

  async #checkMotors(arm: ArmName): Promise<void> {
    const config = this.rig.arms[arm];
    const bus = this.buses[arm];
    for (const motor of config.motors) {
      const found = await bus.ping(motor.id);
      if (!found) {
        throw new UserError(
          `motor ${motor.id} (${motor.joint}) of ${arm} on ${config.port} did not respond to a ping: check its power, cable and id, and that the bus runs at ${config.baudRate} baud`,
        );
      }
      if (found.modelNumber !== MODEL_NUMBERS[motor.model]) {
        const foundName = modelNameOf(found.modelNumber) ?? `model number ${found.modelNumber}`;
        throw new UserError(`motor ${motor.id} (${motor.joint}) of ${arm} on ${config.port} reports model ${foundName} but the rig file expects ${motor.model}: fix the model in the rig file`);
      }
    }
    log.info(`${arm}: ${config.motors.length} motors found on ${config.port}`);
  }

  /**
   * Sets up the motors for teleop: Return Delay Time from the rig file, position mode for the
   * followers, torque off on the leaders so the operator can move them. Checks that every
   * follower sits inside its calibrated range.
   */
  async prepare(): Promise<void> {
    await Promise.all(
      ARM_NAMES.map(async (arm) => {
        const config = this.rig.arms[arm];
        await this.setTorque(arm, false);
        await this.#writeAll(arm, X_SERIES.returnDelayTime.address, 1, Math.round(config.returnDelayUs / 2));
        if (arm.endsWith('follower')) await this.#writeAll(arm, X_SERIES.operatingMode.address, 1, OperatingMode.Position);
      }),
    );

    for (const arm of ARM_NAMES) {
      const positions = await this.readPositions(arm);
      const outside = motorsOutOfRange(this.rig.arms[arm].motors, Array.from(positions));
      for (const motor of outside) {
        log.warn(`${arm}: motor ${motor.id} (${motor.joint}) is outside its calibrated range ${motor.calibration.rangeMin}..${motor.calibration.rangeMax}: check the calibration`);
      }
    }
  }

  async #writeAll(arm: ArmName, address: number, size: 1 | 2 | 4, value: number): Promise<void> {
    const values = new Map(this.rig.arms[arm].motors.map((motor) => [motor.id, encodeValue(value, size)]));
    await this.buses[arm].syncWrite(address, size, values);
  }

  setTorque(arm: ArmName, enabled: boolean): Promise<void> {
    return this.#writeAll(arm, X_SERIES.torqueEnable.address, 1, enabled ? 1 : 0);
  }

  /** Reads Present Position of every motor of an arm with one Sync Read. */
  async readPositions(arm: ArmName): Promise<Int32Array> {
    const config = this.rig.arms[arm];
    const ids = motorIds(config);
    const replies = await this.buses[arm].syncRead(X_SERIES.presentPosition.address, 4, ids);
    return Int32Array.from(ids, (id) => readInt32LE(replies.get(id)!));
  }

  /** Reads current, velocity and position of every motor of an arm with one Sync Read. */
  async readState(arm: ArmName): Promise<ArmState> {
    const config = this.rig.arms[arm];
    const ids = motorIds(config);
    const replies = await this.buses[arm].syncRead(STATE_BLOCK.address, STATE_BLOCK.length, ids);
    const state: ArmState = {
      positionRaw: new Int32Array(ids.length),
      velocity: new Float32Array(ids.length),
      current: new Float32Array(ids.length),
    };
    config.motors.forEach((motor, index) => {
      const data = replies.get(motor.id)!;
      state.current[index] = readInt16LE(data, 0) * CURRENT_UNIT_MA[motor.model];
      state.velocity[index] = readInt32LE(data, 2) * RAD_PER_S_PER_VELOCITY_UNIT;
      state.positionRaw[index] = readInt32LE(data, 6);
    });
    return state;
  }

  /** Writes Goal Position of every motor of an arm with one Sync Write; `raw` is in motor order. */
  writeGoals(arm: ArmName, raw: ArrayLike<number>): Promise<void> {
    const config = this.rig.arms[arm];
    const values = new Map(config.motors.map((motor, index) => [motor.id, encodeValue(raw[index]!, 4)]));
    return this.buses[arm].syncWrite(X_SERIES.goalPosition.address, 4, values);
  }

  async close(): Promise<void> {
    await Promise.allSettled(ARM_NAMES.map((arm) => this.buses[arm].close()));
  }
}

function motorIds(config: ArmConfig): number[] {
  return config.motors.map((motor) => motor.id);
}
