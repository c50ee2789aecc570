import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EcwidCallbackReceiver, EcwidSandbox } from 'nestjs-ecwid/testing';
import { BridgeProcess } from './support/bridge-process';

const SIGNATURE_KEY = 'durability_signature_key';

describe('notifications across a SIGKILL of the bridge with a full outbox', () => {
  it('delivers every notification once the receiver is back and the bridge restarted', async () => {
    let offsetMs = -600_000;
    const sandbox = await new EcwidSandbox({ now: () => Date.now() + offsetMs }).start();
    sandbox.seedOrders(300);
    offsetMs = 0;
    // A port that refuses connections until the receiver starts on it.
    const probe = await new EcwidCallbackReceiver().start();
    const port = Number(new URL(probe.url).port);
    await probe.stop();
    const receiver = new EcwidCallbackReceiver({ port, signatureKey: SIGNATURE_KEY });
    const env = {
      ECWID_STORE_ID: String(sandbox.storeId),
      ECWID_TOKEN: sandbox.token,
      ECWID_API_BASE_URL: sandbox.apiBaseUrl,
      ECWID_POLLING: 'true',
      ECWID_POLL_FROM: new Date(Date.now() - 3_600_000).toISOString(),
      ECWID_POLL_INTERVAL_MINUTES: '0.017',
      ECWID_POLL_LEASE_TTL_MS: '1000',
      ECWID_STATE: `sqlite:${join(mkdtempSync(join(tmpdir(), 'ecwid-outbox-')), 'state.db')}`,
      ECWID_NOTIFICATIONS: 'true',
      ECWID_NOTIFICATION_CALLBACK_URL: receiver.url,
      ECWID_NOTIFICATION_SIGNATURE_KEY: SIGNATURE_KEY,
    };
    const first = new BridgeProcess(env);
    let second: BridgeProcess | undefined;
    try {
      await first.waitFor((log) => log.includes('window done: 300/300'), 30_000, 'the backfill');
      expect(first.orderIds('ecwid.order.created')).toHaveLength(300);
      await first.kill('SIGKILL');

      await receiver.start();
      second = new BridgeProcess(env);
      const all = sandbox.listOrders().map((o) => o.id);
      const notified = () => new Set(receiver.delivered.flatMap((n) => n.body.message.events.map((e) => e.objectId)));
      await receiver.waitFor(() => all.every((id) => notified().has(id)), 30_000);
      expect(receiver.received.every((n) => n.signatureValid)).toBe(true);
      expect(Math.max(...receiver.received.map((n) => n.body.message.events.length))).toBeLessThanOrEqual(10);
      // The restarted bridge found the changes handled: it emitted none again, it only sent what was queued.
      expect(second.orderIds('ecwid.order.created')).toEqual([]);
    } finally {
      await first.kill('SIGKILL');
      await second?.kill('SIGKILL');
      await receiver.stop();
      await sandbox.stop();
    }
  }, 90_000);
});
