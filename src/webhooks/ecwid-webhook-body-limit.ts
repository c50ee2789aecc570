import { Inject, Injectable, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EcwidConfigService } from '../config/ecwid-config.service';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_RESOLVED_CONFIG } from '../ecwid.constants';

/** The part of a Fastify instance used here: its route-registration hook and its own body limit. */
interface FastifyRouteHooks {
  addHook(name: 'onRoute', hook: (route: { url: string; method: string | string[]; bodyLimit?: number }) => void): unknown;
  initialConfig?: { bodyLimit?: number };
}

/**
 * Fastify reads and parses a request's body before any route runs, up to its `bodyLimit` (1 MiB unless the app set
 * another), so the webhook route's own 413 came after parsing whatever an unsigned request sent. A route-level
 * `bodyLimit` makes Fastify refuse it from `Content-Length` (or stop reading at the limit) instead. Nest passes no
 * body limit per route, so it is set as Fastify registers the route, from EcwidModule's `configure`, which Nest
 * runs before it registers routes. Express has no such hook: its parsers run first, up to their own limit.
 */
@Injectable()
export class EcwidWebhookBodyLimit {
  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    private readonly configService: EcwidConfigService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  apply(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!this.config.webhooks.enabled || adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyRouteHooks>();
    const url = this.configService.webhookRoute();
    // Lower than the app's own limit only: an app that set a smaller one keeps it.
    const limit = Math.min(this.config.webhooks.maxBodyBytes, fastify.initialConfig?.bodyLimit ?? Infinity);
    fastify.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (route.url === url && methods.includes('POST')) route.bodyLimit = limit;
    });
  }
}
