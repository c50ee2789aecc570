import { applyDecorators } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
type OnEventOptions = NonNullable<Parameters<typeof OnEvent>[1]>;
import { ecwidEventName, EcwidEventType } from './ecwid-event-names';

/**
 * `@OnEvent('ecwid.<type>')` whose failures reach the sender: errors are not suppressed, so a throwing
 * handler makes the webhook answer 500 and Ecwid delivers the event again. `async: true` would detach the
 * handler and lose that, so it is refused.
 */
export function OnEcwidEvent(
  eventType: EcwidEventType | EcwidEventType[],
  options: Omit<OnEventOptions, 'async' | 'suppressErrors'> = {},
): MethodDecorator {
  const names = (Array.isArray(eventType) ? eventType : [eventType]).map(ecwidEventName);
  // An array given to OnEvent is one namespaced name to EventEmitter2, so each name gets its own registration.
  return applyDecorators(...names.map((name) => OnEvent(name, { ...options, suppressErrors: false })));
}
