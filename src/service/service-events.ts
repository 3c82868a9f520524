import { EventEmitter } from 'node:events';
import type { StudioEvents, StudioTopic } from './api.js';

type Listener<T extends StudioTopic> = (data: StudioEvents[T]) => void;

/** Typed event streams of the service; transports subscribe per topic. */
export class ServiceEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Each browser tab or window subscribes to every topic once.
    this.#emitter.setMaxListeners(200);
  }

  emit<T extends StudioTopic>(topic: T, data: StudioEvents[T]): void {
    this.#emitter.emit(topic, data);
  }

  /** Adds a listener; returns the function that removes it. */
  on<T extends StudioTopic>(topic: T, listener: Listener<T>): () => void {
    this.#emitter.on(topic, listener);
    return () => this.#emitter.off(topic, listener);
  }
}
