import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

export interface RedisAvailability {
  url: string;
  available: boolean;
}

/** Connects, sends PING and exits 0 on any Redis reply (`+PONG`, or `-NOAUTH` from a server that wants a password). */
const PROBE = `
  const [host, port] = process.argv.slice(1);
  const socket = require('node:net').connect(Number(port), host, () => socket.write('PING\\r\\n'));
  socket.setTimeout(1000, () => process.exit(1));
  socket.on('error', () => process.exit(1));
  socket.on('data', (reply) => process.exit(/^[+-]/.test(reply.toString()) ? 0 : 1));
`;

let probed: RedisAvailability | undefined;

/**
 * Whether Redis answers at `REDIS_URL` (default `redis://127.0.0.1:6379`). Synchronous, in a child process,
 * because jest collects describe blocks before any async hook could run.
 */
export function redisAvailability(): RedisAvailability {
  if (!probed) {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const { hostname, port } = new URL(url);
    const probe = spawnSync(process.execPath, ['-e', PROBE, hostname, port || '6379'], { timeout: 5000 });
    probed = { url, available: probe.status === 0 };
  }
  return probed;
}

/**
 * A describe block that needs a real Redis: run when it answers; in CI (`CI=true`) failed when it does not,
 * so a green CI always means Redis was tested; elsewhere skipped with a note on how to start one.
 */
export function describeRedis(name: string, fn: () => void): void {
  const { url, available } = redisAvailability();
  if (available) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      beforeAll(() => {
        throw new Error(`Redis does not answer at ${url}, and CI must test against it. Start it with: ${START_REDIS}`);
      });
      fn();
    });
  } else {
    console.warn(`Skipping "${name}": Redis is not running at ${url}. Start it with: ${START_REDIS}`);
    describe.skip(name, fn);
  }
}

/** A key prefix no other run or suite uses, so tests can share one Redis and clean up after themselves. */
export function uniqueRedisPrefix(suite: string): string {
  return `test:${suite}:${randomUUID()}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<void> {
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
    if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
  }
}
