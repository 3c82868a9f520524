/** Highest ID a motor can have: 253 and 255 are not used, and 254 is the broadcast ID. */
export const MAX_MOTOR_ID = 252;

export interface DynamixelBusOptions {
  /** USB-serial adapter latency in ms: 16 for an FTDI adapter at its default, 1 once its latency timer is lowered. */
  latencyMs?: number;
  /** Return Delay Time of the motors in us (factory setting 500; teleoperation rigs often set 0). */
  returnDelayUs?: number;
  /** Attempts per transaction before giving up (default 3). */
  tries?: number;
  /** Extra wait per transaction in ms for operating-system scheduling (default 5). */
  marginMs?: number;
  /** Status Return Level of the motors: 2 replies to everything, 1 to reads and pings only, 0 to pings only. */
  statusReturnLevel?: 0 | 1 | 2;
}

export interface PingResult {
  id: number;
  modelNumber: number;
  firmware: number;
}

export interface ScanEntry extends PingResult {
  /** Present Position as a signed 32-bit value, or null when the motor did not return it. */
  position: number | null;
}

export interface BusCounters {
  transactions: number;
  timeouts: number;
  crcErrors: number;
  retries: number;
  statusErrors: number;
  /** Packets received during a transaction that match no request: late replies, adapter echo, wrong IDs or sizes. */
  unexpectedPackets: number;
  /** Bytes received between transactions, e.g. replies that came after their timeout. */
  strayBytes: number;
}

export interface TransactionRecord {
  instruction: number;
  motorIds: readonly number[];
  tries: number;
  /** Time the bytes of every try spent on the wire, sent and received, in us. */
  busTimeUs: number;
  /** Time from the first write to the last reply or timeout, in ms. */
  elapsedMs: number;
}
