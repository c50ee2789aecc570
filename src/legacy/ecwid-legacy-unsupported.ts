import { EcwidNotConfiguredError } from '../orders/ecwid-api.error';

/** What the legacy API cannot do needs the v3 token: the error says which setting supplies it. */
export function legacyUnsupported(what: string): EcwidNotConfiguredError {
  return new EcwidNotConfiguredError(
    `${what} is not available through Ecwid's legacy API: it needs a REST API v3 token ` +
      '(option "token", instance key "ecwid.api.token", env ECWID_TOKEN)',
  );
}
