import { inspect } from 'node:util';

export const REDACTED = '[redacted]';

/** Holds a credential so that logging, `JSON.stringify` or `util.inspect` of its owner never shows it. */
export class EcwidSecret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
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
