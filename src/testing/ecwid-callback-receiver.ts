import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EcwidNotificationBody } from '../notifications/ecwid-notification.model';
import { verifyEcwidNotificationSignature } from '../notifications/ecwid-notification.signature';

export interface EcwidCallbackReceiverOptions {
  /** Checks `Elements-Webhook-Signature` with this key; without one, `signatureValid` is undefined. */
  signatureKey?: string;
  port?: number;
  host?: string;
  /** Called for each notification as it arrives. */
  onNotification?: (notification: ReceivedNotification) => void;
}

export interface ReceivedNotification {
  /** `Elements-Webhook-Id`. */
  id: string;
  body: EcwidNotificationBody;
  rawBody: string;
  /** `Elements-Webhook-Signature` as received. */
  signature?: string;
  signatureValid?: boolean;
  /** The status this receiver answered. */
  status: number;
  at: number;
}

/**
 * A callback URL for tests and the demo: records every notification, verifies its signature, and answers what it
 * is told (a status per request, then 200), or goes down and comes back up on the same port.
 */
export class EcwidCallbackReceiver {
  readonly received: ReceivedNotification[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private answers: number[] = [];
  private boundPort: number;
  private readonly host: string;

  constructor(private readonly options: EcwidCallbackReceiverOptions = {}) {
    this.boundPort = options.port ?? 0;
    this.host = options.host ?? '127.0.0.1';
  }

  get url(): string {
    return `http://${this.host}:${this.boundPort}/notifications`;
  }

  /** Notifications answered 2xx, in arrival order. */
  get delivered(): ReceivedNotification[] {
    return this.received.filter((n) => n.status >= 200 && n.status < 300);
  }

  /** The next requests get these statuses, one each, then 200 again. */
  answerWith(...statuses: number[]): void {
    this.answers.push(...statuses);
  }

  async start(): Promise<this> {
    // A sender that goes away mid-body fails the read; unhandled, that rejection would end the test process.
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => resolve());
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening: senders see refused connections until `start()` again (on the same port). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async waitFor(done: (received: ReceivedNotification[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.received)) {
      if (Date.now() > deadline) throw new Error(`callback receiver: condition not met in ${timeoutMs} ms (${this.received.length} received)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const status = this.answers.shift() ?? 200;
    let body: EcwidNotificationBody;
    try {
      body = JSON.parse(rawBody) as EcwidNotificationBody;
    } catch {
      res.writeHead(400).end();
      return;
    }
    const header = req.headers['elements-webhook-signature'];
    const notification: ReceivedNotification = {
      id: String(req.headers['elements-webhook-id'] ?? ''),
      body,
      rawBody,
      signature: typeof header === 'string' ? header : undefined,
      signatureValid:
        this.options.signatureKey === undefined
          ? undefined
          : verifyEcwidNotificationSignature(rawBody, typeof header === 'string' ? header : undefined, this.options.signatureKey),
      status,
      at: Date.now(),
    };
    this.received.push(notification);
    this.options.onNotification?.(notification);
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  }
}
