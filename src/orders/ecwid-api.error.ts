export type EcwidApiFailure = 'http' | 'timeout' | 'network';

export interface EcwidApiErrorDetails {
  method: string;
  /** Path below the store root, e.g. `/orders/K8XTQ`; query strings are not kept, since they may hold customer data. */
  path: string;
  failure: EcwidApiFailure;
  status?: number;
  errorCode?: string;
  errorMessage?: string;
  /** Seconds Ecwid asked to wait (429). */
  retryAfterSeconds?: number;
  /** Attempts made, retries included. */
  attempts: number;
}

/** A failed Ecwid API call. Carries what a caller needs to react, and never the token. */
export class EcwidApiError extends Error {
  override readonly name = 'EcwidApiError';
  readonly method: string;
  readonly path: string;
  readonly failure: EcwidApiFailure;
  readonly status?: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly retryAfterSeconds?: number;
  readonly attempts: number;

  constructor(details: EcwidApiErrorDetails) {
    super(EcwidApiError.describe(details));
    this.method = details.method;
    this.path = details.path;
    this.failure = details.failure;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.errorMessage = details.errorMessage;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.attempts = details.attempts;
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  get isRateLimited(): boolean {
    return this.status === 429;
  }

  toJSON(): Omit<EcwidApiErrorDetails, never> & { name: string; message: string } {
    return {
      name: this.name,
      message: this.message,
      method: this.method,
      path: this.path,
      failure: this.failure,
      status: this.status,
      errorCode: this.errorCode,
      errorMessage: this.errorMessage,
      retryAfterSeconds: this.retryAfterSeconds,
      attempts: this.attempts,
    };
  }

  private static describe(d: EcwidApiErrorDetails): string {
    const what =
      d.failure === 'http'
        ? [d.status, d.errorCode, d.errorMessage].filter((x) => x !== undefined && x !== '').join(' ')
        : d.failure === 'timeout'
          ? 'timed out'
          : `network error${d.errorMessage ? ` (${d.errorMessage})` : ''}`;
    return `Ecwid API ${d.method} ${d.path} failed: ${what}${d.attempts > 1 ? ` after ${d.attempts} attempts` : ''}`;
  }
}

/** Thrown when a call needs a setting the configuration lacks (e.g. no v3 token). */
export class EcwidNotConfiguredError extends Error {
  override readonly name = 'EcwidNotConfiguredError';
}
