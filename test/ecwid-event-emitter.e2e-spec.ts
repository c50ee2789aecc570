import { Injectable, Module, Scope } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { EcwidEvent, EcwidModule, OnEcwidEvent } from 'nestjs-ecwid';
import { startApp } from './support/apps';
import { CapturingLogger } from './support/logger';
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

/** A provider of the host's that emits its own events, in a module that does not import EventEmitterModule. */
@Injectable()
class HostPublisher {
  constructor(readonly emitter: EventEmitter2) {}
}

@Module({ providers: [HostPublisher], exports: [HostPublisher] })
class HostFeatureModule {}

@Injectable()
class HostWildcardListener {
  readonly seen: string[] = [];

  @OnEvent('host.*')
  onHostEvent(payload: string): void {
    this.seen.push(payload);
  }
}

/** A request-scoped handler (one holding a per-event transaction, say): Nest builds one per event. */
@Injectable({ scope: Scope.REQUEST })
class ScopedListener {
  static readonly handled: { eventId: string; instance: ScopedListener }[] = [];
  static failures = 0;

  @OnEcwidEvent('order.created')
  onCreated(event: EcwidEvent): void {
    if (ScopedListener.failures > 0) {
      ScopedListener.failures -= 1;
      throw new Error('scoped handler failed');
    }
    ScopedListener.handled.push({ eventId: event.eventId, instance: this });
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

  it.each([
    ['with wildcards on', { wildcard: true }],
    ['with wildcards off', {}],
  ])('calls onAny listeners with every event, derived ones included, %s', async (_, emitterOptions) => {
    // No other listener: whether an event is emitted at all, and which derived events are built, depends on onAny.
    const t = await startApp('express', { imports: [EventEmitterModule.forRoot(emitterOptions), ecwid()], providers: [HostPublisher] });
    try {
      const seen: string[] = [];
      t.app.get(HostPublisher).emitter.onAny((name) => {
        seen.push(String(name));
      });
      const payload = orderWebhook('order.updated', { oldPaymentStatus: 'AWAITING_PAYMENT', newPaymentStatus: 'PAID' });
      expect((await deliver(t.url, payload)).status).toBe(200);
      expect(seen).toEqual(['ecwid.order.updated', 'ecwid.order.paid', 'ecwid.order.payment_status_changed']);
    } finally {
      await t.close();
    }
  });

  it.each([
    ['before', true],
    ['after', false],
  ])("finds the host's wildcard emitter when a library's own EventEmitterModule is listed %s it", async (_, libraryFirst) => {
    // Another library that sets up an emitter of its own, without wildcards: every emitter gets every @OnEvent listener.
    @Module({ imports: [EventEmitterModule.forRoot()] })
    class OtherLibraryModule {}
    const host = EventEmitterModule.forRoot({ wildcard: true });
    const t = await startApp('express', {
      imports: libraryFirst ? [OtherLibraryModule, host, ecwid()] : [host, OtherLibraryModule, ecwid()],
      providers: [EventRecorder, WildcardListener],
    });
    try {
      expect((await deliver(t.url, orderWebhook('order.created'))).status).toBe(200);
      expect(t.app.get(WildcardListener).seen).toEqual(['ecwid.order.created']);
      expect(t.app.get(EventRecorder).names).toEqual(['ecwid.order.created']);
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

  it.each([
    ['after', true],
    ['before', false],
  ])("keeps its fallback emitter out of the host's modules when listed %s the host's EventEmitterModule", async (_, hostFirst) => {
    const host = EventEmitterModule.forRoot({ wildcard: true });
    const t = await startApp('express', {
      imports: hostFirst ? [host, ecwid(), HostFeatureModule] : [ecwid(), host, HostFeatureModule],
      providers: [HostWildcardListener],
    });
    try {
      // The host's module gets the host's emitter, wildcards and all, however the imports are ordered.
      await t.app.get(HostPublisher).emitter.emitAsync('host.signed_up', 'ann');
      expect(t.app.get(HostWildcardListener).seen).toEqual(['ann']);
    } finally {
      await t.close();
    }
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('listener failed');
      },
    ],
    ['rejects', () => Promise.reject(new Error('listener failed'))],
  ])('answers 500 and takes the redelivery when a listener added to EventEmitter2 in code %s', async (_, fail) => {
    const t = await startApp('express', {
      imports: [EventEmitterModule.forRoot(), ecwid(), HostFeatureModule],
      providers: [EventRecorder],
    });
    try {
      const payload = orderWebhook('order.created');
      t.app.get(HostPublisher).emitter.once('ecwid.order.created', fail);
      expect((await deliver(t.url, payload)).status).toBe(500);
      // Not taken for a duplicate: emitted again, and answered 200 now that the listener is gone.
      expect(await deliver(t.url, payload)).toEqual({ status: 200, body: { outcome: 'emitted' } });
      expect(t.app.get(EventRecorder).names).toEqual(['ecwid.order.created', 'ecwid.order.created']);
    } finally {
      await t.close();
    }
  });

  it('answers 500 only once every listener has settled, so a redelivery never runs beside a listener still at work', async () => {
    const t = await startApp('express', { imports: [EventEmitterModule.forRoot(), ecwid(), HostFeatureModule] });
    try {
      const { emitter } = t.app.get(HostPublisher);
      const finished: string[] = [];
      emitter.on('ecwid.order.created', async (event: EcwidEvent) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished.push(event.eventId);
      });
      emitter.once('ecwid.order.created', () => Promise.reject(new Error('listener failed')));
      const payload = orderWebhook('order.created');
      expect((await deliver(t.url, payload)).status).toBe(500);
      expect(finished).toEqual([payload.eventId]);
      expect(await deliver(t.url, payload)).toEqual({ status: 200, body: { outcome: 'emitted' } });
      expect(finished).toEqual([payload.eventId, payload.eventId]);
    } finally {
      await t.close();
    }
  });

  it('calls the listeners after one that throws, and names how many failed', async () => {
    const logger = new CapturingLogger();
    const t = await startApp(
      'express',
      { imports: [EventEmitterModule.forRoot(), ecwid(), HostFeatureModule], providers: [EventRecorder] },
      (app) => app.useLogger(logger),
    );
    try {
      const { emitter } = t.app.get(HostPublisher);
      // Before the recorder, which @OnEvent subscribed at boot.
      emitter.prependOnceListener('ecwid.order.created', () => {
        throw new Error('first failure');
      });
      emitter.once('ecwid.order.created', () => Promise.reject(new Error('second failure')));
      const payload = orderWebhook('order.created');
      expect((await deliver(t.url, payload)).status).toBe(500);
      expect(t.app.get(EventRecorder).names).toEqual(['ecwid.order.created']);
      expect(logger.lines).toContainEqual(
        expect.stringContaining(`2 listeners of ecwid.order.created (eventId ${payload.eventId}) failed: the first: first failure`),
      );
    } finally {
      await t.close();
    }
  });

  it('delivers to request-scoped listeners, one instance per event, and answers 500 when one fails', async () => {
    const t = await startApp('express', { imports: [ecwid()], providers: [ScopedListener] });
    try {
      const first = orderWebhook('order.created');
      ScopedListener.failures = 1;
      expect((await deliver(t.url, first)).status).toBe(500);
      expect(await deliver(t.url, first)).toEqual({ status: 200, body: { outcome: 'emitted' } });
      const second = orderWebhook('order.created');
      expect((await deliver(t.url, second)).status).toBe(200);
      const handled = ScopedListener.handled;
      expect(handled.map((h) => h.eventId)).toEqual([first.eventId, second.eventId]);
      expect(handled[0].instance).not.toBe(handled[1].instance);
    } finally {
      await t.close();
    }
  });
});
