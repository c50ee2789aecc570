import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** Names this process in a lease: readable in logs, unique even for two workers of one host and pid. */
export function ecwidLeaseHolderId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
