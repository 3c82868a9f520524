import { UserError } from '../common/errors.js';
import type { DecodedStatusError } from '../dynamixel/status-error.js';

/** No status packet came back from one or more motors after every try. */
export class NoStatusPacketError extends UserError {
  constructor(
    readonly port: string,
    readonly motorIds: readonly number[],
    readonly tries: number,
  ) {
    // In a Sync Read every motor waits for the one before it, so one silent motor silences the
    // rest of the chain: the first missing motor is the one to check.
    const motors = motorIds.length === 1 ? `motor ${motorIds[0]}` : `motors ${motorIds.join(', ')}`;
    const check = motorIds.length === 1 ? 'check power, wiring and baud rate' : `check power, wiring and baud rate, starting with motor ${motorIds[0]}`;
    super(`no status packet from ${motors} on ${port} after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${check}`);
  }
}

/** A motor replied with a non-zero error byte; `status` contains the decoded byte and `data` what it sent. */
export class StatusPacketError extends UserError {
  constructor(
    readonly port: string,
    readonly motorId: number,
    readonly status: DecodedStatusError,
    readonly data: Buffer,
  ) {
    super(`motor ${motorId} on ${port} reported ${status.message}`);
  }
}
