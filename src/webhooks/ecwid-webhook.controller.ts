import {
  Controller,
  HttpCode,
  Post,
  Req,
  SetMetadata,
  Type,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { answerSourceFailure } from './ecwid-source-failure';
import { ECWID_WEBHOOK_ROUTE_METADATA, EcwidWebhookRoute } from './ecwid-webhook-route';
import { EcwidWebhookAdmission, EcwidWebhookRequest } from './ecwid-webhook.admission';
import type { EcwidWebhookPayload } from './ecwid-webhook.payload';
import { EcwidWebhookOutcome, EcwidWebhookReceiver } from './ecwid-webhook.receiver';

interface EcwidWebhookAnswer {
  outcome: EcwidWebhookOutcome;
}

/** One frozen answer per outcome rather than an object per delivery. */
const ANSWERS: Readonly<Record<EcwidWebhookOutcome, EcwidWebhookAnswer>> = {
  emitted: Object.freeze({ outcome: 'emitted' }),
  duplicate: Object.freeze({ outcome: 'duplicate' }),
  ignored: Object.freeze({ outcome: 'ignored' }),
};
const answerWith = (outcome: EcwidWebhookOutcome): EcwidWebhookAnswer => ANSWERS[outcome];

/**
 * A controller class of its own per module instance: writing the path onto one shared class would let the
 * last module win, and two stores in one app need two paths. Version-neutral: the URL is registered with Ecwid,
 * so the host's API versioning (a default `v1`, say) must not move it away from what `webhookRoute()` reports.
 */
export function createEcwidWebhookController(route: EcwidWebhookRoute): Type<unknown> {
  @Controller({ path: route.path, version: VERSION_NEUTRAL })
  @SetMetadata(ECWID_WEBHOOK_ROUTE_METADATA, true)
  class EcwidWebhookController {
    constructor(
      private readonly receiver: EcwidWebhookReceiver,
      private readonly admission: EcwidWebhookAdmission,
    ) {}

    /** Ecwid counts 200 as delivered and retries anything else; so does the answer here. */
    @Post()
    @HttpCode(200)
    @SetMetadata(ECWID_WEBHOOK_ROUTE_METADATA, true)
    receive(@Req() req: EcwidWebhookRequest): Promise<EcwidWebhookAnswer> {
      // Checked here rather than through @UseGuards (see EcwidWebhookAdmission). A failed check throws at once, and
      // Nest turns that into its 4xx answer as it would a rejection.
      const admitted = this.admission.admitRequest(req);
      return admitted instanceof Promise ? admitted.then((payload) => this.deliver(payload)) : this.deliver(admitted);
    }

    /** A chain rather than an async function: one promise less on the path every delivery takes. */
    private deliver(payload: EcwidWebhookPayload): Promise<EcwidWebhookAnswer> {
      return this.receiver.receive(payload).then(answerWith, answerSourceFailure);
    }
  }
  for (const decorate of route.decorators) decorate(EcwidWebhookController);
  return EcwidWebhookController;
}
