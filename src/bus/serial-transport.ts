import { SerialPort } from 'serialport';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import type { ByteTransport } from './transport.js';

const log = createLogger('serial-port');

/** A serial port (USB-serial adapter or virtual port) opened through the `serialport` package. */
export class SerialPortTransport implements ByteTransport {
  readonly #port: SerialPort;

  #closedUnexpectedly: string | null = null;

  constructor(
    readonly path: string,
    readonly baudRate: number,
  ) {
    this.#port = new SerialPort({ path, baudRate, autoOpen: false });
    // Without an 'error' listener an unplugged adapter (EIO) would crash the process. The
    // failure reaches the caller through the next write instead.
    this.#port.on('error', (error: Error) => {
      log.error(`serial port ${path}: ${error.message}`);
      this.#closedUnexpectedly ??= error.message;
    });
    this.#port.on('close', (error: (Error & { disconnected?: boolean }) | null) => {
      if (error?.disconnected) {
        log.error(`serial port ${path} disconnected`);
        this.#closedUnexpectedly ??= 'the device was disconnected';
      }
    });
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#port.open((error) => (error ? reject(openError(this.path, error)) : resolve()));
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#closedUnexpectedly !== null) {
      return Promise.reject(new UserError(`serial port ${this.path} failed (${this.#closedUnexpectedly}): check the USB cable and adapter, then reconnect`));
    }
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
