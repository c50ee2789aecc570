import { BadRequestException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { refuseContentEncoding } from '../webhooks/ecwid-webhook-body';

/** An ION form is a few short fields; anything near this size is not one. */
export const ECWID_ION_MAX_BODY_BYTES = 16 * 1024;

/** What both adapters' request objects have in common here. */
export interface EcwidIonRequest {
  headers: IncomingMessage['headers'];
  body?: unknown;
  raw?: IncomingMessage;
}

function tooLarge(): PayloadTooLargeException {
  return new PayloadTooLargeException(`Ecwid ION body is over ${ECWID_ION_MAX_BODY_BYTES} bytes`);
}

function mediaType(req: EcwidIonRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

function parse(req: EcwidIonRequest, text: string): unknown {
  const type = mediaType(req);
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  if (type !== 'application/json') {
    throw new UnsupportedMediaTypeException('An Ecwid ION is a form (application/x-www-form-urlencoded) or JSON');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestException('Ecwid ION body is not JSON');
  }
}

/**
 * The ION fields, whether the adapter parsed the body (both do by default) or left it unread, as Express does
 * with `bodyParser: false` or for a content type it has no parser for.
 */
export async function readEcwidIonBody(req: EcwidIonRequest): Promise<unknown> {
  refuseContentEncoding(req.headers, 'ION');
  // A body the adapter parsed is checked by its declared size; Fastify refuses a larger one itself (route body limit).
  const declaredLength = Number(req.headers['content-length']);
  if (declaredLength > ECWID_ION_MAX_BODY_BYTES) throw tooLarge();
  if (req.body !== undefined && !Buffer.isBuffer(req.body) && typeof req.body !== 'string') {
    // Streamed without a length, it is measured as parsed: written back compactly, no larger than what was sent.
    if (!(declaredLength >= 0) && Buffer.byteLength(JSON.stringify(req.body) ?? '') > ECWID_ION_MAX_BODY_BYTES) throw tooLarge();
    return req.body;
  }
  if (req.body !== undefined) return parse(req, req.body.toString());
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw ?? (req as unknown as IncomingMessage)) {
    size += (chunk as Buffer).length;
    if (size > ECWID_ION_MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return parse(req, Buffer.concat(chunks).toString('utf8'));
}
