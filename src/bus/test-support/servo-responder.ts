import { SerialPort } from 'serialport';
import { X_SERIES, encodeField } from '../../dynamixel/control-table.js';
import { BROADCAST_ID, type DecodedPacket, Instruction, encodeStatusPacket } from '../../dynamixel/packet.js';
import { PacketParser } from '../../dynamixel/parser.js';

/** Control table size of the fake motors; covers every X-series field the bus tests touch. */
const TABLE_SIZE = 256;

interface FakeMotor {
  id: number;
  table: Buffer;
  dropReplies: number;
  corruptReplies: number;
  errorByte: number;
}

/**
 * A minimal set of Protocol 2.0 motors that reply on one end of a virtual port pair: Ping
 * (unicast and broadcast), Read, Write, Sync and Bulk Read and Write, and Reboot. Test fixture:
 * it can drop or corrupt a motor's next replies and set its error byte.
 */
export class ServoResponder {
  /** Every instruction packet received, in order. */
  readonly received: DecodedPacket[] = [];
  /** When false, broadcast pings get no reply, as from motors that do not support them. */
  answerBroadcastPing = true;
  readonly #port: SerialPort;
  readonly #parser = new PacketParser();
  readonly #motors = new Map<number, FakeMotor>();

  private constructor(port: SerialPort) {
    this.#port = port;
    this.#port.on('data', (chunk: Buffer) => {
      for (const packet of this.#parser.push(chunk)) this.#handle(packet);
    });
  }

  static open(path: string): Promise<ServoResponder> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: 1_000_000 }, (error) => (error ? reject(error) : resolve(new ServoResponder(port))));
    });
  }

  addMotor(id: number, modelNumber: number, firmware: number, position: number): void {
    const table = Buffer.alloc(TABLE_SIZE);
    table.set(encodeField(modelNumber, X_SERIES.modelNumber), X_SERIES.modelNumber.address);
    table[X_SERIES.firmwareVersion.address] = firmware;
    table[X_SERIES.id.address] = id;
    table.set(encodeField(position, X_SERIES.presentPosition), X_SERIES.presentPosition.address);
    this.#motors.set(id, { id, table, dropReplies: 0, corruptReplies: 0, errorByte: 0 });
  }

  motorTable(id: number): Buffer {
    return this.#motor(id).table;
  }

  dropReplies(id: number, count: number): void {
    this.#motor(id).dropReplies = count;
  }

  corruptReplies(id: number, count: number): void {
    this.#motor(id).corruptReplies = count;
  }

  setErrorByte(id: number, errorByte: number): void {
    this.#motor(id).errorByte = errorByte;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#port.close(() => resolve()));
  }

  #motor(id: number): FakeMotor {
    const motor = this.#motors.get(id);
    if (!motor) throw new Error(`no fake motor ${id}`);
    return motor;
  }

  #handle(packet: DecodedPacket): void {
    this.received.push(packet);
    const params = packet.params;
    const replies: Buffer[] = [];

    switch (packet.instruction) {
      case Instruction.Ping: {
        if (packet.id === BROADCAST_ID && !this.answerBroadcastPing) break;
        const targets = packet.id === BROADCAST_ID ? [...this.#motors.values()].sort((a, b) => a.id - b.id) : [this.#motors.get(packet.id)];
        for (const motor of targets) if (motor) replies.push(...this.#reply(motor, motor.table.subarray(0, 2), motor.table.subarray(6, 7)));
        break;
      }
      case Instruction.Read: {
        const motor = this.#motors.get(packet.id);
        const address = params.readUInt16LE(0);
        if (motor) replies.push(...this.#reply(motor, motor.table.subarray(address, address + params.readUInt16LE(2))));
        break;
      }
      case Instruction.Write: {
        const motor = this.#motors.get(packet.id);
        if (motor) {
          motor.table.set(params.subarray(2), params.readUInt16LE(0));
          if (packet.id !== BROADCAST_ID) replies.push(...this.#reply(motor));
        }
        break;
      }
      case Instruction.SyncRead: {
        const address = params.readUInt16LE(0);
        const length = params.readUInt16LE(2);
        for (const id of params.subarray(4)) {
          const motor = this.#motors.get(id);
          if (motor) replies.push(...this.#reply(motor, motor.table.subarray(address, address + length)));
        }
        break;
      }
      case Instruction.SyncWrite: {
        const address = params.readUInt16LE(0);
        const length = params.readUInt16LE(2);
        for (let offset = 4; offset + 1 + length <= params.length; offset += 1 + length) {
          this.#motors.get(params[offset]!)?.table.set(params.subarray(offset + 1, offset + 1 + length), address);
        }
        break;
      }
      case Instruction.BulkRead: {
        for (let offset = 0; offset + 5 <= params.length; offset += 5) {
          const motor = this.#motors.get(params[offset]!);
          const address = params.readUInt16LE(offset + 1);
          if (motor) replies.push(...this.#reply(motor, motor.table.subarray(address, address + params.readUInt16LE(offset + 3))));
        }
        break;
      }
      case Instruction.BulkWrite: {
        let offset = 0;
        while (offset + 5 <= params.length) {
          const length = params.readUInt16LE(offset + 3);
          this.#motors.get(params[offset]!)?.table.set(params.subarray(offset + 5, offset + 5 + length), params.readUInt16LE(offset + 1));
          offset += 5 + length;
        }
        break;
      }
      case Instruction.Reboot: {
        const motor = this.#motors.get(packet.id);
        if (motor) replies.push(...this.#reply(motor));
        break;
      }
    }

    if (replies.length > 0) this.#port.write(Buffer.concat(replies));
  }

  /** Builds a motor's status packet, applying any drop, corruption or error byte set for it. */
  #reply(motor: FakeMotor, ...data: Buffer[]): Buffer[] {
    if (motor.dropReplies > 0) {
      motor.dropReplies--;
      return [];
    }
    const packet = encodeStatusPacket(motor.id, motor.errorByte, Buffer.concat(data));
    if (motor.corruptReplies > 0) {
      motor.corruptReplies--;
      packet[packet.length - 1] = packet[packet.length - 1]! ^ 0xff;
    }
    return [packet];
  }
}
