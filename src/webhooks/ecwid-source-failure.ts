import { ConflictException, InternalServerErrorException, ServiceUnavailableException } from '@nestjs/common';
import {
  EcwidEventInFlightError,
  EcwidListenerError,
  EcwidOrderReadError,
  EcwidStateUnavailableError,
} from '../events/ecwid-event.errors';

/**
 * What an Ecwid-facing route answers when the pipeline failed: each makes Ecwid deliver again, since Ecwid counts
 * only 2xx as delivered. Anything else is rethrown as it is.
 */
export function answerSourceFailure(error: unknown): never {
  if (error instanceof EcwidEventInFlightError) {
    throw new ConflictException('This event is still being handled by an earlier delivery; retry later');
  }
  if (error instanceof EcwidOrderReadError) {
    throw new ServiceUnavailableException('Could not read the order from Ecwid; retry later');
  }
  if (error instanceof EcwidStateUnavailableError) {
    throw new ServiceUnavailableException('Could not reach the state store; retry later');
  }
  if (error instanceof EcwidListenerError) {
    throw new InternalServerErrorException('A listener failed; the event was not recorded and will be accepted again');
  }
  throw error;
}
