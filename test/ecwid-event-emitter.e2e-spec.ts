import { Injectable } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { EcwidEvent, EcwidModule } from 'nestjs-ecwid';
import { startApp } from './support/apps';
import { EventRecorder } from './support/recorder';
import { CLIENT_SECRET, deliver, orderWebhook, STORE_ID } from './support/webhooks';

@Injectable()
class WildcardListener {
  readonly seen: string[] = [];

  @OnEvent('ecwid.order.*', { suppressErrors: false })
  onOrder(event: EcwidEvent): void {
    this.seen.push(event.name);
  }
}

const ecwid = () => EcwidModule.forRoot({ storeId: STORE_ID, clientSecret: CLIENT_SECRET });

describe('event emitter setup of the host', () => {
  it('delivers events when the host never imported EventEmitterModule', async () => {
    const t = await startApp('express', { imports: [ecwid()], providers: [EventRecorder] });
    try {
      expect((await deliver(t.url, orderWebhook('order.created'))).status).toBe(200);
      expect(t.app.get(EventRecorder).names).toEqual(['ecwid.order.created']);
    } finally {
      await t.close();
    }
  });

  it('delivers each event once when the host imported EventEmitterModule.forRoot() too', async () => {
    const t = await startApp('express', { imports: [EventEmitterModule.forRoot(), ecwid()], providers: [EventRecorder] });
    try {
      expect((await deliver(t.url, orderWebhook('order.created'))).status).toBe(200);
      expect(t.app.get(EventRecorder).names).toEqual(['ecwid.order.created']);
    } finally {
      await t.close();
    }
  });

  it("uses the host's emitter, so wildcard listeners work when the host enables wildcards", async () => {
    const t = await startApp('express', {
      imports: [EventEmitterModule.forRoot({ wildcard: true }), ecwid()],
      providers: [EventRecorder, WildcardListener],
    });
    try {
      const payload = orderWebhook('order.updated', { oldPaymentStatus: 'AWAITING_PAYMENT', newPaymentStatus: 'PAID' });
      expect((await deliver(t.url, payload)).status).toBe(200);
      expect(t.app.get(WildcardListener).seen).toEqual(['ecwid.order.updated', 'ecwid.order.paid', 'ecwid.order.payment_status_changed']);
      expect(t.app.get(EventRecorder).names).toEqual(t.app.get(WildcardListener).seen);
    } finally {
      await t.close();
    }
  });

  it('does not call wildcard listeners when the host left wildcards off', async () => {
    const t = await startApp('express', { imports: [ecwid()], providers: [EventRecorder, WildcardListener] });
    try {
      expect((await deliver(t.url, orderWebhook('order.created'))).status).toBe(200);
      expect(t.app.get(WildcardListener).seen).toEqual([]);
      expect(t.app.get(EventRecorder).names).toEqual(['ecwid.order.created']);
    } finally {
      await t.close();
    }
  });
});
