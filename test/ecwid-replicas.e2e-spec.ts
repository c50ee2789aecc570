import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { EcwidModule, EcwidOrderEvent, OnEcwidEvent } from 'nestjs-ecwid';
import { EcwidCallbackReceiver, EcwidSandbox } from 'nestjs-ecwid/testing';
import { startApp, TestApp } from './support/apps';
import { BridgeProcess } from './support/bridge-process';
import { EventRecorder } from './support/recorder';
import { deleteRedisKeys, describeRedis, redisAvailability, uniqueRedisPrefix } from './support/redis';
import { CLIENT_SECRET, deliver, orderWebhook, STORE_ID } from './support/webhooks';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Takes its time over each new order, as a listener that writes to a slow database would. */
@Injectable()
class SlowOrderListener {
  readonly orderIds: string[] = [];

  @OnEcwidEvent('order.created')
  async handle(event: EcwidOrderEvent): Promise<void> {
    this.orderIds.push(event.orderId);
    await sleep(300);
  }
}

function duplicates(ids: string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}

describeRedis('several replicas sharing one Redis', () => {
  const { url } = redisAvailability();

  it('a burst of deliveries with duplicates, spread over two apps, emits each event exactly once and loses none', async () => {
    const keyPrefix = uniqueRedisPrefix('replicas-webhooks');
    const replica = (adapter: 'express' | 'fastify') =>
      startApp(adapter, {
        imports: [EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET, state: { type: 'redis', redis: url, keyPrefix } })],
        providers: [EventRecorder],
      });
    const apps: TestApp[] = [await replica('express'), await replica('fastify')];
    try {
      const events = Array.from({ length: 300 }, () => orderWebhook('order.created'));
      const deliveries = events.flatMap((event) => [event, event, event]).map((event, i) => ({ event, app: apps[(i * 7 + (i >> 2)) % 2] }));
      const outcomes: string[] = [];
      const toRetry: typeof deliveries = [];
      for (let i = 0; i < deliveries.length; i += 30) {
        const batch = deliveries.slice(i, i + 30);
        const answers = await Promise.all(batch.map(({ event, app }) => deliver(app.url, event)));
        answers.forEach((res, j) => {
          // 409: a copy that arrived while another replica was still handling the event, so Ecwid will send it again.
          expect([200, 409]).toContain(res.status);
          if (res.status === 409) toRetry.push(batch[j]);
          else outcomes.push((res.body as { outcome: string }).outcome);
        });
      }
      const emitted = apps.flatMap((t) => t.app.get(EventRecorder).events.map((e) => e.eventId));
      expect(emitted).toHaveLength(300);
      expect(new Set(emitted)).toEqual(new Set(events.map((e) => e.eventId)));
      expect(outcomes.filter((o) => o === 'emitted')).toHaveLength(300);
      // Ecwid's retry of each of those finds the event handled.
      const retried = await Promise.all(toRetry.map(({ event, app }) => deliver(app.url, event)));
      expect(retried.every((res) => res.status === 200 && (res.body as { outcome: string }).outcome === 'duplicate')).toBe(true);
      expect(apps.every((t) => t.app.get(EventRecorder).events.length > 0)).toBe(true);
    } finally {
      for (const t of apps) await t.close();
    }
  });

  it('sends each callback notification from one replica only', async () => {
    const keyPrefix = uniqueRedisPrefix('replicas-notifications');
    const receiver = await new EcwidCallbackReceiver().start();
    const replica = (adapter: 'express' | 'fastify') =>
      startApp(adapter, {
        imports: [
          EcwidModule.forRoot({
            storeId: STORE_ID,
            clientSecret: CLIENT_SECRET,
            state: { type: 'redis', redis: url, keyPrefix },
            notifications: { enabled: true, callbackUrl: receiver.url, retryUnitMs: 5 },
          }),
        ],
      });
    const apps: TestApp[] = [await replica('express'), await replica('fastify')];
    try {
      const events = Array.from({ length: 60 }, () => orderWebhook('order.created'));
      await Promise.all(events.flatMap((event, i) => [deliver(apps[i % 2].url, event), deliver(apps[(i + 1) % 2].url, event)]));
      const notifiedOrders = () => receiver.delivered.flatMap((n) => n.body.message.events.map((e) => e.objectId));
      await receiver.waitFor(() => notifiedOrders().length >= 60);
      await sleep(500);
      expect(notifiedOrders().sort()).toEqual(events.map((e) => (e.data as { orderId: string }).orderId).sort());
      expect(duplicates(receiver.received.map((n) => n.id))).toEqual([]);
    } finally {
      for (const t of apps) await t.close();
      await receiver.stop();
    }
  });

  it('keeps the polling lease while a page is handled for longer than its TTL, so no order is emitted by both replicas', async () => {
    const sandbox = await new EcwidSandbox().start();
    sandbox.seedOrders(10);
    const keyPrefix = uniqueRedisPrefix('replicas-slow-page');
    const replica = () =>
      Test.createTestingModule({
        imports: [
          EcwidModule.forRoot({
            storeId: sandbox.storeId,
            token: sandbox.token,
            apiBaseUrl: sandbox.apiBaseUrl,
            polling: { enabled: true, intervalMinutes: 1 / 60, leaseTtlMs: 1000, pageSize: 10, startFrom: new Date(Date.now() - 3_600_000) },
            state: { type: 'redis', redis: url, keyPrefix },
          }),
        ],
        providers: [SlowOrderListener],
      }).compile();
    const refs: TestingModule[] = [];
    try {
      for (let i = 0; i < 2; i++) refs.push(await (await replica()).init());
      const emitted = () => refs.flatMap((ref) => ref.get(SlowOrderListener).orderIds);
      for (let waited = 0; new Set(emitted()).size < 10 && waited < 20_000; waited += 100) await sleep(100);
      // Long enough for a replica that took a lapsed lease to read the window again, had it lapsed.
      await sleep(3000);
      expect(new Set(emitted())).toEqual(new Set(sandbox.listOrders().map((o) => o.id)));
      expect(emitted()).toHaveLength(10);
    } finally {
      for (const ref of refs) await ref.close();
      await sandbox.stop();
      const admin = new Redis(url);
      await deleteRedisKeys(admin, keyPrefix);
      await admin.quit();
    }
  }, 40_000);

  it('only one replica polls, and killing it with SIGKILL hands polling to the other without losing a change', async () => {
    const sandbox = await new EcwidSandbox().start();
    const leaseTtlMs = 2000;
    const env = {
      ECWID_STORE_ID: String(sandbox.storeId),
      ECWID_TOKEN: sandbox.token,
      ECWID_API_BASE_URL: sandbox.apiBaseUrl,
      ECWID_POLLING: 'true',
      ECWID_POLL_INTERVAL_MINUTES: '0.017',
      ECWID_POLL_LEASE_TTL_MS: String(leaseTtlMs),
      ECWID_STATE: url,
      ECWID_STATE_KEY_PREFIX: uniqueRedisPrefix('replicas-polling'),
    };
    const replicas = [new BridgeProcess(env), new BridgeProcess(env)];
    try {
      await Promise.all(replicas.map((r) => r.waitFor((log) => log.includes('Bridge listening'), 20_000, 'listening')));
      const holds = (r: BridgeProcess) => r.log.includes('holds the polling lease');
      await replicas[0].waitFor(() => replicas.some(holds), 10_000, 'a lease holder');
      const leader = replicas.find(holds)!;
      const standby = replicas.find((r) => r !== leader)!;
      await sleep(500);

      const created: string[] = [];
      const createFor = async (ms: number) => {
        for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) created.push(sandbox.createOrder().id);
      };
      await createFor(2500);
      expect(standby.orderIds('ecwid.order.created')).toEqual([]);
      expect(leader.orderIds('ecwid.order.created').length).toBeGreaterThan(0);

      const killedAt = Date.now();
      await leader.kill('SIGKILL');
      await createFor(2500);
      await standby.waitFor(() => holds(standby), 2 * leaseTtlMs + 1000, 'taking over the lease');
      expect(Date.now() - killedAt).toBeLessThan(2 * leaseTtlMs + 1000);

      const union = () => [...leader.orderIds('ecwid.order.created'), ...standby.orderIds('ecwid.order.created')];
      await standby.waitFor(() => created.every((id) => union().includes(id)), 15_000, 'every created order');
      expect(new Set(union())).toEqual(new Set(created));
      // At most the event in flight when the leader died is handled twice.
      expect(duplicates(union()).length).toBeLessThanOrEqual(1);
    } finally {
      for (const r of replicas) await r.kill('SIGKILL');
      await sandbox.stop();
    }
  }, 60_000);
});

describe('the bridge killed with SIGKILL in the middle of a polling backfill', () => {
  it('emits every change at least once after a restart, with no duplicates beyond the window in flight', async () => {
    let offsetMs = -600_000;
    const sandbox = await new EcwidSandbox({ now: () => Date.now() + offsetMs }).start();
    sandbox.seedOrders(20_000, (i) => ({ paymentStatus: i % 4 === 0 ? 'PAID' : 'AWAITING_PAYMENT' }));
    offsetMs = 0;
    const dir = mkdtempSync(join(tmpdir(), 'ecwid-bridge-kill-'));
    const env = {
      ECWID_STORE_ID: String(sandbox.storeId),
      ECWID_TOKEN: sandbox.token,
      ECWID_API_BASE_URL: sandbox.apiBaseUrl,
      ECWID_POLLING: 'true',
      ECWID_POLL_FROM: new Date(Date.now() - 3_600_000).toISOString(),
      ECWID_POLL_INTERVAL_MINUTES: '0.017',
      // The killed process still holds the lease; the restarted one takes over when it runs out.
      ECWID_POLL_LEASE_TTL_MS: '2000',
      ECWID_REQUESTS_PER_MINUTE: '60000',
      ECWID_STATE: `sqlite:${join(dir, 'state.db')}`,
    };
    const created = (b: BridgeProcess) => b.orderIds('ecwid.order.created');
    const first = new BridgeProcess(env);
    let second: BridgeProcess | undefined;
    try {
      await first.waitFor(() => created(first).length >= 5000, 60_000, '5000 events');
      await first.kill('SIGKILL');
      const beforeKill = created(first);
      expect(beforeKill.length).toBeLessThan(20_000);

      second = new BridgeProcess(env);
      await second.waitFor((log) => log.includes('Bridge listening'), 20_000, 'listening');
      const all = new Set(sandbox.listOrders().map((o) => o.id));
      const restarted = second;
      await restarted.waitFor(() => new Set([...beforeKill, ...created(restarted)]).size === all.size, 90_000, 'every order');
      const union = [...beforeKill, ...created(restarted)];
      expect(new Set(union)).toEqual(all);
      // The window in flight is at most one page of 100 orders; with per-event dedup it is at most one event.
      expect(duplicates(union).length).toBeLessThanOrEqual(100);
      expect(duplicates(created(restarted))).toEqual([]);
    } finally {
      await first.kill('SIGKILL');
      await second?.kill('SIGKILL');
      await sandbox.stop();
    }
  }, 180_000);
});
