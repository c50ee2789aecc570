import { LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';

/** Everything the app logs, through Nest's logger. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (...parts: unknown[]): void => this.keep(parts);
  error = (...parts: unknown[]): void => this.keep(parts);
  warn = (...parts: unknown[]): void => this.keep(parts);
  debug = (...parts: unknown[]): void => this.keep(parts);
  verbose = (...parts: unknown[]): void => this.keep(parts);

  private keep(parts: unknown[]): void {
    this.lines.push(parts.map((part) => (typeof part === 'string' ? part : inspect(part))).join(' '));
  }
}
