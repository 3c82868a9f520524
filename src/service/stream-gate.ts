import type { StudioTopic } from './api.js';

/** Topics whose newest event replaces an unsent older one; the others are queued in full. */
const LATEST_WINS: ReadonlySet<StudioTopic> = new Set(['rig.status', 'loop', 'joints', 'frame', 'recording', 'calibration', 'rollout']);

/** Key under which an event waits while the connection is busy; null queues it without replacement. */
export function latestWinsKey(topic: StudioTopic, data: unknown): string | null {
  if (!LATEST_WINS.has(topic)) return null;
  if (topic === 'frame') return `frame:${(data as { camera: string }).camera}`;
  return topic;
}

const RETRY_MS = 15;

/**
 * Backpressure for one client connection. Events are sent while the connection is writable;
 * while it is not, only the newest event per key waits (latest wins per camera, per stream),
 * so a slow window shows fresh frames late rather than old frames forever.
 */
export class StreamGate {
  readonly #send: (text: string) => void;
  readonly #writable: () => boolean;
  readonly #pending = new Map<string, string>();
  #sequence = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(send: (text: string) => void, writable: () => boolean) {
    this.#send = send;
    this.#writable = writable;
  }

  get pending(): number {
    return this.#pending.size;
  }

  offer(key: string | null, text: string): void {
    if (this.#closed) return;
    const slot = key ?? `#${this.#sequence++}`;
    this.#pending.delete(slot);
    this.#pending.set(slot, text);
    this.flush();
  }

  flush(): void {
    for (const [slot, text] of this.#pending) {
      if (this.#closed || !this.#writable()) break;
      this.#pending.delete(slot);
      this.#send(text);
    }
    if (this.#pending.size > 0 && !this.#timer && !this.#closed) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.flush();
      }, RETRY_MS);
    }
  }

  close(): void {
    this.#closed = true;
    this.#pending.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
