import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { EcwidEvent, OnEcwidEvent } from 'nestjs-ecwid';

/** Records what the host app's handlers receive; can be told to fail. */
@Injectable()
export class EventRecorder {
  readonly events: EcwidEvent[] = [];
  failures = 0;

  get names(): string[] {
    return this.events.map((e) => e.name);
  }

  @OnEcwidEvent([
    'order.created',
    'order.updated',
    'order.deleted',
    'order.paid',
    'order.payment_status_changed',
    'order.fulfillment_status_changed',
    'unfinished_order.created',
    'product.updated',
    'customer.created',
    'category.deleted',
    'application.installed',
    'profile.updated',
    'review.created',
  ])
  record(event: EcwidEvent): void {
    if (this.failures > 0) {
      this.failures--;
      throw new Error(`handler failed for ${event.eventId}`);
    }
    this.events.push(event);
  }
}

/** A plain `@OnEvent` handler: Nest swallows its errors. */
@Injectable()
export class PlainFailingListener {
  calls = 0;

  @OnEvent('ecwid.order.deleted')
  onDeleted(): void {
    this.calls++;
    throw new Error('plain listener failure');
  }
}

/**
 * Once armed, holds every event it receives until the test lets it finish or fail: a delivery still being handled.
 * Unarmed it returns at once, so it can sit in an app whose other tests never see it.
 */
@Injectable()
export class HeldListener {
  armed = false;
  calls = 0;
  private readonly held: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private readonly arrivals: (() => void)[] = [];

  @OnEcwidEvent(['order.created', 'customer.updated'])
  handle(): Promise<void> | undefined {
    this.calls++;
    for (const arrived of this.arrivals.splice(0)) arrived();
    if (!this.armed) return undefined;
    return new Promise((resolve, reject) => this.held.push({ resolve, reject }));
  }

  /** Resolves when the next event reaches this listener. */
  nextCall(): Promise<void> {
    return new Promise((resolve) => this.arrivals.push(resolve));
  }

  /** Disarms, and ends every held event: with `failure` as a rejection, or else as a success. */
  finish(failure?: Error): void {
    this.armed = false;
    for (const held of this.held.splice(0)) {
      if (failure) held.reject(failure);
      else held.resolve();
    }
  }
}
