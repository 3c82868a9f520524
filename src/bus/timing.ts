/**
 * Bus timing. A UART byte is 10 bits on the wire (start bit, 8 data bits, stop bit), so at
 * 1 Mbps one byte takes 10 us.
 */
export const BITS_PER_BYTE = 10;

/** Fixed bytes of a status packet around its data: header, ID, LEN, INST, error and CRC. */
export const STATUS_PACKET_OVERHEAD = 11;

export function wireTimeUs(bytes: number, baudRate: number): number {
  return (bytes * BITS_PER_BYTE * 1e6) / baudRate;
}

export interface TimeoutInputs {
  baudRate: number;
  bytesSent: number;
  bytesExpected: number;
  /** Status packets expected; each motor waits its return delay before replying. */
  replies: number;
  returnDelayUs: number;
  /** USB-serial adapter latency: FTDI chips hold received bytes up to 16 ms by default. */
  latencyMs: number;
  marginMs: number;
}

/** Time to wait for every status packet of one transaction, in milliseconds. */
export function transactionTimeoutMs(inputs: TimeoutInputs): number {
  const wireUs = wireTimeUs(inputs.bytesSent + inputs.bytesExpected, inputs.baudRate);
  const delayUs = inputs.replies * inputs.returnDelayUs;
  return (wireUs + delayUs) / 1000 + inputs.latencyMs + inputs.marginMs;
}
