import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EcwidCallbackReceiver, EcwidSandbox } from 'nestjs-ecwid/testing';
import seedInstance from './fixtures/seed-instance.json';
import { BridgeProcess } from './support/bridge-process';

/** `npm start` with ECWID_INSTANCE_FILE: the seed's JSON verbatim, pointed at the sandbox, is the whole Cloud Elements role. */
describe('the bridge app with ECWID_INSTANCE_FILE', () => {
  it('polls with the legacy keys, takes ION posts, and forwards notifications to the callback URL', async () => {
    let offsetMs = -600_000;
    const sandbox = await new EcwidSandbox({ now: () => Date.now() + offsetMs }).start();
    sandbox.seedOrders(12);
    offsetMs = 0;
    const receiver = await new EcwidCallbackReceiver({ signatureKey: 'instance_signature_key' }).start();
    const dir = mkdtempSync(join(tmpdir(), 'ecwid-instance-'));
    const file = join(dir, 'instance.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...seedInstance,
        configuration: {
          ...seedInstance.configuration,
          'ecwid.store.id': String(sandbox.storeId),
          'ecwid.order.key': sandbox.orderKey,
          'ecwid.api.base.url': sandbox.apiBaseUrl,
          'event.vendor.type': 'polling',
          'event.poller.refresh_interval': '0.017',
          'event.notification.callback.url': receiver.url,
          'event.notification.signature.key': 'instance_signature_key',
        },
      }),
    );
    const bridge = new BridgeProcess({
      ECWID_INSTANCE_FILE: file,
      ECWID_POLL_FROM: new Date(Date.now() - 3_600_000).toISOString(),
      ECWID_STATE: `sqlite:${join(dir, 'state.db')}`,
    });
    try {
      await bridge.waitFor((log) => log.includes('Bridge listening on'), 20_000, 'listening');
      const all = sandbox.listOrders().map((o) => String(o.internalId));
      await receiver.waitFor(() => all.every((id) => receiver.delivered.some((n) => n.body.message.events.some((e) => e.objectId === id))), 20_000);
      expect(receiver.received.every((n) => n.signatureValid)).toBe(true);
      expect(receiver.delivered[0].body.message).toMatchObject({ elementKey: 'ecwid', instanceName: 'ecwid-store-1003', instanceTags: ['ecwid', 'orders'] });

      const port = /Bridge listening on http:\/\/\[?[^\]]*\]?:(\d+)/.exec(bridge.log)![1];
      const order = sandbox.createOrder({ paymentStatus: 'PAID' });
      expect(await sandbox.sendIon(`http://127.0.0.1:${port}/ecwid/ion`, order, 'new_order')).toBe(200);
      await bridge.waitFor(() => bridge.log.includes(`source=ion`), 10_000, 'the ION event');
      expect(bridge.log).not.toContain(sandbox.orderKey);
    } finally {
      await bridge.kill('SIGKILL');
      await receiver.stop();
      await sandbox.stop();
    }
  }, 60_000);
});
