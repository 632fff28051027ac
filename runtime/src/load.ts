/**
 * How busy a service's handlers are, in a SharedArrayBuffer: the main thread writes the figures as
 * they change, and the health responder (which may run on a thread of its own) reads them, so a
 * health reply can tell a drowning service from an idle one even while the main thread is stuck.
 *
 * Layout: the service's totals (3 Int32), then HANDLER_SLOTS slots of 4 Int32 (inFlight, pending,
 * dropped, length of the subject), then each slot's subject as UTF-8 (SUBJECT_BYTES). The subject
 * lives in the buffer too, because handlers register after the health thread has started.
 */
const FIGURES = 3;
const IN_FLIGHT = 0;
const PENDING = 1;
const DROPPED = 2;
const NAME_LENGTH = 3;
const SLOT_INTS = 4;

/** Handlers with figures of their own; more registrations than this count only in the totals. */
export const HANDLER_SLOTS = 32;
/** Bytes of a subject kept; a longer one is cut (a health reply stays small). */
const SUBJECT_BYTES = 128;
const INTS = FIGURES + HANDLER_SLOTS * SLOT_INTS;
const BUFFER_BYTES = INTS * Int32Array.BYTES_PER_ELEMENT + HANDLER_SLOTS * SUBJECT_BYTES;

export interface HandlerFigures {
  /** Async handlers running now. */
  inFlight: number;
  /** Messages received and waiting for a free handler slot. */
  pending: number;
  /** Messages dropped since start because the pending limits were reached. */
  dropped: number;
}

export interface LoadFigures extends HandlerFigures {
  /** The same figures per registration, keyed by subject (the first HANDLER_SLOTS registrations). */
  handlers: Record<string, HandlerFigures>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class HandlerLoad {
  readonly #ints: Int32Array;
  readonly #names: Uint8Array;

  /** A new set of figures, or a view of `buffer` made by another thread's HandlerLoad. */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BUFFER_BYTES)) {
    this.#ints = new Int32Array(buffer, 0, INTS);
    this.#names = new Uint8Array(buffer, INTS * Int32Array.BYTES_PER_ELEMENT, HANDLER_SLOTS * SUBJECT_BYTES);
  }

  set inFlight(n: number) {
    Atomics.store(this.#ints, IN_FLIGHT, n);
  }

  set pending(n: number) {
    Atomics.store(this.#ints, PENDING, n);
  }

  addDropped(n = 1): void {
    Atomics.add(this.#ints, DROPPED, n);
  }

  /** A slot for a new registration's figures, or -1 when all are taken (then only the totals count it). */
  claim(subject: string): number {
    for (let slot = 0; slot < HANDLER_SLOTS; slot++) {
      const base = FIGURES + slot * SLOT_INTS;
      if (Atomics.load(this.#ints, base + NAME_LENGTH) !== 0) continue;
      const { written } = encoder.encodeInto(subject, this.#names.subarray(slot * SUBJECT_BYTES, (slot + 1) * SUBJECT_BYTES));
      for (const figure of [IN_FLIGHT, PENDING, DROPPED]) Atomics.store(this.#ints, base + figure, 0);
      // The length last: a reader lists the slot only once its subject is written.
      Atomics.store(this.#ints, base + NAME_LENGTH, Math.max(written, 1));
      return slot;
    }
    return -1;
  }

  release(slot: number): void {
    if (slot >= 0) Atomics.store(this.#ints, FIGURES + slot * SLOT_INTS + NAME_LENGTH, 0);
  }

  /** Sets a slot's inFlight and pending (and nothing when `slot` is -1). */
  setHandler(slot: number, inFlight: number, pending: number): void {
    if (slot < 0) return;
    const base = FIGURES + slot * SLOT_INTS;
    Atomics.store(this.#ints, base + IN_FLIGHT, inFlight);
    Atomics.store(this.#ints, base + PENDING, pending);
  }

  addHandlerDropped(slot: number): void {
    if (slot >= 0) Atomics.add(this.#ints, FIGURES + slot * SLOT_INTS + DROPPED, 1);
  }

  read(): LoadFigures {
    // No prototype: a subject may be "__proto__".
    const handlers = Object.create(null) as Record<string, HandlerFigures>;
    for (let slot = 0; slot < HANDLER_SLOTS; slot++) {
      const base = FIGURES + slot * SLOT_INTS;
      const length = Atomics.load(this.#ints, base + NAME_LENGTH);
      if (length === 0) continue;
      // slice() copies out of the shared memory, which TextDecoder does not read.
      let subject = decoder.decode(this.#names.slice(slot * SUBJECT_BYTES, slot * SUBJECT_BYTES + length));
      // One subject registered twice (in different queue groups) keeps both entries.
      if (Object.hasOwn(handlers, subject)) subject = `${subject} #${slot + 1}`;
      handlers[subject] = {
        inFlight: Atomics.load(this.#ints, base + IN_FLIGHT),
        pending: Atomics.load(this.#ints, base + PENDING),
        dropped: Atomics.load(this.#ints, base + DROPPED),
      };
    }
    return {
      inFlight: Atomics.load(this.#ints, IN_FLIGHT),
      pending: Atomics.load(this.#ints, PENDING),
      dropped: Atomics.load(this.#ints, DROPPED),
      handlers,
    };
  }
}
