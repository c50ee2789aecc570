import { Inject, Injectable } from '@nestjs/common';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_RESOLVED_CONFIG, ECWID_STATE_STORE } from '../ecwid.constants';
import { EcwidEvent, EcwidOrderEvent } from '../events/ecwid-events';
import type { EcwidStateStore } from '../state/ecwid-state-store.interface';
import type { EcwidNotificationEvent, EcwidOutboxEntry } from './ecwid-notification.model';

const EVENT_TYPES: Record<string, EcwidNotificationEvent['eventType']> = {
  'order.created': 'CREATED',
  'order.updated': 'UPDATED',
  'order.deleted': 'DELETED',
};

/** Collection names in the state store, per Ecwid store. */
export const outboxCollections = (storeId: number) => ({
  entries: `notify:${storeId}:entries`,
  pending: `notify:${storeId}:pending`,
  /** The bodies of pending notifications, by the same ids: a round reads only what says whether each is due. */
  bodies: `notify:${storeId}:bodies`,
  parked: `notify:${storeId}:parked`,
  flags: `notify:${storeId}:flags`,
});

/** Sequence numbers as fixed-width strings, so the store's string order is their numeric order. */
export const sequenceId = (n: number) => String(n).padStart(16, '0');

/**
 * The durable half of callback notifications: the pipeline puts each order change here before the source is
 * answered (the webhook acknowledged, the poll cursor moved), so a crash after that loses no notification.
 */
@Injectable()
export class EcwidNotificationOutbox {
  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    @Inject(ECWID_STATE_STORE) private readonly state: EcwidStateStore,
  ) {}

  get enabled(): boolean {
    return this.config.events.notificationEnabled;
  }

  /** Cloud Elements notified order changes only; derived events are this module's own and stay out. */
  accepts(event: EcwidEvent): event is EcwidOrderEvent {
    return this.enabled && event instanceof EcwidOrderEvent && event.eventType in EVENT_TYPES && event.name === `ecwid.${event.eventType}`;
  }

  async enqueue(event: EcwidEvent): Promise<void> {
    if (!this.accepts(event)) return;
    const entry: EcwidOutboxEntry = {
      orderKey: `${event.storeId}:${event.internalId || event.orderId}`,
      source: event.source,
      event: {
        eventType: EVENT_TYPES[event.eventType] ?? 'UNKNOWN',
        objectType: 'orders',
        objectId: event.orderId,
        date: event.occurredAt.toISOString(),
      },
      raw: event.source === 'webhook' ? webhookBodyOf(event) : (event.order ?? event.data),
    };
    const collections = outboxCollections(event.storeId);
    const seq = await this.state.increment(collections.entries);
    await this.state.putRecords(collections.entries, [{ id: sequenceId(seq), value: JSON.stringify(entry) }]);
  }
}

/** The vendor payload of a webhook event: the fields Ecwid documents, rebuilt from the event (others it sent are not kept). */
function webhookBodyOf(event: EcwidOrderEvent): object {
  return {
    eventId: event.eventId,
    eventCreated: Math.floor(event.occurredAt.getTime() / 1000),
    storeId: event.storeId,
    entityId: event.entityId,
    eventType: event.eventType,
    data: event.data,
  };
}
