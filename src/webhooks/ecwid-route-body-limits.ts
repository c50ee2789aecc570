import { Inject, Injectable, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EcwidConfigService } from '../config/ecwid-config.service';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { ECWID_ION_MAX_BODY_BYTES } from '../ion/ecwid-ion-body';

/** The part of a Fastify instance used here: its route-registration hook and its own body limit. */
interface FastifyRouteHooks {
  addHook(name: 'onRoute', hook: (route: { url: string; method: string | string[]; bodyLimit?: number }) => void): unknown;
  initialConfig?: { bodyLimit?: number };
}

/**
 * Fastify reads and parses a request's body before any route runs, up to its `bodyLimit` (1 MiB unless the app set
 * another), so the webhook and ION routes' own 413s came after parsing whatever an unsigned request sent. A
 * route-level `bodyLimit` makes Fastify refuse it from `Content-Length` (or stop reading at the limit) instead. Nest
 * passes no body limit per route, so it is set as Fastify registers each route, from EcwidModule's `configure`, which
 * Nest runs before it registers routes. Express has no such hook: its parsers run first, up to their own limit.
 */
@Injectable()
export class EcwidRouteBodyLimits {
  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    private readonly configService: EcwidConfigService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  apply(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyRouteHooks>();
    const limits = new Map<string, number>();
    if (this.config.webhooks.enabled) limits.set(this.configService.webhookRoute(), this.config.webhooks.maxBodyBytes);
    const ion = this.configService.ionRoute();
    if (ion !== undefined) limits.set(ion, ECWID_ION_MAX_BODY_BYTES);
    if (limits.size === 0) return;
    // Lower than the app's own limit only: an app that set a smaller one keeps it.
    const appLimit = fastify.initialConfig?.bodyLimit ?? Infinity;
    fastify.addHook('onRoute', (route) => {
      const limit = limits.get(route.url);
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (limit !== undefined && methods.includes('POST')) route.bodyLimit = Math.min(limit, appLimit);
    });
  }
}
