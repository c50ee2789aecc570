import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
  UnauthorizedException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { EcwidLogThrottle, loggable } from '../events/ecwid-loggable';
import { parseJsonBody, readJsonBody, refuseContentEncoding } from './ecwid-webhook-body';
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
 * Whether a host's raw or text parser (or Fastify's, for text/plain) left the body as bytes or text. Express's JSON
 * parser never gives a string, so one there is text. Fastify's (`req.raw` marks its requests) gives one for a JSON
 * string literal, which no delivery is, and which is at least its two quotes shorter than the body sent; a host's
 * parser that kept the text (`parseAs: 'string'`) gives back every byte. Without a Content-Length (chunked) the two
 * cannot be told apart, and the string counts as parsed: a JSON string holding a delivery is not decoded twice.
 */
function isUnparsed(req: EcwidWebhookRequest, body: unknown): body is string | Buffer {
  if (typeof body !== 'string') return Buffer.isBuffer(body);
  if (req.raw === undefined || !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return true;
  const declared = Number(req.headers['content-length']);
  return declared >= 0 && Buffer.byteLength(body) === declared;
}

/** Refused old deliveries are logged at most this often, with how many there were, so replays cannot flood the log. */
const TOO_OLD_LOG_INTERVAL_MS = 60_000;

/**
 * Admits a delivery only when it is small enough (413), signed (401), well formed (400), the signature
 * matches (401) and the event is recent enough to be in the dedup window (400), and hands back the checked payload. Not a Nest guard: the controller calls it itself. Guard
 * machinery cost more than the checks, and a guard could pass the payload on only by writing it onto the request,
 * which gives the adapter's request objects a new shape and slows the framework's own code that reads them.
 */
@Injectable()
export class EcwidWebhookAdmission {
  readonly #signer?: EcwidWebhookSigner;
  private readonly logger = new Logger('EcwidWebhooks');
  private readonly tooOldLog = new EcwidLogThrottle(TOO_OLD_LOG_INTERVAL_MS);

  constructor(@Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig) {
    if (config.clientSecret) this.#signer = new EcwidWebhookSigner(config.clientSecret.reveal());
  }

  admitRequest(req: EcwidWebhookRequest): EcwidWebhookPayload | Promise<EcwidWebhookPayload> {
    const { enabled, maxBodyBytes } = this.config.webhooks;
    const signer = this.#signer;
    if (!enabled || !signer) throw new NotFoundException();

    refuseContentEncoding(req.headers, 'webhook');
    const declaredLength = Number(req.headers['content-length']);
    if (declaredLength > maxBodyBytes) throw new PayloadTooLargeException(`Ecwid webhook body is over ${maxBodyBytes} bytes`);
    const signature = req.headers[ECWID_WEBHOOK_SIGNATURE_HEADER];
    if (typeof signature !== 'string' || signature === '') {
      throw new UnauthorizedException('Missing X-Ecwid-Webhook-Signature header');
    }
    // Synchronous when the adapter parsed the body, which is the usual case: one promise less per delivery.
    const { body } = req;
    if (body !== undefined) {
      const parsed = isUnparsed(req, body) ? parseJsonBody(body, maxBodyBytes) : body;
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
    // After the signature, so only a genuine event's age is ever disclosed or logged.
    const now = this.config.clock();
    if (now - payload.eventCreated * 1000 > this.config.webhooks.maxEventAgeSeconds * 1000) throw this.tooOld(payload, now);
    return payload;
  }

  /**
   * Ecwid's last retry comes a day after the event, and the dedup store forgets an id after `dedupTtlSeconds`; an
   * older delivery is a replay of a captured one (or this server's clock is wrong), which dedup could no longer catch.
   */
  private tooOld(payload: EcwidWebhookPayload, now: number): BadRequestException {
    const { maxEventAgeSeconds } = this.config.webhooks;
    const created = new Date(payload.eventCreated * 1000).toISOString();
    const refused = this.tooOldLog.note(now);
    if (refused > 0) {
      const count = refused === 1 ? 'a webhook delivery' : `${refused} webhook deliveries`;
      this.logger.warn(
        `Refused ${count} of an event created over webhooks.maxEventAgeSeconds (${maxEventAgeSeconds} s) ago ` +
          `(the latest: ${loggable(payload.eventType)} ${loggable(payload.eventId)}, created ${created}): a replay of ` +
          `an old delivery, or this server's clock is wrong`,
      );
    }
    return new BadRequestException(
      `Ecwid webhook event was created at ${created}, over webhooks.maxEventAgeSeconds (${maxEventAgeSeconds} s) ago: ` +
        'refused as a possible replay',
    );
  }
}
