import {
  BadRequestException,
  Controller,
  HttpCode,
  Post,
  Req,
  SetMetadata,
  Type,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { answerSourceFailure } from '../webhooks/ecwid-source-failure';
import { ECWID_WEBHOOK_ROUTE_METADATA } from '../webhooks/ecwid-webhook-route';
import { EcwidIonRequest, readEcwidIonBody } from './ecwid-ion-body';
import { EcwidIonNotification, EcwidIonNotificationError, parseEcwidIonNotification } from './ecwid-ion-notification';
import { EcwidIonOutcome, EcwidIonReceiver } from './ecwid-ion.receiver';

/**
 * The ION route, a controller class of its own per module instance (as the webhook one), so two stores in one
 * app can have two paths. It carries the webhook route's metadata: a guard that lets Ecwid's webhooks through
 * should let its IONs through too. Version-neutral, as the webhook route: its URL is registered with Ecwid.
 */
export function createEcwidIonController(path: string): Type<unknown> {
  @Controller({ path, version: VERSION_NEUTRAL })
  @SetMetadata(ECWID_WEBHOOK_ROUTE_METADATA, true)
  class EcwidIonController {
    constructor(private readonly receiver: EcwidIonReceiver) {}

    /** Ecwid counts 200 as delivered and retries anything else: only a failure worth retrying answers otherwise. */
    @Post()
    @HttpCode(200)
    @SetMetadata(ECWID_WEBHOOK_ROUTE_METADATA, true)
    async receive(@Req() req: EcwidIonRequest): Promise<{ outcome: EcwidIonOutcome }> {
      let notification: EcwidIonNotification;
      try {
        notification = parseEcwidIonNotification(await readEcwidIonBody(req));
      } catch (error) {
        if (error instanceof EcwidIonNotificationError) throw new BadRequestException(error.problems);
        throw error;
      }
      try {
        return { outcome: await this.receiver.receive(notification) };
      } catch (error) {
        answerSourceFailure(error);
      }
    }
  }
  return EcwidIonController;
}
