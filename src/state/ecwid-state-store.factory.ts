import type { Redis, RedisOptions } from 'ioredis';
import { EcwidMemoryStateStore } from './ecwid-memory-state.store';
import { EcwidRedisStateStore } from './ecwid-redis-state.store';
import { EcwidSqliteStateStore } from './ecwid-sqlite-state.store';
import type { EcwidStateStore } from './ecwid-state-store.interface';

/** Which state store to create; SQLite and Redis need their optional peer package installed. */
export type EcwidStateStoreOptions =
  | { type: 'memory'; maxDedupEntries?: number }
  | { type: 'sqlite'; path: string }
  | { type: 'redis'; redis?: Redis | RedisOptions | string; keyPrefix?: string };

/**
 * Creates the configured store. The stores require better-sqlite3 or ioredis only when constructed,
 * so the library loads without either and throws `EcwidMissingPeerError` naming the one that is needed.
 */
export function createEcwidStateStore(options: EcwidStateStoreOptions): EcwidStateStore {
  switch (options.type) {
    case 'memory':
      return new EcwidMemoryStateStore(options.maxDedupEntries);
    case 'sqlite':
      return new EcwidSqliteStateStore({ path: options.path });
    case 'redis':
      // ioredis's own default is 127.0.0.1:6379, a local Redis on its standard port.
      return new EcwidRedisStateStore({ redis: options.redis ?? {}, keyPrefix: options.keyPrefix });
  }
}
