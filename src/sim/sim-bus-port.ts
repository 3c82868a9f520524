import { monotonicNs } from '../common/clock.js';
import { createLogger } from '../common/log.js';
import { PacketParser } from '../dynamixel/parser.js';
import { ReplyScheduler } from './reply-scheduler.js';
import type { SimBus } from './sim-bus.js';

const log = createLogger('sim-bus');

/** The byte stream a bus is attached to: the simulator's end of a virtual serial port. */
export interface ByteStream {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
  write(bytes: Buffer): unknown;
}

export interface AttachedBus {
  /** Instruction packets dropped for a bad CRC, as real servos drop them. */
  readonly crcErrors: number;
  detach(): void;
}

/**
 * Feeds the bytes arriving on `stream` to `bus` and writes each reply when its emulated
 * wire time is over. Packets with a bad CRC are dropped without a reply.
 */
export function attachSimBus(name: string, bus: SimBus, stream: ByteStream): AttachedBus {
  const parser = new PacketParser();
  const scheduler = new ReplyScheduler((bytes) => stream.write(bytes));
  let reportedCrcErrors = 0;

  const onData = (chunk: Buffer): void => {
    const receivedAtNs = monotonicNs();
    for (const packet of parser.push(chunk)) {
      for (const reply of bus.handle(packet, receivedAtNs)) scheduler.schedule(reply.atNs, reply.bytes);
    }
    if (parser.counters.crcErrors !== reportedCrcErrors) {
      reportedCrcErrors = parser.counters.crcErrors;
      log.debug(`${name}: dropped a packet with a bad CRC (${reportedCrcErrors} so far)`);
    }
  };
  stream.on('data', onData);

  return {
    get crcErrors() {
      return parser.counters.crcErrors;
    },
    detach() {
      stream.off('data', onData);
      scheduler.close();
    },
  };
}
