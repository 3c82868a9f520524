import { UserError } from '../common/errors.js';
import { listSerialPorts } from '../bus/port-discovery.js';
import { ALL_MOTOR_IDS } from '../bus/bus-scan.js';
import { DynamixelBus, type ScanEntry } from '../bus/servo-bus.js';
import { modelNameOf } from '../dynamixel/control-table.js';
import { ARM_NAMES } from '../rig/rig-config.js';
import type { BusScanResult, RigApi, RigConnectParams, RigStatus, ScanParams, SerialPortEntry, TorqueParams } from './api.js';
import type { RigSession } from './rig-session.js';

const DEFAULT_SCAN_BAUD = 1_000_000;

/** Rig connection, port listing, motor scans and torque. */
export class RigService implements RigApi {
  readonly #session: RigSession;

  constructor(session: RigSession) {
    this.#session = session;
  }

  async status(): Promise<RigStatus> {
    return this.#session.status();
  }

  async connect(params: RigConnectParams): Promise<RigStatus> {
    await this.#session.connect(params);
    return this.#session.status();
  }

  async disconnect(): Promise<RigStatus> {
    await this.#session.disconnect();
    return this.#session.status();
  }

  /** Lists USB serial ports, plus the ports of the connected rig (the simulator's are not USB devices). */
  async listPorts(): Promise<SerialPortEntry[]> {
    const entries: SerialPortEntry[] = (await listSerialPorts()).map((port) => ({ ...port }));
    const rig = this.#session.connection?.rig;
    if (!rig) return entries;
    for (const arm of ARM_NAMES) {
      const port = rig.arms[arm].port;
      const known = entries.find((entry) => entry.path === port || entry.byIdPath === port);
      if (known) known.arm = arm;
      else entries.push({ path: port, arm });
    }
    return entries;
  }

  /**
   * Scans one port, or every bus of the connected rig. The rig's buses are scanned through the
   * open connection while no loop runs; another port is opened for the scan and closed after.
   */
  async scanMotors(params: ScanParams): Promise<BusScanResult[]> {
    const connection = this.#session.connection;
    const rigArm = connection ? ARM_NAMES.find((arm) => connection.rig.arms[arm].port === params.port) : undefined;

    if (params.port && !rigArm) {
      const baudRate = params.baudRate ?? DEFAULT_SCAN_BAUD;
      const bus = await DynamixelBus.openSerial(params.port, baudRate, { latencyMs: 16 });
      try {
        return [{ port: params.port, arm: null, baudRate, motors: (await bus.scan(ALL_MOTOR_IDS)).map(scannedMotor) }];
      } finally {
        await bus.close();
      }
    }

    if (!connection) throw new UserError('no rig connected and no port given: connect a rig, or pick a port to scan');
    const release = this.#session.claim('scan', async () => {});
    try {
      const arms = rigArm ? [rigArm] : ARM_NAMES;
      const results: BusScanResult[] = [];
      for (const arm of arms) {
        const config = connection.rig.arms[arm];
        const found = await connection.buses[arm].scan(config.motors.map((motor) => motor.id));
        results.push({ port: config.port, arm, baudRate: config.baudRate, motors: found.map(scannedMotor) });
      }
      return results;
    } finally {
      release();
    }
  }

  async setTorque(params: TorqueParams): Promise<RigStatus> {
    await this.#session.setTorque(params.arm, params.enabled);
    return this.#session.status();
  }
}

function scannedMotor(entry: ScanEntry): BusScanResult['motors'][number] {
  return { id: entry.id, modelNumber: entry.modelNumber, modelName: modelNameOf(entry.modelNumber) ?? null, firmware: entry.firmware, position: entry.position };
}
