import { Logger } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { ECWID_IN_FLIGHT_TTL_MS, type EcwidClaimOptions, type EcwidDedupClaim, type EcwidDedupSeen } from './ecwid-dedup-store.interface';
import { loadEcwidPeer } from './ecwid-missing-peer.error';
import type { EcwidOrderSnapshot, EcwidRecord, EcwidStateStore } from './ecwid-state-store.interface';

export interface EcwidRedisStateStoreOptions {
  /** A client to share (left open by `close()`), or the options or URL of one this store creates and closes. */
  redis: Redis | RedisOptions | string;
  /** Put before every key this store writes. Default `ecwid:`. */
  keyPrefix?: string;
}

const IN_FLIGHT = 'inflight';
const DONE = 'done';

/** Each check-then-write runs as one Lua script, so replicas sharing this Redis never interleave inside it. */
const SCRIPTS = {
  ecwidClaim: `
    if redis.call('SET', KEYS[1], '${IN_FLIGHT}', 'NX', 'PX', ARGV[1]) then return 'claimed' end
    if redis.call('GET', KEYS[1]) == '${DONE}' then return 'duplicate' end
    if ARGV[2] ~= '1' then return 'in-flight' end
    redis.call('SET', KEYS[1], '${IN_FLIGHT}', 'PX', ARGV[1])
    return 'claimed'`,
  ecwidRelease: `
    if redis.call('GET', KEYS[1]) == '${IN_FLIGHT}' then redis.call('DEL', KEYS[1]) end
    return 0`,
  ecwidAcquireLease: `
    local holder = redis.call('GET', KEYS[1])
    if holder and holder ~= ARGV[1] then return 0 end
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1`,
  ecwidReleaseLease: `
    if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
    return 0`,
};

/** The client once the scripts above are defined on it as commands (EVALSHA, with EVAL when Redis lost the script). */
interface EcwidScriptedRedis extends Redis {
  ecwidClaim(key: string, inFlightTtlMs: number, takeOver: 0 | 1): Promise<EcwidDedupClaim>;
  ecwidRelease(key: string): Promise<number>;
  ecwidAcquireLease(key: string, holder: string, ttlMs: number): Promise<number>;
  ecwidReleaseLease(key: string, holder: string): Promise<number>;
}

const INSTALL = 'Install it with `npm install ioredis@^5`.';
/** Retries of a command while the connection is down, for clients this store creates; overridable in their options. */
const FAIL_FAST_RETRIES = 2;

/** State in Redis, shared by every replica of the app: claims and leases are atomic across processes. */
export class EcwidRedisStateStore implements EcwidStateStore {
  private readonly redis: EcwidScriptedRedis;
  private readonly owned: boolean;
  private readonly prefix: string;

  constructor(options: EcwidRedisStateStoreOptions) {
    this.owned = !isRedisClient(options.redis);
    const client = isRedisClient(options.redis) ? options.redis : connect(options.redis);
    if (this.owned) reportOutages(client);
    for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { lua, numberOfKeys: 1 });
    this.redis = client as EcwidScriptedRedis;
    this.prefix = options.keyPrefix ?? 'ecwid:';
  }

  async claim(eventId: string, options: EcwidClaimOptions = {}): Promise<EcwidDedupClaim> {
    return this.run(this.redis.ecwidClaim(this.dedupKey(eventId), ECWID_IN_FLIGHT_TTL_MS, options.takeOver ? 1 : 0));
  }

  async peek(eventId: string): Promise<EcwidDedupSeen> {
    const value = await this.run(this.redis.get(this.dedupKey(eventId)));
    return value === DONE ? 'duplicate' : value === IN_FLIGHT ? 'in-flight' : undefined;
  }

  async complete(eventId: string, ttlSeconds: number): Promise<void> {
    // PX rather than EX, so a fractional TTL is kept as the memory and SQLite stores keep it.
    await this.run(this.redis.set(this.dedupKey(eventId), DONE, 'PX', Math.round(ttlSeconds * 1000)));
  }

  async release(eventId: string): Promise<void> {
    await this.run(this.redis.ecwidRelease(this.dedupKey(eventId)));
  }

  async getCursor(key: string): Promise<number | undefined> {
    const value = await this.run(this.redis.get(`${this.prefix}cursor:${key}`));
    return value === null ? undefined : Number(value);
  }

  async setCursor(key: string, value: number): Promise<void> {
    await this.run(this.redis.set(`${this.prefix}cursor:${key}`, String(value)));
  }

  async getSnapshots(storeId: number, internalIds: number[]): Promise<Map<number, EcwidOrderSnapshot>> {
    const found = new Map<number, EcwidOrderSnapshot>();
    // Redis refuses HMGET, HSET and HDEL without fields.
    if (internalIds.length === 0) return found;
    const values = await this.run(this.redis.hmget(this.snapshotKey(storeId), ...internalIds.map(String)));
    values.forEach((value, index) => {
      if (value !== null) found.set(internalIds[index], JSON.parse(value) as EcwidOrderSnapshot);
    });
    return found;
  }

  async putSnapshots(storeId: number, snapshots: EcwidOrderSnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    await this.run(this.redis.hset(this.snapshotKey(storeId), Object.fromEntries(snapshots.map((s) => [s.internalId, JSON.stringify(s)]))));
  }

  async deleteSnapshots(storeId: number, internalIds: number[]): Promise<void> {
    if (internalIds.length === 0) return;
    await this.run(this.redis.hdel(this.snapshotKey(storeId), ...internalIds.map(String)));
  }

  async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.run(this.redis.ecwidAcquireLease(`${this.prefix}lease:${key}`, holder, ttlMs))) === 1;
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    await this.run(this.redis.ecwidReleaseLease(`${this.prefix}lease:${key}`, holder));
  }

  /** A hash holds the values; a sorted set with equal scores orders the ids as strings for ZRANGEBYLEX. */
  async putRecords(collection: string, records: EcwidRecord[]): Promise<void> {
    if (records.length === 0) return;
    const [values, index] = this.recordKeys(collection);
    await this.run(
      this.redis
        .multi()
        .hset(values, ...records.flatMap((r) => [r.id, r.value]))
        .zadd(index, ...records.flatMap((r) => [0, r.id]))
        .exec(),
    );
  }

  async listRecords(collection: string, options: { afterId?: string; limit?: number } = {}): Promise<EcwidRecord[]> {
    const [values, index] = this.recordKeys(collection);
    const from = options.afterId === undefined ? '-' : `(${options.afterId}`;
    const ids = await this.run(this.redis.zrangebylex(index, from, '+', 'LIMIT', 0, options.limit ?? -1));
    if (ids.length === 0) return [];
    const found = await this.run(this.redis.hmget(values, ...ids));
    return ids.flatMap((id, i) => (found[i] === null ? [] : [{ id, value: found[i] as string }]));
  }

  async deleteRecords(collection: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const [values, index] = this.recordKeys(collection);
    await this.run(this.redis.multi().hdel(values, ...ids).zrem(index, ...ids).exec());
  }

  async increment(counter: string): Promise<number> {
    return this.run(this.redis.incr(`${this.prefix}counter:${counter}`));
  }

  /**
   * A command's result, or its failure as an EcwidRedisError: ioredis's errors carry the command and its arguments
   * (the password of a failed AUTH, a record's value), and a host that logs or serializes what it caught would show
   * them.
   */
  private run<T>(command: Promise<T>): Promise<T> {
    return command.catch((error: unknown) => {
      throw new EcwidRedisError(error);
    });
  }

  private recordKeys(collection: string): [string, string] {
    return [`${this.prefix}records:${collection}`, `${this.prefix}records-index:${collection}`];
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    // QUIT lets pending replies arrive; with no connection it would only wait out the reconnect attempts.
    if (this.redis.status === 'ready') await this.redis.quit();
    else this.redis.disconnect();
  }

  private dedupKey(eventId: string): string {
    return `${this.prefix}dedup:${eventId}`;
  }

  private snapshotKey(storeId: number): string {
    return `${this.prefix}snap:${storeId}`;
  }
}

function isRedisClient(value: Redis | RedisOptions | string): value is Redis {
  return typeof value === 'object' && typeof (value as Redis).defineCommand === 'function';
}

/**
 * Logs a client's outage once, and its recovery, through Nest's logger. Without an error listener ioredis writes
 * every failed reconnect to stderr. A client the host passed in is the host's to watch.
 */
function reportOutages(client: Redis): void {
  const logger = new Logger('EcwidState');
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`Redis is unreachable (${error.message}); deliveries are answered 503 until it is back`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log('Redis is reachable again');
  });
}

function connect(target: RedisOptions | string): Redis {
  const RedisClient = loadEcwidPeer('ioredis', INSTALL, () => (require('ioredis') as { Redis: typeof Redis }).Redis);
  // ioredis retries a command 20 times by default, 10.5 s of backoff while Redis is down: a webhook would hang past
  // any sender's patience. Two retries ride out a blip and fail within a fraction of a second, and the sender retries.
  try {
    return typeof target === 'string'
      ? new RedisClient(target, { maxRetriesPerRequest: FAIL_FAST_RETRIES })
      : new RedisClient({ maxRetriesPerRequest: FAIL_FAST_RETRIES, ...target });
  } catch (error) {
    throw new EcwidRedisConnectError(error);
  }
}

/** A failed Redis command: its message and code, without the command, its arguments or anything else of the original. */
export class EcwidRedisError extends Error {
  override readonly name = 'EcwidRedisError';
  readonly code?: string;

  constructor(error: unknown) {
    super(error instanceof Error ? error.message : 'Redis command failed');
    const code = (error as { code?: unknown } | undefined)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/**
 * A client that could not be created. Node's URL error carries the whole URL (password included) in `input` and its
 * message, so only its code is kept: no message, `input` or `cause` of the original.
 */
export class EcwidRedisConnectError extends Error {
  override readonly name = 'EcwidRedisConnectError';
  readonly code?: string;

  constructor(error: unknown) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    super(
      code === 'ERR_INVALID_URL'
        ? 'The Redis URL is not a valid URL (escape reserved characters in the password)'
        : `Cannot create the Redis client (${typeof code === 'string' ? code : 'error'})`,
    );
    this.code = typeof code === 'string' ? code : undefined;
  }
}
