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
