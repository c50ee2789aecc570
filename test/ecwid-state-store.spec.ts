import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import {
  createEcwidStateStore,
  EcwidMissingPeerError,
  EcwidOrderSnapshot,
  EcwidRedisConnectError,
  EcwidRedisError,
  EcwidRedisStateStore,
  EcwidStateStore,
} from 'nestjs-ecwid';
import { deleteRedisKeys, describeRedis, redisAvailability, uniqueRedisPrefix } from './support/redis';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function snapshot(internalId: number, paymentStatus = 'AWAITING_PAYMENT'): EcwidOrderSnapshot {
  return {
    orderId: `K${internalId}`,
    internalId,
    paymentStatus,
    fulfillmentStatus: 'AWAITING_PROCESSING',
    updateTimestamp: 1_700_000_000 + internalId,
  };
}

/** One kind of store. `open()` returns a store on the current test's data; in a `shared` backend every open sees the same data. */
interface Backend {
  name: 'memory' | 'sqlite' | 'redis';
  describe: (name: string, fn: () => void) => void;
  shared: boolean;
  setUp(): Promise<void>;
  /** Points later `open()` calls at fresh, empty data. */
  renew(): void;
  open(): EcwidStateStore;
  tearDown(): Promise<void>;
}

const memory: Backend = {
  name: 'memory',
  describe,
  shared: false,
  setUp: async () => undefined,
  renew: () => undefined,
  open: () => createEcwidStateStore({ type: 'memory' }),
  tearDown: async () => undefined,
};

function sqliteBackend(): Backend {
  let dir = '';
  let path = '';
  let count = 0;
  return {
    name: 'sqlite',
    describe,
    shared: true,
    setUp: async () => {
      dir = mkdtempSync(join(tmpdir(), 'ecwid-state-'));
    },
    renew: () => {
      path = join(dir, `test-${++count}`, 'state.db');
    },
    open: () => createEcwidStateStore({ type: 'sqlite', path }),
    tearDown: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function redisBackend(): Backend {
  const runPrefix = uniqueRedisPrefix('state-store');
  let admin: Redis | undefined;
  let prefix = '';
  let count = 0;
  return {
    name: 'redis',
    describe: describeRedis,
    shared: true,
    setUp: async () => {
      admin = new Redis(redisAvailability().url);
    },
    renew: () => {
      prefix = `${runPrefix}${++count}:`;
    },
    open: () => createEcwidStateStore({ type: 'redis', redis: redisAvailability().url, keyPrefix: prefix }),
    tearDown: async () => {
      if (!admin) return;
      await deleteRedisKeys(admin, runPrefix);
      await admin.quit();
    },
  };
}

describe.each([memory, sqliteBackend(), redisBackend()])('$name state store', (backend) => {
  backend.describe(`EcwidStateStore on ${backend.name}`, () => {
    const opened: EcwidStateStore[] = [];
    let store: EcwidStateStore;

    const open = () => {
      const next = backend.open();
      opened.push(next);
      return next;
    };
    const closeAll = async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    };

    beforeAll(() => backend.setUp());
    afterAll(() => backend.tearDown());
    beforeEach(() => {
      backend.renew();
      store = open();
    });
    afterEach(closeAll);

    describe('dedup', () => {
      it('claims an id once, reports it in flight, then as a duplicate once completed', async () => {
        expect(await store.claim('evt-1')).toBe('claimed');
        expect(await store.claim('evt-1')).toBe('in-flight');
        expect(await store.claim('evt-2')).toBe('claimed');
        await store.complete('evt-1', 60);
        expect(await store.claim('evt-1')).toBe('duplicate');
        expect(await store.claim('evt-2')).toBe('in-flight');
      });

      it('lets a caller take over an in-flight claim, but never a completed one', async () => {
        await store.claim('evt-1');
        expect(await store.claim('evt-1', { takeOver: true })).toBe('claimed');
        expect(await store.claim('evt-1')).toBe('in-flight');
        await store.complete('evt-1', 60);
        expect(await store.claim('evt-1', { takeOver: true })).toBe('duplicate');
        expect(await store.claim('evt-2', { takeOver: true })).toBe('claimed');
      });

      it('forgets a released claim so the retry is handled again', async () => {
        await store.claim('evt-1');
        await store.release('evt-1');
        expect(await store.claim('evt-1')).toBe('claimed');
      });

      it('forgets a completed id after its TTL', async () => {
        await store.claim('evt-1');
        await store.complete('evt-1', 1);
        expect(await store.claim('evt-1')).toBe('duplicate');
        await sleep(1100);
        expect(await store.claim('evt-1')).toBe('claimed');
      });

      it('tells what a claim would find without claiming, and without using room', async () => {
        expect(await store.peek!('evt-1')).toBeUndefined();
        expect(await store.claim('evt-1')).toBe('claimed');
        expect(await store.peek!('evt-1')).toBe('in-flight');
        await store.complete('evt-1', 1);
        expect(await store.peek!('evt-1')).toBe('duplicate');
        await store.claim('evt-2');
        await store.release('evt-2');
        expect(await store.peek!('evt-2')).toBeUndefined();
        expect(await store.claim('evt-2')).toBe('claimed');
        await sleep(1100);
        expect(await store.peek!('evt-1')).toBeUndefined();
      });
    });

    describe('cursors', () => {
      it('has no value for an unknown key, then the last value set for each key', async () => {
        expect(await store.getCursor('1003:orders')).toBeUndefined();
        await store.setCursor('1003:orders', 1_700_000_000);
        await store.setCursor('1003:orders', 1_700_000_500);
        await store.setCursor('1004:orders', 1_600_000_000);
        expect(await store.getCursor('1003:orders')).toBe(1_700_000_500);
        expect(await store.getCursor('1004:orders')).toBe(1_600_000_000);
      });
    });

    describe('snapshots', () => {
      it('reads back, in one batch, the snapshots of a page that exist', async () => {
        const page = Array.from({ length: 100 }, (_, i) => snapshot(1000 + i));
        await store.putSnapshots(1003, page);
        const asked = Array.from({ length: 150 }, (_, i) => 950 + i);
        const found = await store.getSnapshots(1003, asked);
        expect(found.size).toBe(100);
        expect(found.get(1000)).toEqual(page[0]);
        expect(found.get(1099)).toEqual(page[99]);
        expect(found.has(999)).toBe(false);
      });

      it('overwrites a snapshot by internal id', async () => {
        await store.putSnapshots(1003, [snapshot(1, 'AWAITING_PAYMENT')]);
        await store.putSnapshots(1003, [snapshot(1, 'PAID')]);
        expect((await store.getSnapshots(1003, [1])).get(1)?.paymentStatus).toBe('PAID');
      });

      it('keeps the snapshots of each store apart and deletes only those asked', async () => {
        await store.putSnapshots(1003, [snapshot(1, 'PAID'), snapshot(2)]);
        await store.putSnapshots(2004, [snapshot(1, 'REFUNDED')]);
        await store.deleteSnapshots(1003, [1]);
        expect([...(await store.getSnapshots(1003, [1, 2])).keys()]).toEqual([2]);
        expect((await store.getSnapshots(2004, [1])).get(1)?.paymentStatus).toBe('REFUNDED');
      });

      it('accepts empty batches', async () => {
        await store.putSnapshots(1003, []);
        await store.deleteSnapshots(1003, []);
        expect((await store.getSnapshots(1003, [])).size).toBe(0);
      });
    });

    describe('leases', () => {
      it('grants a free lease, renews it for its holder and refuses another holder', async () => {
        expect(await store.acquireLease('1003:poll', 'a', 10_000)).toBe(true);
        expect(await store.acquireLease('1003:poll', 'a', 10_000)).toBe(true);
        expect(await store.acquireLease('1003:poll', 'b', 10_000)).toBe(false);
        expect(await store.acquireLease('1004:poll', 'b', 10_000)).toBe(true);
      });

      it('lets another holder take a lease whose holder stopped renewing', async () => {
        await store.acquireLease('1003:poll', 'a', 300);
        await sleep(400);
        expect(await store.acquireLease('1003:poll', 'b', 10_000)).toBe(true);
        expect(await store.acquireLease('1003:poll', 'a', 10_000)).toBe(false);
      });

      it('is released by its holder only', async () => {
        await store.acquireLease('1003:poll', 'a', 10_000);
        await store.releaseLease('1003:poll', 'b');
        expect(await store.acquireLease('1003:poll', 'b', 10_000)).toBe(false);
        await store.releaseLease('1003:poll', 'a');
        expect(await store.acquireLease('1003:poll', 'b', 10_000)).toBe(true);
      });
    });

    describe('records and counters', () => {
      it('lists the records of a collection in id order, after an id and up to a limit', async () => {
        await store.putRecords('outbox', [
          { id: '0003', value: 'c' },
          { id: '0001', value: 'a' },
          { id: '0002', value: 'b' },
        ]);
        await store.putRecords('other', [{ id: '0001', value: 'x' }]);
        expect(await store.listRecords('outbox')).toEqual([
          { id: '0001', value: 'a' },
          { id: '0002', value: 'b' },
          { id: '0003', value: 'c' },
        ]);
        expect(await store.listRecords('outbox', { afterId: '0001', limit: 1 })).toEqual([{ id: '0002', value: 'b' }]);
        expect(await store.listRecords('missing')).toEqual([]);
      });

      it('overwrites a record by id and deletes only those asked', async () => {
        await store.putRecords('outbox', [{ id: 'a', value: '1' }, { id: 'b', value: '2' }]);
        await store.putRecords('outbox', [{ id: 'a', value: '3' }]);
        await store.deleteRecords('outbox', ['b', 'nope']);
        expect(await store.listRecords('outbox')).toEqual([{ id: 'a', value: '3' }]);
        await store.putRecords('outbox', []);
        await store.deleteRecords('outbox', []);
      });

      it('counts up from 1, per counter', async () => {
        expect(await store.increment('seq')).toBe(1);
        expect(await store.increment('seq')).toBe(2);
        expect(await store.increment('other')).toBe(1);
      });
    });

    if (backend.shared) {
      describe('shared by several connections', () => {
        it('keeps cursors, snapshots, done ids and claims when closed and reopened', async () => {
          await store.setCursor('1003:orders', 1_700_000_000);
          await store.putSnapshots(1003, [snapshot(7, 'PAID')]);
          await store.claim('evt-done');
          await store.complete('evt-done', 600);
          await store.claim('evt-running');
          await closeAll();

          const reopened = open();
          expect(await reopened.getCursor('1003:orders')).toBe(1_700_000_000);
          expect((await reopened.getSnapshots(1003, [7])).get(7)).toEqual(snapshot(7, 'PAID'));
          expect(await reopened.claim('evt-done')).toBe('duplicate');
          expect(await reopened.claim('evt-running')).toBe('in-flight');
        });

        it('claims each id exactly once when two connections race', async () => {
          const other = open();
          const ids = Array.from({ length: 200 }, (_, i) => `evt-${i}`);
          const results = await Promise.all(ids.flatMap((id) => [store.claim(id), other.claim(id)]));
          for (let i = 0; i < ids.length; i++) {
            expect([results[2 * i], results[2 * i + 1]].sort()).toEqual(['claimed', 'in-flight']);
          }
        });

        it('grants a contested lease to exactly one holder', async () => {
          const other = open();
          const keys = Array.from({ length: 50 }, (_, i) => `${i}:poll`);
          const results = await Promise.all(
            keys.map((key) => Promise.all([store.acquireLease(key, 'a', 10_000), other.acquireLease(key, 'b', 10_000)])),
          );
          for (const pair of results) expect(pair.filter(Boolean)).toHaveLength(1);
        });
      });
    }
  });
});

describe('EcwidSqliteStateStore', () => {
  it('creates the folders of its file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecwid-state-'));
    const path = join(dir, 'a', 'b', 'state.db');
    const store = createEcwidStateStore({ type: 'sqlite', path });
    await store.setCursor('k', 1);
    await store.close();
    expect(existsSync(path)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});

describeRedis('EcwidRedisStateStore connections', () => {
  const { url } = redisAvailability();
  const clientCount = async (connectionName: string) => {
    const admin = new Redis(url);
    const list = await admin.client('LIST');
    await admin.quit();
    return String(list).split('\n').filter((line) => line.includes(` name=${connectionName} `)).length;
  };

  it('quits the client it created from a URL', async () => {
    const name = `ecwid-test-${randomUUID()}`;
    const withName = new URL(url);
    withName.searchParams.set('connectionName', name);
    const store = new EcwidRedisStateStore({ redis: withName.toString(), keyPrefix: uniqueRedisPrefix('conn') });
    await store.getCursor('k');
    expect(await clientCount(name)).toBe(1);
    await store.close();
    expect(await clientCount(name)).toBe(0);
  });

  it('fails a command refused for its credentials with an error that carries no password', async () => {
    // ioredis's own error holds the AUTH command, password included, for whoever logs or serializes what they caught.
    const refused = new URL(url);
    refused.username = 'ecwid-no-such-user';
    refused.password = 'S3CRET-redis-pw';
    const store = new EcwidRedisStateStore({ redis: refused.toString(), keyPrefix: uniqueRedisPrefix('conn') });
    try {
      const thrown = await store.getCursor('k').catch((error: unknown) => error);
      expect(thrown).toBeInstanceOf(EcwidRedisError);
      expect(thrown).toMatchObject({ message: expect.stringContaining('WRONGPASS') });
      const shown = `${(thrown as Error).message} ${(thrown as Error).stack} ${JSON.stringify(thrown)} ${inspect(thrown, { depth: 10, showHidden: true })}`;
      expect(shown).not.toContain('S3CRET');
    } finally {
      await store.close();
    }
  });

  it('leaves open a client it was given', async () => {
    const client = new Redis(url);
    const store = new EcwidRedisStateStore({ redis: client, keyPrefix: uniqueRedisPrefix('conn') });
    await store.getCursor('k');
    await store.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });
});

describe('EcwidRedisStateStore given a URL it cannot use', () => {
  it('throws an error that carries no part of the URL: not in its message, JSON or util.inspect', () => {
    let thrown: unknown;
    try {
      new EcwidRedisStateStore({ redis: 'redis://default:k9/Qx+S3CRET=@redis.internal:6379' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EcwidRedisConnectError);
    expect(thrown).toMatchObject({ code: 'ERR_INVALID_URL', message: expect.stringContaining('escape reserved characters in the password') });
    const shown = `${(thrown as Error).message} ${JSON.stringify(thrown)} ${inspect(thrown, { depth: 10, showHidden: true })}`;
    for (const part of ['k9', 'Qx', 'S3CRET', 'redis.internal']) expect(shown).not.toContain(part);
  });
});

describe('optional peer packages', () => {
  const notFound = (name: string) => Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });

  afterEach(() => jest.resetModules());

  it('loads the library without better-sqlite3 or ioredis', () => {
    jest.doMock('better-sqlite3', () => {
      throw notFound('better-sqlite3');
    });
    jest.doMock('ioredis', () => {
      throw notFound('ioredis');
    });
    jest.isolateModules(() => {
      expect(() => require('../src/index')).not.toThrow();
      const { createEcwidStateStore: create } = require('../src/state/ecwid-state-store.factory');
      expect(create({ type: 'memory' })).toBeDefined();
    });
  });

  it('says which package to install when the chosen store needs a missing one', () => {
    jest.doMock('better-sqlite3', () => {
      throw notFound('better-sqlite3');
    });
    jest.doMock('ioredis', () => {
      throw notFound('ioredis');
    });
    jest.isolateModules(() => {
      const { createEcwidStateStore: create } = require('../src/state/ecwid-state-store.factory');
      const { EcwidMissingPeerError: MissingPeer } = require('../src/state/ecwid-missing-peer.error');
      expect(() => create({ type: 'sqlite', path: ':memory:' })).toThrow(MissingPeer);
      expect(() => create({ type: 'sqlite', path: ':memory:' })).toThrow('npm install better-sqlite3@^12');
      expect(() => create({ type: 'redis' })).toThrow('npm install ioredis@^5');
    });
  });

  it('says to allow the install script when better-sqlite3 was installed without its native build', () => {
    jest.doMock('better-sqlite3', () =>
      jest.fn(() => {
        throw new Error('Could not locate the bindings file. Tried:\n → build/Release/better_sqlite3.node');
      }),
    );
    jest.isolateModules(() => {
      const { createEcwidStateStore: create } = require('../src/state/ecwid-state-store.factory');
      expect(() => create({ type: 'sqlite', path: ':memory:' })).toThrow('npm install-scripts approve better-sqlite3');
    });
  });

  it('passes on other failures unchanged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecwid-state-'));
    writeFileSync(join(dir, 'file'), '');
    let thrown: unknown;
    try {
      createEcwidStateStore({ type: 'sqlite', path: join(dir, 'file', 'state.db') });
    } catch (error) {
      thrown = error;
    }
    rmSync(dir, { recursive: true, force: true });
    expect((thrown as NodeJS.ErrnoException).code).toBe('EEXIST');
    expect(thrown).not.toBeInstanceOf(EcwidMissingPeerError);
  });
});
