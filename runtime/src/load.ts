/**
 * How busy a service's handlers are, in a SharedArrayBuffer: the main thread writes the figures as
 * they change, and the health responder (which may run on a thread of its own) reads them, so a
 * health reply can tell a drowning service from an idle one even while the main thread is stuck.
 */
const IN_FLIGHT = 0;
const PENDING = 1;
const DROPPED = 2;
const SLOTS = 3;

export interface LoadFigures {
  /** Async handlers running now. */
  inFlight: number;
  /** Messages received and waiting for a free handler slot. */
  pending: number;
  /** Messages dropped since start because the pending limits were reached. */
  dropped: number;
}

export class HandlerLoad {
  readonly #view: Int32Array;

  /** A new set of figures, or a view of `buffer` made by another thread's HandlerLoad. */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT)) {
    this.#view = new Int32Array(buffer);
  }

  set inFlight(n: number) {
    Atomics.store(this.#view, IN_FLIGHT, n);
  }

  set pending(n: number) {
    Atomics.store(this.#view, PENDING, n);
  }

  addDropped(n = 1): void {
    Atomics.add(this.#view, DROPPED, n);
  }

  read(): LoadFigures {
    return {
      inFlight: Atomics.load(this.#view, IN_FLIGHT),
      pending: Atomics.load(this.#view, PENDING),
      dropped: Atomics.load(this.#view, DROPPED),
    };
  }
}
