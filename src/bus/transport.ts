/**
 * A byte stream to a servo bus: a USB-serial adapter, or anything that behaves like one
 * (a virtual serial port, an in-process simulator).
 */
export interface ByteTransport {
  /** Name used in messages, e.g. the device path. */
  readonly path: string;
  /** Bit rate on the wire, used to compute transmission times. */
  readonly baudRate: number;
  open(): Promise<void>;
  /** Resolves once the bytes have been handed to the operating system. */
  write(bytes: Uint8Array): Promise<void>;
  /** Subscribes to received chunks; returns the unsubscribe function. */
  onData(listener: (chunk: Buffer) => void): () => void;
  close(): Promise<void>;
}
