/** Ecwid's `errorCode` for each HTTP status the sandbox can answer with. */
const ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'WRONG_PARAMETER',
  402: 'NOT_AVAILABLE_ON_CURRENT_PLAN',
  403: 'INVALID_API_TOKEN',
  404: 'RESOURCE_NOT_FOUND',
  408: 'TIMEOUT',
  409: 'CONSTRAINT_VIOLATION',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
};

export function ecwidErrorCodeFor(status: number): string {
  return ERROR_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'WRONG_PARAMETER');
}

/** An Ecwid API error: the HTTP layer answers it as `{ errorMessage, errorCode }`, direct callers get it thrown. */
export class EcwidSandboxError extends Error {
  readonly errorCode: string;

  constructor(
    readonly status: number,
    message: string,
    errorCode: string = ecwidErrorCodeFor(status),
  ) {
    super(message);
    this.name = 'EcwidSandboxError';
    this.errorCode = errorCode;
  }
}
