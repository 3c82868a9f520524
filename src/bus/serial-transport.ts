import { SerialPort } from 'serialport';
import { UserError, errorMessage } from '../common/errors.js';
import type { ByteTransport } from './transport.js';

/** A serial port (USB-serial adapter or virtual port) opened through the `serialport` package. */
export class SerialPortTransport implements ByteTransport {
  readonly #port: SerialPort;

  constructor(
    readonly path: string,
    readonly baudRate: number,
  ) {
    this.#port = new SerialPort({ path, baudRate, autoOpen: false });
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#port.open((error) => (error ? reject(openError(this.path, error)) : resolve()));
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#port.write(Buffer.from(bytes), (error) => {
        if (error) reject(new UserError(`write to serial port ${this.path} failed: ${error.message}`));
        else resolve();
      });
    });
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    this.#port.on('data', listener);
    return () => this.#port.off('data', listener);
  }

  close(): Promise<void> {
    if (!this.#port.isOpen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#port.close((error) => (error ? reject(new UserError(`closing serial port ${this.path} failed: ${error.message}`)) : resolve()));
    });
  }
}

function openError(path: string, error: Error): Error {
  const message = errorMessage(error);
  if (/no such file|ENOENT/i.test(message)) {
    return new UserError(`serial port ${path} not found: run \`rdvla bus ports\` to list ports`);
  }
  if (/permission denied|EACCES/i.test(message)) {
    return new UserError(`no permission to open serial port ${path}: add your user to the dialout group and log in again`);
  }
  if (/cannot lock port|resource temporarily unavailable|EBUSY/i.test(message)) {
    return new UserError(`serial port ${path} is in use by another program: close it and try again`);
  }
  return new UserError(`opening serial port ${path} failed: ${message}`);
}
