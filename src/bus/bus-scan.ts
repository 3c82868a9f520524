import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { X_SERIES, readField } from '../dynamixel/control-table.js';
import { MAX_MOTOR_ID, type PingResult, type ScanEntry } from './bus-types.js';
import type { DynamixelBus } from './servo-bus.js';

const log = createLogger('bus-scan');

export const ALL_MOTOR_IDS: readonly number[] = Array.from({ length: MAX_MOTOR_ID + 1 }, (_, id) => id);

/**
 * Finds the motors on a bus by broadcast ping, or by pinging each of `fallbackIds` once when
 * the broadcast found nothing or its replies collided (CRC errors), then reads each motor's
 * Present Position as a signed 32-bit value.
 */
export async function scanBus(bus: DynamixelBus, fallbackIds: readonly number[]): Promise<ScanEntry[]> {
  const crcErrorsBefore = bus.counters.crcErrors;
  let found = await bus.broadcastPing();
  const crcErrors = bus.counters.crcErrors - crcErrorsBefore;

  if (found.length === 0 || crcErrors > 0) {
    log.info(`${bus.port}: broadcast ping found ${found.length} motors with ${crcErrors} CRC errors, pinging ${fallbackIds.length} IDs one by one`);
    found = await pingEach(bus, fallbackIds);
  }

  const entries: ScanEntry[] = [];
  for (const motor of found) entries.push({ ...motor, position: await readPosition(bus, motor.id) });
  return entries;
}

async function pingEach(bus: DynamixelBus, ids: readonly number[]): Promise<PingResult[]> {
  const found: PingResult[] = [];
  for (const id of ids) {
    const result = await bus.ping(id, 1);
    if (result) found.push(result);
  }
  return found;
}

async function readPosition(bus: DynamixelBus, id: number): Promise<number | null> {
  const field = X_SERIES.presentPosition;
  try {
    return readField(await bus.read(id, field.address, field.size), field);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    log.warn(`${bus.port}: motor ${id} replied to ping but not to the Present Position read: ${error.message}`);
    return null;
  }
}
