'use strict';
// Signed Ecwid deliveries as Ecwid would send them, each with a fresh eventId.
const { randomUUID } = require('node:crypto');
const { computeEcwidWebhookSignature } = require('../dist');

const BENCH_STORE_ID = 1003;
const BENCH_CLIENT_SECRET = 'bench_secret';
const WEBHOOK_PATH = '/ecwid/webhooks';
const BARE_PATH = '/bare';

function signedDelivery(eventCreated) {
  const eventId = randomUUID();
  const body = JSON.stringify({
    eventId,
    eventCreated,
    storeId: BENCH_STORE_ID,
    entityId: 12345,
    eventType: 'order.updated',
    data: {
      orderId: 'K8XTQ',
      oldPaymentStatus: 'PAID',
      newPaymentStatus: 'PAID',
      oldFulfillmentStatus: 'PROCESSING',
      newFulfillmentStatus: 'SHIPPED',
    },
  });
  const headers = {
    'content-type': 'application/json; charset=UTF-8',
    'x-ecwid-webhook-signature': computeEcwidWebhookSignature(eventCreated, eventId, BENCH_CLIENT_SECRET),
  };
  return { body, headers };
}

module.exports = { BARE_PATH, BENCH_CLIENT_SECRET, BENCH_STORE_ID, WEBHOOK_PATH, signedDelivery };
