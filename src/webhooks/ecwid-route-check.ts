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
 * Refuses to start an app in which two module instances, or one module's webhook and ION routes, register the same
 * path. Fastify refuses the second route itself; Express lets the first answer every POST, so the other route's
 * deliveries were refused (401) or taken for the wrong store, with nothing said at boot.
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
      const sharers = instances.flatMap((other) =>
        other.claims.filter((claim) => claim.path.toLowerCase() === path.toLowerCase()).map((claim) => ({ other, claim })),
      );
      if (sharers.length < 2) return [];
      if (sharers.every(({ other }) => other === this)) {
        // One module's webhook and ION routes: Express would let the first answer both kinds of POST. Said once.
        if (option !== 'ion.path') return [];
        return [{ key: option, message: `is "${path}", as is webhooks.path; give each route its own path` }];
      }
      const named = [...new Set(sharers.map(({ other }) => other.storeId))].join(', ');
      const remedy =
        option === 'webhooks.path'
          ? 'give each module its own path, or webhooks: { enabled: false } to a module that takes no webhooks'
          : 'give each module its own path';
      return [{ key: option, message: `stores ${named} all receive POSTs at "${path}"; ${remedy}` }];
    });
    if (problems.length > 0) throw new EcwidConfigError(problems);
  }
}
