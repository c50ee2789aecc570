import { loggable } from './ecwid-loggable';

/**
 * A listener of the event threw or rejected; the event is not recorded as handled, so the sender's retry brings it
 * back. Raised once every listener has settled; `cause` is the first failure in call order, `failedListeners` how many
 * failed.
 */
export class EcwidListenerError extends Error {
  override readonly name = 'EcwidListenerError';

  constructor(
    readonly eventName: string,
    readonly eventId: string,
    override readonly cause: unknown,
    readonly failedListeners = 1,
  ) {
    const which = failedListeners === 1 ? 'A listener' : `${failedListeners} listeners`;
    const first = failedListeners === 1 ? '' : 'the first: ';
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${which} of ${eventName} (eventId ${eventId}) failed: ${first}${reason}`);
  }
}

/**
 * The event arrived again while an earlier delivery of it was still being handled. It is not acknowledged: the sender
 * counts an acknowledgement as delivered for good, so the event would be lost if the earlier delivery then failed.
 */
export class EcwidEventInFlightError extends Error {
  override readonly name = 'EcwidEventInFlightError';

  constructor(
    readonly eventName: string,
    readonly eventId: string,
  ) {
    super(`${eventName} (eventId ${eventId}) arrived again while an earlier delivery of it is still being handled`);
  }
}

/** Reading the order back from Ecwid failed, so nothing was emitted: the sender should retry. */
export abstract class EcwidOrderReadError extends Error {
  abstract readonly orderId: string;
}

/** `hydrate: true` could not read the order; the event is not emitted, so the sender retries. */
export class EcwidHydrationError extends EcwidOrderReadError {
  override readonly name = 'EcwidHydrationError';

  constructor(
    readonly orderId: string,
    readonly eventId: string,
    override readonly cause: unknown,
  ) {
    super(`Could not read order ${loggable(orderId)} for event ${eventId}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * The state store that records handled event ids (Redis, say) failed: the event was not recorded as handled, so
 * the sender should retry. `emitted` tells whether listeners had already run (a retry then emits it again).
 */
export class EcwidStateUnavailableError extends Error {
  override readonly name = 'EcwidStateUnavailableError';

  constructor(
    readonly eventId: string,
    readonly emitted: boolean,
    override readonly cause: unknown,
  ) {
    super(
      `The state store failed ${emitted ? 'to record' : 'before emitting'} event ${eventId}: ` +
        (cause instanceof Error ? cause.message : String(cause)),
    );
  }
}
