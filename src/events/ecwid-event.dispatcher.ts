import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EcwidEvent } from './ecwid-events';
import { EcwidListenerError } from './ecwid-event.errors';

const RESOLVED: Promise<void> = Promise.resolve();
const NOTHING = (): void => undefined;

/**
 * Emits events through the host's EventEmitter2. The module imports a non-global `EventEmitterModule.forRoot()` of
 * its own so events flow in apps that never set one up; when the host configured its own (wildcards, say), that
 * one is used.
 */
@Injectable()
export class EcwidEventDispatcher implements OnModuleInit {
  private emitter: EventEmitter2;
  private readonly logger = new Logger('EcwidEvents');

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly local: EventEmitter2,
  ) {
    this.emitter = local;
  }

  /**
   * Every EventEmitterModule in an app subscribes every `@OnEvent` listener to its own emitter, so any of the host's
   * emitters reaches them all; but a wildcard listener (`ecwid.order.*`) is one only on an emitter with wildcards on.
   * When another library set up an emitter of its own as well, the one with wildcards on is therefore the host's.
   */
  onModuleInit(): void {
    const hosts = [...new Set(this.moduleRef.get(EventEmitter2, { strict: false, each: true }))].filter((emitter) => emitter !== this.local);
    this.emitter = hosts.find((emitter) => (emitter as { wildcard?: boolean }).wildcard === true) ?? hosts[0] ?? this.local;
  }

  /**
   * Whether any listener (wildcards and `onAny` included) would receive `name`. With wildcards on, EventEmitter2's
   * `hasListeners` leaves `onAny` listeners out; `emit` below calls them all the same.
   */
  listens(name: string): boolean {
    return (this.emitter.hasListeners(name) as boolean) || this.emitter.listenersAny().length > 0;
  }

  /** Emits an informational event (progress, say); a listener failure is logged and never stops the caller. */
  async notify(name: string, payload: object): Promise<void> {
    try {
      await this.emitter.emitAsync(name, payload);
    } catch (error) {
      this.logger.warn(`A listener of ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Emits an event, then the events derived from it, in order; stops at the first listener failure, which is
   * rethrown as EcwidListenerError.
   */
  dispatch(event: EcwidEvent, derived: readonly EcwidEvent[] = []): Promise<void> {
    // Most deliveries derive nothing: they skip a layer of promises.
    return derived.length === 0 ? this.emit(event) : this.emitInOrder([event, ...derived]);
  }

  private async emitInOrder(events: readonly EcwidEvent[]): Promise<void> {
    for (const event of events) await this.emit(event);
  }

  /**
   * Calls every listener of the event, as `emitAsync` would (`onAny` listeners first, with the name), and settles once
   * all of them have: `emitAsync` rejects at the first failure while the others still run, and the pipeline would then
   * release the event id for a redelivery to start the same listeners again beside them. A listener that throws does
   * not keep the ones after it from being called, as one that rejects does not.
   */
  private emit(event: EcwidEvent): Promise<void> {
    const emitter = this.emitter as EventEmitter2 & { event?: string };
    const { name } = event;
    // Copies: EventEmitter2 hands out its own arrays, and a `once` listener takes itself out of one as it is called.
    const anyListeners = emitter.listenersAny().slice();
    const listeners = emitter.listeners(name).slice();
    const count = anyListeners.length + listeners.length;
    // Events nobody listens to cost an emit each on the hot webhook path.
    if (count === 0) return RESOLVED;
    const outcomes = new Array<unknown>(count);
    for (let i = 0; i < count; i += 1) {
      const onAny = i < anyListeners.length;
      emitter.event = name;
      try {
        outcomes[i] = onAny ? anyListeners[i].call(emitter, name, event) : listeners[i - anyListeners.length].call(emitter, event);
      } catch (error) {
        outcomes[i] = Promise.reject(error);
      }
    }
    // One listener, the usual case, needs no settling of the rest.
    if (count === 1) return Promise.resolve(outcomes[0]).then(NOTHING, (error: unknown) => this.failed(event, [error]));
    return Promise.allSettled(outcomes).then((settled) => {
      const errors = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
      if (errors.length > 0) this.failed(event, errors);
    });
  }

  private failed(event: EcwidEvent, errors: readonly unknown[]): never {
    throw new EcwidListenerError(event.name, event.eventId, errors[0], errors.length);
  }
}
