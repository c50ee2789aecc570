import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_DEDUP_STORE, ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { EcwidNotificationOutbox } from '../notifications/ecwid-notification.outbox';
import { readOrderWithin } from '../orders/ecwid-order-read';
import { EcwidOrdersService } from '../orders/ecwid-orders.service';
import type { EcwidClaimOptions, EcwidDedupSeen, EcwidDedupStore } from '../state/ecwid-dedup-store.interface';
import { EcwidEventDispatcher } from './ecwid-event.dispatcher';
import {
  EcwidEventInFlightError,
  EcwidHydrationError,
  EcwidListenerError,
  EcwidStateUnavailableError,
} from './ecwid-event.errors';
import { deriveEcwidEvents } from './ecwid-event.factory';
import { loggable } from './ecwid-loggable';
import { EcwidEvent, EcwidOrderEvent } from './ecwid-events';

export type EcwidPipelineOutcome = 'emitted' | 'duplicate';

/** Shared rather than a fresh `{}` per delivery. */
const NO_CLAIM_OPTIONS: EcwidClaimOptions = Object.freeze({});

/**
 * The one path every source feeds: dedup by event id, optional hydration, dispatch.
 * An id is recorded as handled only after every listener succeeded, so a failure leaves it to be redelivered.
 */
@Injectable()
export class EcwidEventPipeline {
  private readonly logger = new Logger('EcwidEvents');
  private readonly listened = (name: string): boolean => this.dispatcher.listens(name);

  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    @Inject(ECWID_DEDUP_STORE) private readonly dedup: EcwidDedupStore,
    private readonly orders: EcwidOrdersService,
    private readonly dispatcher: EcwidEventDispatcher,
    private readonly outbox: EcwidNotificationOutbox,
  ) {}

  /**
   * `elsewhere`, when given, says whether the event id was handled, or is being handled, somewhere this store's own
   * dedup store does not see (another store of the same Ecwid app): asked once the id is claimed here, so that of two
   * copies arriving at once each finds the other's claim.
   */
  async process(
    event: EcwidEvent,
    options: EcwidClaimOptions = NO_CLAIM_OPTIONS,
    elsewhere?: (eventId: string) => Promise<EcwidDedupSeen>,
  ): Promise<EcwidPipelineOutcome> {
    const key = `${event.storeId}:${event.eventId}`;
    const ttl = this.config.webhooks.dedupTtlSeconds;
    const claiming = this.dedup.claim(key, options);
    const claim = typeof claiming === 'string' ? claiming : await claiming.catch((error) => this.stateFailed(event, false, error));
    if (claim !== 'claimed') {
      if (claim === 'in-flight') throw this.stillInFlight(event);
      return 'duplicate';
    }
    if (elsewhere) {
      const seen = await elsewhere(event.eventId).catch(async (error) => {
        await this.dedup.release(key);
        return this.stateFailed(event, false, error);
      });
      if (seen !== undefined) {
        await this.dedup.release(key);
        if (seen === 'in-flight') throw this.stillInFlight(event);
        return 'duplicate';
      }
    }
    try {
      if (this.config.hydrate) await this.hydrate(event);
      await this.dispatcher.dispatch(event, deriveEcwidEvents(event, this.listened));
      // In the outbox before the source is answered: a crash after the answer loses no notification.
      if (this.outbox.enabled) await this.outbox.enqueue(event);
    } catch (error) {
      await this.dedup.release(key);
      this.logFailure(event, error);
      throw error;
    }
    const completing = this.dedup.complete(key, ttl);
    if (completing) await completing.catch((error) => this.stateFailed(event, true, error));
    return 'emitted';
  }

  /**
   * Failed rather than acknowledged, so the sender delivers it again later: the earlier delivery may yet fail, and
   * an acknowledged redelivery would have been the event's last chance.
   */
  private stillInFlight(event: EcwidEvent): EcwidEventInFlightError {
    const error = new EcwidEventInFlightError(event.name, event.eventId);
    this.logger.log(`${error.message}; left for the sender to retry`);
    return error;
  }

  /** A state store that cannot be reached fails the delivery (the sender retries) rather than risk a lost event. */
  private stateFailed(event: EcwidEvent, emitted: boolean, cause: unknown): never {
    const error = new EcwidStateUnavailableError(event.eventId, emitted, cause);
    this.logger.warn(`${event.name}: ${error.message}`);
    throw error;
  }

  private async hydrate(event: EcwidEvent): Promise<void> {
    if (!(event instanceof EcwidOrderEvent) || event.eventType === 'order.deleted' || event.order !== undefined) return;
    try {
      // Past hydrateTimeoutMs the sender would give up on the answer anyway (Ecwid after 10 s): a 503 sent in time is
      // a retry it schedules.
      event.order = await readOrderWithin(this.orders, event.orderId, this.config.hydrateTimeoutMs);
    } catch (error) {
      throw new EcwidHydrationError(event.orderId, event.eventId, error);
    }
  }

  private logFailure(event: EcwidEvent, error: unknown): void {
    const order = event instanceof EcwidOrderEvent ? ` order ${loggable(event.orderId)}` : '';
    if (error instanceof EcwidListenerError) {
      const stack = error.cause instanceof Error ? error.cause.stack : undefined;
      this.logger.error(`${error.message};${order} left for redelivery`, stack);
    } else if (error instanceof Error) {
      this.logger.warn(`${event.name} ${event.eventId}${order} not emitted: ${error.message}`);
    }
  }
}
