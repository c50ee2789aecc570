import { inspect } from 'node:util';

export const REDACTED = '[redacted]';

/**
 * Holds a credential so that logging, `JSON.stringify` or `util.inspect` of its owner never shows it. A string, or any
 * value that may hold one (an instance configuration key the module does not know).
 */
export class EcwidSecret<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
