import { createHmac, hash } from 'node:crypto';

/** SHA-256 works on 64-byte blocks; RFC 2104 pads (or first hashes) the key to one block. */
const SHA256_BLOCK_BYTES = 64;
const INNER_PAD_BYTE = 0x36;
const OUTER_PAD_BYTE = 0x5c;
const SHA256_DIGEST_BYTES = 32;
/** Room for `eventCreated.eventId` with the longest event id the parser admits, in UTF-8. */
const MESSAGE_ROOM_BYTES = 1024;

/** Ecwid signs `"{eventCreated}.{eventId}"`, never the body. */
export function computeEcwidWebhookSignature(
  eventCreated: number | string,
  eventId: string,
  clientSecret: string,
): string {
  return createHmac('sha256', clientSecret).update(`${eventCreated}.${eventId}`).digest('base64');
}

/** Constant-time check of an `X-Ecwid-Webhook-Signature` header value. */
export function verifyEcwidWebhookSignature(
  signature: string,
  eventCreated: number | string,
  eventId: string,
  clientSecret: string,
): boolean {
  return signaturesMatch(signature, computeEcwidWebhookSignature(eventCreated, eventId, clientSecret));
}

/**
 * Whether a header value (surrounding whitespace aside) is the expected signature. Every character is compared
 * whatever the first difference, as timingSafeEqual does, without the two buffers it would need; the length it
 * gives away is public (44 characters, always).
 */
function signaturesMatch(signature: string, expected: string): boolean {
  const given = signature.trim();
  if (given.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i += 1) difference |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return difference === 0;
}

/**
 * Signs and verifies Ecwid webhooks under one client secret: the same HMAC-SHA256 (RFC 2104) as
 * `computeEcwidWebhookSignature`, with the key's padded blocks worked out once instead of per delivery.
 * `createHmac` builds an OpenSSL MAC context and a stream object on every call, the largest single cost the
 * webhook route added over a bare route; two one-shot hashes over kept buffers give the same bytes without them.
 * The buffers are reused, which is safe because nothing here yields between writing and hashing them.
 * The pads are as good as the secret, so they live in private fields: no serializer or inspector can see them.
 */
export class EcwidWebhookSigner {
  /** The inner pad, then room for the message. */
  readonly #inner = Buffer.alloc(SHA256_BLOCK_BYTES + MESSAGE_ROOM_BYTES);
  /** The outer pad, then the inner digest. */
  readonly #outer = Buffer.alloc(SHA256_BLOCK_BYTES + SHA256_DIGEST_BYTES);
  readonly #innerViews: Uint8Array[] = [];

  constructor(clientSecret: string) {
    let key = Buffer.from(clientSecret, 'utf8');
    if (key.length > SHA256_BLOCK_BYTES) key = hash('sha256', key, 'buffer');
    for (let i = 0; i < SHA256_BLOCK_BYTES; i += 1) {
      const keyByte = i < key.length ? key[i] : 0;
      this.#inner[i] = keyByte ^ INNER_PAD_BYTE;
      this.#outer[i] = keyByte ^ OUTER_PAD_BYTE;
    }
  }

  sign(eventCreated: number | string, eventId: string): string {
    const message = `${eventCreated}.${eventId}`;
    // A UTF-16 unit takes at most 3 UTF-8 bytes; a message that might not fit is hashed from a fresh buffer.
    const innerInput =
      message.length * 3 <= MESSAGE_ROOM_BYTES
        ? this.innerView(SHA256_BLOCK_BYTES + this.#inner.write(message, SHA256_BLOCK_BYTES, 'utf8'))
        : Buffer.concat([this.#inner.subarray(0, SHA256_BLOCK_BYTES), Buffer.from(message, 'utf8')]);
    // The digest as a latin1 ('binary') string copies straight into place; on Node 20 `hash(..., 'buffer')` costs three times it.
    this.#outer.write(hash('sha256', innerInput, 'binary'), SHA256_BLOCK_BYTES, 'latin1');
    return hash('sha256', this.#outer, 'base64');
  }

  /** The first `length` bytes of the inner buffer; views are kept per length, as `subarray` costs as much as a hash. */
  private innerView(length: number): Uint8Array {
    let view = this.#innerViews[length];
    if (view === undefined) {
      view = new Uint8Array(this.#inner.buffer, this.#inner.byteOffset, length);
      this.#innerViews[length] = view;
    }
    return view;
  }

  /** Constant-time check of an `X-Ecwid-Webhook-Signature` header value. */
  verify(signature: string, eventCreated: number | string, eventId: string): boolean {
    return signaturesMatch(signature, this.sign(eventCreated, eventId));
  }
}
