import { INestApplication, Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { EcwidConfigService, EcwidOrdersService } from '../index';
import { EcwidCallbackReceiver, EcwidSandbox } from '../testing';

const logger = new Logger('EcwidBridgeDemo');

/** The demo's own signature key: the receiver checks every notification with it. */
export const DEMO_SIGNATURE_KEY = 'demo_notification_signature_key';

/** Stands in for the integration platform behind `event.notification.callback.url`. */
export function startDemoReceiver(): Promise<EcwidCallbackReceiver> {
  const callbacks = new Logger('CallbackReceiver');
  return new EcwidCallbackReceiver({
    signatureKey: DEMO_SIGNATURE_KEY,
    onNotification: (n) => {
      const events = n.body.message.events.map((e) => `${e.eventType} ${e.objectId}`).join(', ');
      callbacks.log(`notification ${n.id}: [${events}] signature ${n.signatureValid ? 'verified' : 'INVALID'}`);
    },
  }).start();
}

/** Where the sandbox should deliver: this app's own webhook route, over real HTTP. */
export function webhookUrlOf(app: INestApplication): string {
  const { port } = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}${app.get(EcwidConfigService).webhookRoute()}`;
}

/**
 * Plays a merchant's day against the sandbox through the real orders API: every change comes back
 * as a signed webhook to this app and shows up in the log as its domain event.
 */
export async function runSandboxDemo(app: INestApplication, sandbox: EcwidSandbox, receiver: EcwidCallbackReceiver): Promise<void> {
  const orders = app.get(EcwidOrdersService);
  sandbox.webhookUrl = webhookUrlOf(app);
  logger.log(`Sandbox store ${sandbox.storeId} at ${sandbox.apiBaseUrl} delivers webhooks to ${sandbox.webhookUrl}`);

  const first = await orders.create({
    email: 'ada@example.com',
    total: 42,
    subtotal: 40,
    paymentStatus: 'AWAITING_PAYMENT',
    fulfillmentStatus: 'AWAITING_PROCESSING',
    items: [{ productId: 101, name: 'Analytical Engine manual', price: 40, quantity: 1 }],
    billingPerson: { name: 'Ada Lovelace', countryCode: 'GB' },
  });
  logger.log(`Created order ${first.orderId} (awaiting payment)`);
  const second = await orders.create({
    email: 'grace@example.com',
    total: 12.5,
    subtotal: 12.5,
    paymentStatus: 'PAID',
    fulfillmentStatus: 'AWAITING_PROCESSING',
    items: [{ productId: 202, name: 'Compiler notebook', price: 12.5, quantity: 1 }],
    billingPerson: { name: 'Grace Hopper', countryCode: 'US' },
  });
  logger.log(`Created order ${second.orderId} (paid at checkout)`);
  await orders.update(first.orderId, { paymentStatus: 'PAID' });
  logger.log(`Marked order ${first.orderId} as paid`);
  await orders.update(second.orderId, { fulfillmentStatus: 'SHIPPED', trackingNumber: 'TRACK-0001' });
  logger.log(`Shipped order ${second.orderId}`);
  await orders.delete(first.orderId);
  logger.log(`Deleted order ${first.orderId}`);

  await sandbox.waitForDeliveries();
  const changes = sandbox.deliveries.length;
  await receiver.waitFor((received) => received.flatMap((n) => n.body.message.events).length >= changes);
  const failed = sandbox.deliveries.filter((d) => d.status !== 200);
  const unsigned = receiver.received.filter((n) => !n.signatureValid);
  logger.log(
    `Demo done: ${changes} webhooks delivered${failed.length ? `, ${failed.length} not answered 200` : ''}; ` +
      `${receiver.received.length} callback notifications, ${unsigned.length ? `${unsigned.length} with a bad signature` : 'all signatures verified'}. ` +
      'The bridge keeps serving; stop it with Ctrl-C.',
  );
}
