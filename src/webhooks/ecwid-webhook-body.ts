import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { BadRequestException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';

function tooLarge(limit: number): PayloadTooLargeException {
  return new PayloadTooLargeException(`Ecwid webhook body is over ${limit} bytes`);
}

/** A body still as text or bytes, parsed as JSON within the limit. */
export function parseJsonBody(body: string | Buffer, limit: number): unknown {
  if (Buffer.byteLength(body) > limit) throw tooLarge(limit);
  try {
    return JSON.parse(body.toString());
  } catch {
    throw new BadRequestException('Ecwid webhook body is not JSON');
  }
}

/** Reads a body the adapter left unparsed (Express with `bodyParser: false`), stopping at the limit. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return parseJsonBody(Buffer.concat(chunks), limit);
}

/**
 * Ecwid compresses neither webhooks nor IONs. Express inflates a compressed body before any route runs, so its size on
 * the wire, which the routes' limits are checked against, says nothing of what was parsed.
 */
export function refuseContentEncoding(headers: IncomingHttpHeaders, what: string): void {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new UnsupportedMediaTypeException(`Ecwid ${what} bodies are sent without a Content-Encoding`);
  }
}
