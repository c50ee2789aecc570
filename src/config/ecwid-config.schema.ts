import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { MAX_DEDUP_ENTRIES } from '../ecwid.constants';

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const SECRET = { message: 'must be a non-empty string' };
/**
 * Ecwid's credentials hold no whitespace or control characters: a copy that does (a file's trailing newline, say) would
 * boot and then fail every call with 403 or every webhook with 401, and a CR LF would split the Authorization header.
 */
const CREDENTIAL_TEXT = /^[^\s\p{Cc}]+$/u;
const CREDENTIAL = { message: 'must not contain whitespace or control characters' };
/** The signature key is the callback receiver's own choice, so inner spaces may be part of it; the rest may not. */
const SIGNING_KEY_TEXT = /^(?!\s)[^\p{Cc}]*(?<!\s)$/u;
const SIGNING_KEY = { message: 'must not begin or end with whitespace or contain control characters' };
/**
 * One segment of a plain path. Not `.` or `..`: a URL holding one normalizes to another path (`hooks/../ecwid` is
 * `/ecwid`), so the URL given to Ecwid would miss the route registered as written.
 */
const PLAIN_SEGMENT = String.raw`(?!\.\.?(?:/|$))[A-Za-z0-9._~-]+`;
/** A route path Ecwid can be given as it is: no wildcards, parameters, dot segments or characters that need escaping. */
export const PLAIN_PATH = new RegExp(String.raw`^/?${PLAIN_SEGMENT}(/${PLAIN_SEGMENT})*/?$`);
export const PLAIN_PATH_MESSAGE = {
  message: 'must be a plain path of letters, digits, ".", "_", "~", "-" and "/" (no wildcards, parameters, or "." or ".." segments)',
};

/**
 * Node runs a timer of 2^31 ms or more after 1 ms instead, so a longer timeout would fail every call at once and a
 * longer delay would spin: every setting that ends up in a timer, as it is or derived, stays within it.
 */
const MAX_TIMER_MS = 2_147_483_647;
const NODE_TIMERS = `Node's timers stop at ${MAX_TIMER_MS} ms, about 24.8 days`;
const atMost = (max: number, unit: string, why: string) => ({ message: `must be at most ${max} ${unit} (${why})` });
const TIMER_MS = atMost(MAX_TIMER_MS, 'ms', NODE_TIMERS);
/** The rate limiter waits out its window plus a 1% margin. */
const MAX_RATE_LIMIT_WINDOW_MS = Math.floor(MAX_TIMER_MS / 1.01);
const RATE_LIMIT_WINDOW = atMost(MAX_RATE_LIMIT_WINDOW_MS, 'ms', `the window and its 1% margin are one wait; ${NODE_TIMERS}`);
/** The poller renews its lease every quarter of its lifetime. */
const MAX_POLL_LEASE_TTL_MS = MAX_TIMER_MS * 4 + 3;
const POLL_LEASE_TTL = atMost(MAX_POLL_LEASE_TTL_MS, 'ms', `a quarter of it is the renewal timer; ${NODE_TIMERS}`);
const MAX_POLL_INTERVAL_MINUTES = Math.floor(MAX_TIMER_MS / 60_000);
const POLL_INTERVAL = atMost(MAX_POLL_INTERVAL_MINUTES, 'minutes', NODE_TIMERS);

/** One flat property per setting, whichever key the user wrote it under; messages never echo values. */
export class EcwidConfigSchema {
  @IsInt({ message: 'must be a positive integer' })
  @Min(1, { message: 'must be a positive integer' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'must be a positive integer' })
  storeId?: number;

  @IsOptional() @IsString(SECRET) @IsNotEmpty(SECRET) @Matches(CREDENTIAL_TEXT, CREDENTIAL)
  token?: string;

  @IsOptional() @IsString(SECRET) @IsNotEmpty(SECRET) @Matches(CREDENTIAL_TEXT, CREDENTIAL)
  clientSecret?: string;

  @IsOptional() @IsUrl(URL_OPTIONS, { message: 'must be an http(s) URL' })
  apiBaseUrl?: string;

  @IsOptional() @IsBoolean({ message: 'must be true or false' })
  hydrate?: boolean;

  @IsOptional() @IsInt({ message: 'must be a whole number of milliseconds' }) @Min(1, { message: 'must be at least 1' })
  @Max(MAX_TIMER_MS, TIMER_MS)
  hydrateTimeoutMs?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number of milliseconds' }) @Min(1, { message: 'must be at least 1' })
  @Max(MAX_TIMER_MS, TIMER_MS)
  timeoutMs?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number' }) @Min(0, { message: 'must be 0 or more' }) @Max(20, { message: 'must be 20 or less' })
  maxRetries?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number of milliseconds' }) @Min(0, { message: 'must be 0 or more' })
  @Max(MAX_TIMER_MS, TIMER_MS)
  retryBaseDelayMs?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number of milliseconds' }) @Min(0, { message: 'must be 0 or more' })
  @Max(MAX_TIMER_MS, TIMER_MS)
  retryMaxDelayMs?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number' }) @Min(1, { message: 'must be at least 1' })
  requestsPerMinute?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number of milliseconds' }) @Min(100, { message: 'must be at least 100' })
  @Max(MAX_RATE_LIMIT_WINDOW_MS, RATE_LIMIT_WINDOW)
  rateLimitWindowMs?: number;

  @IsOptional() @IsBoolean({ message: 'must be true or false' })
  webhooksEnabled?: boolean;

  @IsOptional() @Matches(PLAIN_PATH, PLAIN_PATH_MESSAGE)
  webhooksPath?: string;

  @IsOptional() @IsBoolean({ message: 'must be true or false' })
  ionEnabled?: boolean;

  @IsOptional() @Matches(PLAIN_PATH, PLAIN_PATH_MESSAGE)
  ionPath?: string;

  @IsOptional() @IsInt({ message: 'must be a whole number of bytes' }) @Min(256, { message: 'must be at least 256' })
  maxBodyBytes?: number;

  @IsOptional()
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(86_400, { message: 'must be at least 86400 (24 h): Ecwid redelivers an event for a day' })
  dedupTtlSeconds?: number;

  @IsOptional()
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(86_400, { message: 'must be at least 86400 (24 h): Ecwid redelivers an event for a day' })
  maxEventAgeSeconds?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number' }) @Min(1, { message: 'must be at least 1' })
  @Max(MAX_DEDUP_ENTRIES, { message: `must be ${MAX_DEDUP_ENTRIES} or less` })
  dedupMaxEntries?: number;

  @IsOptional() @IsIn(['ecwid'], { message: 'must be "ecwid": this module serves the Ecwid element' })
  elementKey?: string;

  @IsOptional() @IsString({ message: 'must be a string' })
  instanceName?: string;

  @IsOptional() @IsArray({ message: 'must be an array of strings' }) @IsString({ each: true, message: 'must be an array of strings' })
  tags?: string[];

  @IsOptional() @IsString({ message: 'must be a string' })
  oauthApiKey?: string;

  @IsOptional() @IsUrl(URL_OPTIONS, { message: 'must be an http(s) URL' })
  oauthCallbackUrl?: string;

  @IsOptional() @IsString(SECRET) @IsNotEmpty(SECRET) @Matches(CREDENTIAL_TEXT, CREDENTIAL)
  legacyOrderKey?: string;

  @IsOptional() @IsString(SECRET) @IsNotEmpty(SECRET) @Matches(CREDENTIAL_TEXT, CREDENTIAL)
  legacyProductKey?: string;

  @IsOptional() @IsUrl(URL_OPTIONS, { message: 'must be an http(s) URL' })
  legacyApiBaseUrl?: string;

  @IsOptional() @IsBoolean({ message: 'must be true or false' })
  notificationEnabled?: boolean;

  @IsOptional() @IsIn(['polling', 'webhook', 'webhooks'], { message: 'must be "polling" or "webhook"' })
  vendorType?: string;

  @IsOptional() @IsUrl(URL_OPTIONS, { message: 'must be an http(s) URL' })
  callbackUrl?: string;

  @IsOptional() @IsString(SECRET) @IsNotEmpty(SECRET) @Matches(SIGNING_KEY_TEXT, SIGNING_KEY)
  signatureKey?: string;

  // Shorter intervals round to 0 ms: cycles back to back spend the token's whole request budget, and 0 never backs off.
  @IsOptional() @IsPositive({ message: 'must be a positive number of minutes' })
  @Min(1 / 60, { message: 'must be at least 1/60 minute (1 second)' })
  @Max(MAX_POLL_INTERVAL_MINUTES, POLL_INTERVAL)
  pollerRefreshIntervalMinutes?: number;

  @IsOptional() @IsObject({ message: 'must be a JSON object' })
  pollerConfiguration?: Record<string, unknown>;

  @IsOptional() @IsInt({ message: 'must be a whole number' }) @Min(0, { message: 'must be from 0 to 20' }) @Max(20, { message: 'must be from 0 to 20' })
  notifyMaxRetries?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number of milliseconds' }) @Min(1, { message: 'must be at least 1' })
  notifyRetryUnitMs?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number of milliseconds' }) @Min(1, { message: 'must be at least 1' })
  @Max(MAX_TIMER_MS, TIMER_MS)
  notifyTimeoutMs?: number;

  @IsOptional() @IsBoolean({ message: 'must be true or false' })
  pollingEnabled?: boolean;

  @IsOptional() @IsBoolean({ message: 'must be true or false' })
  pollAutoStart?: boolean;

  @IsOptional() @IsInt({ message: 'must be a whole number of seconds' }) @Min(0, { message: 'must be 0 or more' })
  pollOverlapSeconds?: number;

  @IsOptional() @IsNumber({}, { message: 'must be a number of seconds' }) @Min(0, { message: 'must be 0 or more' })
  pollCreatedToleranceSeconds?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number' }) @Min(1, { message: 'must be from 1 to 100' }) @Max(100, { message: 'must be from 1 to 100' })
  pollPageSize?: number;

  @IsOptional() @IsInt({ message: 'must be a whole number of milliseconds' }) @Min(1000, { message: 'must be at least 1000' })
  @Max(MAX_POLL_LEASE_TTL_MS, POLL_LEASE_TTL)
  pollLeaseTtlMs?: number;
}

export type EcwidConfigField = keyof EcwidConfigSchema;
