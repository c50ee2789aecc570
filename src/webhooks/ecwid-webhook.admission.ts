import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  PayloadTooLargeException,
  UnauthorizedException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { parseJsonBody, readJsonBody } from './ecwid-webhook-body';
import { EcwidWebhookPayloadError, parseEcwidWebhookPayload } from './ecwid-webhook.parser';
import { ECWID_WEBHOOK_SIGNATURE_HEADER, EcwidWebhookPayload } from './ecwid-webhook.payload';
import { EcwidWebhookSigner } from './ecwid-webhook.signature';

/** What both adapters' request objects have in common here. */
export interface EcwidWebhookRequest {
  headers: IncomingMessage['headers'];
  body?: unknown;
  raw?: IncomingMessage;
}

/**
 * Whether a host's raw or text parser (or Fastify's, for text/plain) left the body as bytes or text. A string under
 * a JSON content type is a parsed JSON string, which no delivery is.
 */
function isUnparsed(body: unknown, contentType: string | undefined): body is string | Buffer {
  if (typeof body === 'string') return !/^application\/json\b/i.test(contentType ?? '');
  return Buffer.isBuffer(body);
}

/**
 * Admits a delivery only when it is small enough (413), signed (401), well formed (400) and the signature
 * matches (401), and hands back the checked payload. Not a Nest guard: the controller calls it itself. Guard
 * machinery cost more than the checks, and a guard could pass the payload on only by writing it onto the request,
 * which gives the adapter's request objects a new shape and slows the framework's own code that reads them.
 */
@Injectable()
export class EcwidWebhookAdmission {
  readonly #signer?: EcwidWebhookSigner;

  constructor(@Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig) {
    if (config.clientSecret) this.#signer = new EcwidWebhookSigner(config.clientSecret.reveal());
  }

  admitRequest(req: EcwidWebhookRequest): EcwidWebhookPayload | Promise<EcwidWebhookPayload> {
    const { enabled, maxBodyBytes } = this.config.webhooks;
    const signer = this.#signer;
    if (!enabled || !signer) throw new NotFoundException();

    const declaredLength = Number(req.headers['content-length']);
    if (declaredLength > maxBodyBytes) throw new PayloadTooLargeException(`Ecwid webhook body is over ${maxBodyBytes} bytes`);
    const signature = req.headers[ECWID_WEBHOOK_SIGNATURE_HEADER];
    if (typeof signature !== 'string' || signature === '') {
      throw new UnauthorizedException('Missing X-Ecwid-Webhook-Signature header');
    }
    // Synchronous when the adapter parsed the body, which is the usual case: one promise less per delivery.
    const { body } = req;
    if (body !== undefined) {
      const parsed = isUnparsed(body, req.headers['content-type']) ? parseJsonBody(body, maxBodyBytes) : body;
      return this.admit(parsed, signature, declaredLength, signer);
    }
    return readJsonBody(req.raw ?? (req as unknown as IncomingMessage), maxBodyBytes).then((body) =>
      this.admit(body, signature, declaredLength, signer),
    );
  }

  private admit(
    body: unknown,
    signature: string,
    declaredLength: number,
    signer: EcwidWebhookSigner,
  ): EcwidWebhookPayload {
    const { maxBodyBytes } = this.config.webhooks;
    if (!(declaredLength >= 0) && Buffer.byteLength(JSON.stringify(body) ?? '') > maxBodyBytes) {
      throw new PayloadTooLargeException(`Ecwid webhook body is over ${maxBodyBytes} bytes`);
    }
    let payload: EcwidWebhookPayload;
    try {
      payload = parseEcwidWebhookPayload(body);
    } catch (error) {
      if (error instanceof EcwidWebhookPayloadError) throw new BadRequestException(error.problems);
      throw error;
    }
    if (!signer.verify(signature, payload.eventCreated, payload.eventId)) {
      throw new UnauthorizedException('Invalid X-Ecwid-Webhook-Signature');
    }
    return payload;
  }
}
