import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { EcwidEvent, EcwidOrderEvent } from '../index';

/** The bridge's own consumer: one log line per domain event, under the name it was emitted with. */
@Injectable()
export class BridgeEventLogger {
  private readonly logger = new Logger('EcwidBridge');

  @OnEvent('ecwid.**')
  log(event: EcwidEvent): void {
    const order =
      event instanceof EcwidOrderEvent
        ? ` order=${event.orderId}${event.order ? ` payment=${event.order.paymentStatus} fulfillment=${event.order.fulfillmentStatus}` : ''}`
        : ` entity=${event.entityId}`;
    this.logger.log(`${event.name} store=${event.storeId}${order} eventId=${event.eventId} source=${event.source}`);
  }
}
