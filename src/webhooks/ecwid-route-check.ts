import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { EcwidConfigError } from '../config/ecwid-config.error';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_RESOLVED_CONFIG } from '../ecwid.constants';

/** A route a module instance registers for Ecwid to post to, by the option that sets its path. */
export interface EcwidRouteClaim {
  option: 'webhooks.path' | 'ion.path';
  path: string;
}

export const ECWID_ROUTE_CLAIMS = Symbol('ECWID_ROUTE_CLAIMS');

/**
 * Refuses to start an app in which two module instances register the same path. Fastify refuses the second route
 * itself; Express lets the first answer every delivery, so the other store's deliveries were refused (401), or,
 * under one Ecwid app's shared secret, answered as another store's and lost, with nothing said at boot.
 */
@Injectable()
export class EcwidRouteCheck implements OnModuleInit {
  constructor(
    @Inject(ECWID_ROUTE_CLAIMS) readonly claims: readonly EcwidRouteClaim[],
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  get storeId(): number {
    return this.config.storeId;
  }

  /** Also run by EcwidModule's `configure`, before the routes are registered, in an app with an HTTP server. */
  onModuleInit(): void {
    this.check();
  }

  check(): void {
    const instances = [...new Set(this.moduleRef.get(EcwidRouteCheck, { strict: false, each: true }))];
    const problems = this.claims.flatMap(({ option, path }) => {
      // Express matches paths without regard to case, so two paths that differ only in case are one route there.
      const stores = instances.filter((other) => other.claims.some((claim) => claim.path.toLowerCase() === path.toLowerCase()));
      if (stores.length < 2) return [];
      const named = stores.map((other) => other.storeId).join(', ');
      const remedy =
        option === 'webhooks.path'
          ? 'give each module its own path, or webhooks: { enabled: false } to a module that takes no webhooks'
          : 'give each module its own path';
      return [{ key: option, message: `stores ${named} all receive POSTs at "${path}"; ${remedy}` }];
    });
    if (problems.length > 0) throw new EcwidConfigError(problems);
  }
}
