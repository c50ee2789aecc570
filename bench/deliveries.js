'use strict';
// Signed Ecwid deliveries, made before the clock starts so signing costs the load generator nothing while measuring.
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

/** Hands out each delivery once; both routes draw from a pool so they get the same bytes at the same cost. */
class DeliveryPool {
  constructor() {
    this.eventCreated = Math.floor(Date.now() / 1000);
    this.items = [];
    this.cursor = 0;
    this.signedLate = 0;
  }

  refill(count) {
    this.items = Array.from({ length: count }, () => signedDelivery(this.eventCreated));
    this.cursor = 0;
    this.signedLate = 0;
  }

  next() {
    if (this.cursor < this.items.length) return this.items[this.cursor++];
    // Reusing an id would turn the request into a cheap duplicate; signing late only slows the load side.
    this.signedLate += 1;
    return signedDelivery(this.eventCreated);
  }

  /** A delivery to send where the id does not matter (the bare route): it is not used up. */
  sample() {
    return this.items[0] ?? signedDelivery(this.eventCreated);
  }

  get taken() {
    return this.cursor + this.signedLate;
  }
}

module.exports = { BARE_PATH, BENCH_CLIENT_SECRET, BENCH_STORE_ID, WEBHOOK_PATH, DeliveryPool, signedDelivery };
