import { inspect } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamicModule, Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConfigModule, ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import {
  EcwidConfigError,
  EcwidConfigService,
  EcwidModule,
  ecwidConfig,
  ecwidOptionsFromEnv,
  EcwidModuleOptions,
  EcwidOptionsFactory,
  EcwidMemoryDedupStore,
  EcwidMemoryStateStore,
  EcwidStateStore,
  InjectEcwidStateStore,
  resolveEcwidConfig,
} from 'nestjs-ecwid';
import seedInstance from './fixtures/seed-instance.json';
import { ADAPTERS, startApp } from './support/apps';

const SECRETS = ['secret_token_value_123', 'client_secret_value_456', 'seed_order_api_key_value', 'seed_product_api_key_value', 'sig_key_789'];

function problemsOf(options: EcwidModuleOptions): Array<{ key: string; message: string }> {
  try {
    resolveEcwidConfig(options);
  } catch (error) {
    expect(error).toBeInstanceOf(EcwidConfigError);
    return (error as EcwidConfigError).problems;
  }
  throw new Error('expected an EcwidConfigError');
}

describe('configuration', () => {
  it('resolves canonical options with defaults', () => {
    const config = resolveEcwidConfig({ storeId: 1003, token: 'secret_token_value_123', clientSecret: 'client_secret_value_456' });
    expect(config).toMatchObject({
      storeId: 1003,
      apiBaseUrl: 'https://app.ecwid.com/api/v3',
      hydrate: false,
      hydrateTimeoutMs: 8000,
      http: { timeoutMs: 15000, maxRetries: 4, requestsPerMinute: 600 },
      webhooks: { enabled: true, path: 'ecwid/webhooks', maxBodyBytes: 65536, dedupTtlSeconds: 172800, maxEventAgeSeconds: 172800 },
      events: { notificationEnabled: false },
    });
    expect(config.token?.reveal()).toBe('secret_token_value_123');
  });

  it('accepts the Cloud Elements instance JSON verbatim and keeps the keys it does not act on yet', () => {
    const config = resolveEcwidConfig(seedInstance);
    expect(config.storeId).toBe(1003);
    expect(config.legacy.orderKey?.reveal()).toBe('seed_order_api_key_value');
    expect(config.legacy.productKey?.reveal()).toBe('seed_product_api_key_value');
    expect(config.events).toMatchObject({
      notificationEnabled: true,
      callbackUrl: 'https://integrations.example.com/ecwid/events',
    });
    expect(config.instance).toMatchObject({ elementKey: 'ecwid', name: 'ecwid-store-1003', tags: ['ecwid', 'orders'], unrecognizedKeys: [] });
    expect(config.webhooks.enabled).toBe(false);
  });

  it('maps the extension keys and the event keys of the instance JSON', () => {
    const config = resolveEcwidConfig({
      configuration: {
        'ecwid.store.id': 42,
        'ecwid.api.token': 'secret_token_value_123',
        'oauth.api.secret': 'client_secret_value_456',
        'ecwid.api.base.url': 'http://127.0.0.1:9999/api/v3/',
        'event.vendor.type': 'webhooks',
        'event.notification.signature.key': 'sig_key_789',
        'event.poller.refresh_interval': '0.5',
        'event.poller.configuration': '{"orders":{"url":"/orders","idField":"id","pageSize":100}}',
        'pagination.type': 'offset',
      },
    });
    expect(config.storeId).toBe(42);
    expect(config.token?.reveal()).toBe('secret_token_value_123');
    expect(config.clientSecret?.reveal()).toBe('client_secret_value_456');
    expect(config.apiBaseUrl).toBe('http://127.0.0.1:9999/api/v3');
    expect(config.events.vendorType).toBe('webhook');
    expect(config.events.pollerRefreshIntervalMinutes).toBe(0.5);
    expect(config.events.pollerConfiguration).toEqual({ orders: { url: '/orders', idField: 'id', pageSize: 100 } });
    expect(config.events.signatureKey?.reveal()).toBe('sig_key_789');
    expect(config.instance.unrecognizedKeys).toEqual(['pagination.type']);
  });

  it("takes a top-level token beside element for Cloud Elements' own instance token, never for Ecwid's", () => {
    const response = { ...seedInstance, id: 12345, token: 'ce_element_instance_token_852' };
    const config = resolveEcwidConfig(response);
    expect(config.token).toBeUndefined();
    expect(config.legacy.orderKey?.reveal()).toBe('seed_order_api_key_value');
    expect(config.instance.elementToken?.reveal()).toBe('ce_element_instance_token_852');
    expect(`${JSON.stringify(config)} ${inspect(config, { depth: 10 })}`).not.toContain('ce_element_instance_token_852');
    // Ecwid's token is the instance key, which the other one does not disagree with; or ECWID_TOKEN.
    const withEcwidToken = { ...response, configuration: { ...response.configuration, 'ecwid.api.token': 'secret_token_value_123' } };
    expect(resolveEcwidConfig(withEcwidToken).token?.reveal()).toBe('secret_token_value_123');
    const fromEnv = ecwidOptionsFromEnv({ ECWID_INSTANCE_JSON: JSON.stringify(response), ECWID_TOKEN: 'secret_token_value_123' });
    expect(resolveEcwidConfig(fromEnv).token?.reveal()).toBe('secret_token_value_123');
    // Without element the options are canonical, and token is Ecwid's as ever.
    expect(resolveEcwidConfig({ configuration: response.configuration, token: 'secret_token_value_123' }).token?.reveal()).toBe('secret_token_value_123');
    const { 'ecwid.order.key': _key, ...noKey } = response.configuration;
    expect(problemsOf({ ...response, configuration: noKey })).toEqual([
      {
        key: 'ecwid.api.token | oauth.api.secret | ecwid.order.key',
        message:
          "at least one credential is required: the v3 API token, the app client secret, or the legacy Order API key (the top-level token is Cloud Elements' own, not Ecwid's)",
      },
    ]);
  });

  it('keeps the values of instance keys it does not know, and never shows them', async () => {
    const options = {
      storeId: 1003,
      token: 'secret_token_value_123',
      configuration: { 'pagination.type': 'offset', 'vendor.api.password': 'unknown_pw_741', 'vendor.limits': { perMinute: 5 } },
    };
    const config = resolveEcwidConfig(options);
    expect(config.instance.unrecognizedKeys).toEqual(['pagination.type', 'vendor.api.password', 'vendor.limits']);
    expect(config.instance.unrecognized['pagination.type'].reveal()).toBe('offset');
    expect(config.instance.unrecognized['vendor.api.password'].reveal()).toBe('unknown_pw_741');
    expect(config.instance.unrecognized['vendor.limits'].reveal()).toEqual({ perMinute: 5 });
    const moduleRef = await Test.createTestingModule({ imports: [EcwidModule.forRoot(options)] }).compile();
    const service = moduleRef.get(EcwidConfigService);
    const shown = [
      JSON.stringify(service),
      inspect(service, { depth: 10 }),
      JSON.stringify({ ...config }),
      JSON.stringify({ ...config.instance }),
      inspect({ ...config.instance }, { depth: 10 }),
      JSON.stringify(ecwidOptionsFromEnv({ ECWID_INSTANCE_JSON: JSON.stringify(options) })),
    ];
    for (const text of shown) expect(text).not.toMatch(/offset|unknown_pw_741|perMinute/);
    expect(JSON.stringify(service)).toContain('"unrecognized":{"pagination.type":"[redacted]","vendor.api.password":"[redacted]"');
    await moduleRef.close();
  });

  it('reports every problem at once, under the key the user wrote', () => {
    const problems = problemsOf({
      configuration: { 'ecwid.store.id': 'abc', 'event.vendor.type': 'push', 'event.notification.enabled': 'yes' },
      apiBaseUrl: 'not a url',
      webhooks: { path: 'ecwid/*', maxBodyBytes: 10, dedupTtlSeconds: 60, maxEventAgeSeconds: 3600 },
      http: { timeoutMs: 0 },
      hydrateTimeoutMs: 0,
      element: { key: 'shopify' },
    });
    expect(problems.map((p) => p.key).sort()).toEqual(
      [
        'ecwid.store.id',
        'event.vendor.type',
        'event.notification.enabled',
        'apiBaseUrl',
        'webhooks.path',
        'webhooks.maxBodyBytes',
        'webhooks.dedupTtlSeconds',
        'webhooks.maxEventAgeSeconds',
        'http.timeoutMs',
        'hydrateTimeoutMs',
        'element.key',
        'ecwid.api.token | oauth.api.secret | ecwid.order.key',
      ].sort(),
    );
  });

  it('names an option that is a slip for a known one, where it would otherwise be ignored and its default used', () => {
    const problems = problemsOf({
      storeId: 1,
      token: 't',
      clientSecrett: 'typo',
      hydrat: true,
      webhook: { path: 'x' },
      StoreId: 1,
      webhooks: { enable: true, maxBodyBytes: 1024, mystery: 1 },
      http: { timeoutMS: 100 },
    } as EcwidModuleOptions);
    expect(problems).toEqual([
      { key: 'clientSecrett', message: 'is not an option; did you mean "clientSecret"?' },
      { key: 'hydrat', message: 'is not an option; did you mean "hydrate"?' },
      { key: 'webhook', message: 'is not an option; did you mean "webhooks"?' },
      { key: 'StoreId', message: 'is not an option; did you mean "storeId"?' },
      { key: 'webhooks.enable', message: 'is not an option of webhooks; did you mean "enabled"?' },
      {
        key: 'webhooks.mystery',
        message:
          'is not an option of webhooks; its options are enabled, path, maxBodyBytes, dedupTtlSeconds, maxEventAgeSeconds, dedupMaxEntries, decorators',
      },
      { key: 'http.timeoutMS', message: 'is not an option of http; did you mean "timeoutMs"?' },
    ]);
    // A Cloud Elements instance JSON's own fields, top level and in its element, are not mistakes.
    expect(() =>
      resolveEcwidConfig({ ...seedInstance, id: 42, createdDate: '2017-01-01', element: { key: 'ecwid', id: 7, hub: 'ecommerce' } }),
    ).not.toThrow();
  });

  it('says a value is of the wrong type before saying it is out of range', () => {
    const problems = problemsOf({ storeId: 1, token: 't', http: { timeoutMs: 'abc' as unknown as number, maxRetries: 'lots' as unknown as number } });
    expect(problems).toEqual([
      { key: 'http.timeoutMs', message: 'must be a whole number of milliseconds' },
      { key: 'http.maxRetries', message: 'must be a whole number' },
    ]);
  });

  it('refuses a store id no number can hold exactly, and a configuration that is an array', () => {
    expect(problemsOf({ storeId: 1e21, token: 't' })).toEqual([{ key: 'storeId', message: 'must be a positive integer' }]);
    expect(problemsOf({ storeId: 1, token: 't', configuration: ['a'] as unknown as Record<string, unknown> })).toEqual([
      { key: 'configuration', message: 'must be an object of Cloud Elements configuration keys' },
    ]);
  });

  it('requires a store id and a credential', () => {
    expect(problemsOf({})).toEqual([
      { key: 'storeId', message: 'is required' },
      expect.objectContaining({ key: 'token | clientSecret | ecwid.order.key' }),
    ]);
    expect(problemsOf({ configuration: {} }).map((p) => p.key)).toEqual([
      'ecwid.store.id',
      'ecwid.api.token | oauth.api.secret | ecwid.order.key',
    ]);
  });

  it('refuses settings that contradict each other', () => {
    expect(problemsOf({ storeId: 1, token: 't', configuration: { 'ecwid.store.id': '2' } })).toEqual([
      { key: 'storeId', message: 'disagrees with ecwid.store.id; give one of them' },
    ]);
    expect(problemsOf({ storeId: 1, token: 't', webhooks: { enabled: true } })[0].key).toBe('webhooks.enabled');
    expect(problemsOf({ storeId: 1, clientSecret: 's', hydrate: true })[0].key).toBe('hydrate');
    expect(problemsOf({ storeId: 1, clientSecret: 's', ion: { enabled: true } })).toEqual([
      { key: 'ion.enabled', message: 'needs token or ecwid.order.key to confirm each notification by reading the order' },
    ]);
    expect(problemsOf({ storeId: 1, token: 't', configuration: { 'event.notification.enabled': true } })[0]).toEqual({
      key: 'event.notification.callback.url',
      message: 'is required when event.notification.enabled is true',
    });
    expect(problemsOf({ storeId: 1, token: 't', http: { retryBaseDelayMs: 100, retryMaxDelayMs: 10 } })[0].key).toBe('http.retryMaxDelayMs');
  });

  it("refuses a time Node's timers cannot hold (they fire at once past 2^31-1 ms), under the key the user wrote", () => {
    const over = 2 ** 31;
    const problems = problemsOf({
      storeId: 1,
      token: 't',
      hydrateTimeoutMs: over,
      http: { timeoutMs: over, retryBaseDelayMs: over, retryMaxDelayMs: over, rateLimitWindowMs: 2_126_221_433 },
      notifications: { timeoutMs: over },
      polling: { intervalMinutes: 35_792, leaseTtlMs: 8_589_934_592 },
    });
    expect(problems).toEqual([
      { key: 'hydrateTimeoutMs', message: "must be at most 2147483647 ms (Node's timers stop at 2147483647 ms, about 24.8 days)" },
      { key: 'http.timeoutMs', message: expect.stringMatching(/^must be at most 2147483647 ms /) },
      { key: 'http.retryBaseDelayMs', message: expect.stringMatching(/^must be at most 2147483647 ms /) },
      { key: 'http.retryMaxDelayMs', message: expect.stringMatching(/^must be at most 2147483647 ms /) },
      { key: 'http.rateLimitWindowMs', message: expect.stringMatching(/^must be at most 2126221432 ms \(the window and its 1% margin/) },
      { key: 'polling.intervalMinutes', message: expect.stringMatching(/^must be at most 35791 minutes /) },
      { key: 'notifications.timeoutMs', message: expect.stringMatching(/^must be at most 2147483647 ms /) },
      { key: 'polling.leaseTtlMs', message: expect.stringMatching(/^must be at most 8589934591 ms \(a quarter of it/) },
    ]);
    const largest = resolveEcwidConfig({
      storeId: 1,
      token: 't',
      hydrateTimeoutMs: over - 1,
      http: { timeoutMs: over - 1, retryBaseDelayMs: over - 1, retryMaxDelayMs: over - 1, rateLimitWindowMs: 2_126_221_432 },
      notifications: { timeoutMs: over - 1 },
      polling: { intervalMinutes: 35_791, leaseTtlMs: 8_589_934_591 },
    });
    expect(largest.polling.intervalMs).toBeLessThan(over);
    expect(
      problemsOf(ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_TOKEN: 't', ECWID_TIMEOUT_MS: String(over), ECWID_POLL_INTERVAL_MINUTES: '40000' })).map(
        (p) => p.key,
      ),
    ).toEqual(['ECWID_TIMEOUT_MS', 'ECWID_POLL_INTERVAL_MINUTES']);
    expect(problemsOf({ configuration: { 'ecwid.store.id': '1', 'ecwid.api.token': 't', 'event.poller.refresh_interval': '40000' } })).toEqual([
      { key: 'event.poller.refresh_interval', message: expect.stringMatching(/^must be at most 35791 minutes /) },
    ]);
  });

  it('takes an empty or null setting for an absent one, so it does not disagree with the instance key', () => {
    const config = resolveEcwidConfig({
      storeId: 1,
      clientSecret: '',
      token: null as unknown as string,
      configuration: { 'oauth.api.secret': 'client_secret_value_456', 'ecwid.api.token': 'secret_token_value_123' },
    });
    expect(config.clientSecret?.reveal()).toBe('client_secret_value_456');
    expect(config.token?.reveal()).toBe('secret_token_value_123');
    expect(problemsOf({ storeId: '', configuration: { 'ecwid.store.id': 'abc', 'ecwid.api.token': 't' } })).toEqual([
      { key: 'ecwid.store.id', message: 'must be a positive integer' },
    ]);
  });

  it('keeps the oldest event a webhook may carry inside the dedup window', () => {
    const base = { storeId: 1, clientSecret: 's' };
    expect(resolveEcwidConfig({ ...base, webhooks: { dedupTtlSeconds: 100_000 } }).webhooks.maxEventAgeSeconds).toBe(100_000);
    expect(resolveEcwidConfig({ ...base, webhooks: { maxEventAgeSeconds: '90000' as unknown as number } }).webhooks).toMatchObject({
      maxEventAgeSeconds: 90_000,
      dedupTtlSeconds: 172_800,
    });
    expect(problemsOf({ ...base, webhooks: { maxEventAgeSeconds: 200_000 } })).toEqual([
      {
        key: 'webhooks.maxEventAgeSeconds',
        message: 'must not exceed webhooks.dedupTtlSeconds (172800): an event older than the dedup window could be replayed as new',
      },
    ]);
    expect(problemsOf({ ...base, webhooks: { maxEventAgeSeconds: 3600 } })).toEqual([
      { key: 'webhooks.maxEventAgeSeconds', message: 'must be at least 86400 (24 h): Ecwid redelivers an event for a day' },
    ]);
  });

  it('never shows a secret in an error, JSON.stringify or util.inspect', async () => {
    let message = '';
    try {
      resolveEcwidConfig({
        storeId: 'x',
        token: 'secret_token_value_123',
        clientSecret: 'client_secret_value_456',
        configuration: { 'ecwid.order.key': 'seed_order_api_key_value', 'event.notification.signature.key': 5 as unknown as string },
      });
    } catch (error) {
      message = `${(error as Error).message} ${JSON.stringify(error)} ${inspect(error)}`;
    }
    expect(message).toContain('storeId');
    const moduleRef = await Test.createTestingModule({
      imports: [
        EcwidModule.forRoot({
          storeId: 1003,
          token: 'secret_token_value_123',
          clientSecret: 'client_secret_value_456',
          configuration: {
            'ecwid.order.key': 'seed_order_api_key_value',
            'ecwid.product.key': 'seed_product_api_key_value',
            'event.notification.signature.key': 'sig_key_789',
          },
        }),
      ],
    }).compile();
    const service = moduleRef.get(EcwidConfigService);
    const shown = `${message} ${JSON.stringify(service)} ${inspect(service, { depth: 10 })} ${JSON.stringify(service.config)} ${inspect(service.config, { depth: 10 })} ${String(service.config.token)}`;
    for (const secret of SECRETS) expect(shown).not.toContain(secret);
    expect(JSON.stringify(service)).toContain('"token":"[redacted]"');
    expect(service.config.clientSecret?.reveal()).toBe('client_secret_value_456');
    await moduleRef.close();
  });

  it('refuses a credential with whitespace or control characters at boot, where it would fail every call or webhook later', async () => {
    const message = 'must not contain whitespace or control characters';
    expect(
      problemsOf({
        storeId: 1,
        token: 'secret_token_value_123\r\nX-Injected: 1',
        clientSecret: 'client_secret_value_456\n',
        configuration: {
          'ecwid.order.key': ' seed_order_api_key_value',
          'ecwid.product.key': 'seed_product\tapi_key_value',
          'event.notification.signature.key': 'sig_key_789 ',
        },
      }),
    ).toEqual([
      { key: 'token', message },
      { key: 'clientSecret', message },
      { key: 'ecwid.order.key', message },
      { key: 'ecwid.product.key', message },
      { key: 'event.notification.signature.key', message: 'must not begin or end with whitespace or contain control characters' },
    ]);
    // A signing key is the receiver's own choice: a space inside it is its business.
    expect(resolveEcwidConfig({ storeId: 1, token: 't', notifications: { signatureKey: 'sig key 789' } }).events.signatureKey?.reveal()).toBe('sig key 789');
    // Variables are used as written, not trimmed: the error names the variable.
    expect(problemsOf(ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_CLIENT_SECRET: 'client_secret_value_456\n', ECWID_NOTIFICATION_SIGNATURE_KEY: '\u0000sig_key_789' }))).toEqual([
      { key: 'ECWID_CLIENT_SECRET', message },
      { key: 'ECWID_NOTIFICATION_SIGNATURE_KEY', message: 'must not begin or end with whitespace or contain control characters' },
    ]);
    const boot = await Test.createTestingModule({ imports: [EcwidModule.forRoot({ storeId: 1, clientSecret: 'client_secret_value_456\n' })] })
      .compile()
      .then(() => undefined, (error: unknown) => error);
    expect(boot).toBeInstanceOf(EcwidConfigError);
    expect(`${(boot as Error).message} ${inspect(boot, { depth: 10 })}`).not.toContain('client_secret_value_456');
  });

  it.each([
    ['a Redis URL', 'redis://:redis_pw_321@127.0.0.1:6379/0', '"redis":"redis://[redacted]@127.0.0.1:6379/0"'],
    ['Redis options', { host: '127.0.0.1', password: 'redis_pw_321', tls: { key: 'tls_key_pem', ca: 'public-ca' } }, '"password":"[redacted]"'],
    ['a Redis client', new Redis({ lazyConnect: true, password: 'redis_pw_321' }), '"redis":"ioredis client"'],
  ])('shows no credential of a callback URL or of %s in JSON.stringify or util.inspect', async (_form, redis, expected) => {
    const config = resolveEcwidConfig({
      storeId: 1003,
      token: 'secret_token_value_123',
      state: { type: 'redis', redis: redis as string },
      configuration: {
        'event.notification.enabled': true,
        'event.notification.callback.url': 'https://hook_user:hook_pw_654@hooks.example.com/ecwid?apiKey=hook_key_987&site=1',
      },
    });
    const service = new EcwidConfigService(config);
    // The parts holding URLs or connection settings may be logged on their own, or in a copy of the whole.
    const parts = [config.events, config.state, config.legacy, config.instance, { ...config }];
    const shown = [
      JSON.stringify(service),
      inspect(service, { depth: 10 }),
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      ...parts.flatMap((part) => [JSON.stringify(part), inspect(part, { depth: 10 })]),
    ];
    for (const text of shown) {
      for (const secret of ['redis_pw_321', 'tls_key_pem', 'hook_user', 'hook_pw_654', 'hook_key_987']) expect(text).not.toContain(secret);
    }
    expect(shown[0]).toContain('"callbackUrl":"https://hooks.example.com/[redacted]"');
    expect(shown[0]).toContain(expected);
    // What the module itself uses is untouched.
    expect(config.events.callbackUrl).toContain('hook_pw_654');
    expect((config.state as { redis: unknown }).redis).toBe(redis);
    if (redis instanceof Redis) redis.disconnect();
  });

  it('refuses an API base URL with a password, query or fragment, which every copy of the config would show', () => {
    const message = 'must be a base URL without user info, query or fragment: the token goes in as a Bearer header';
    for (const apiBaseUrl of ['https://proxy_user:url_pw_147@proxy.example/api/v3', 'https://proxy.example/api/v3?key=url_key_258']) {
      const problems = problemsOf({ storeId: 1, token: 't', apiBaseUrl });
      expect(problems).toEqual([{ key: 'apiBaseUrl', message }]);
      expect(JSON.stringify(problems)).not.toMatch(/url_pw_147|url_key_258|proxy_user/);
    }
    expect(problemsOf({ configuration: { 'ecwid.store.id': '1', 'ecwid.api.token': 't', 'ecwid.api.base.url': 'https://u:p@h.example/api/v3' } })).toEqual([
      { key: 'ecwid.api.base.url', message },
    ]);
    const config = resolveEcwidConfig({ storeId: 1, token: 't', apiBaseUrl: 'http://127.0.0.1:8080/api/v3' });
    expect(JSON.stringify({ ...config })).toContain('"apiBaseUrl":"http://127.0.0.1:8080/api/v3"');
  });

  it('refuses a legacy API base URL with a password, query or fragment, which would swallow each request path and key', () => {
    const message = 'must be a base URL without user info, query or fragment: each request adds its own path and the Order API key';
    const legacy = { configuration: { 'ecwid.store.id': '1', 'ecwid.order.key': 'k' } };
    expect(problemsOf({ ...legacy, legacy: { apiBaseUrl: 'https://proxy_user:url_pw_147@proxy.example/api/v1' } })).toEqual([
      { key: 'legacy.apiBaseUrl', message },
    ]);
    expect(problemsOf({ configuration: { ...legacy.configuration, 'ecwid.legacy.api.base.url': 'https://proxy.example/api/v1?region=url_key_258' } })).toEqual([
      { key: 'ecwid.legacy.api.base.url', message },
    ]);
    const fromEnv = problemsOf(ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_TOKEN: 't', ECWID_LEGACY_API_BASE_URL: 'https://proxy.example/api/v1#x' }));
    expect(fromEnv).toEqual([{ key: 'ECWID_LEGACY_API_BASE_URL', message }]);
    expect(resolveEcwidConfig({ ...legacy, legacy: { apiBaseUrl: 'http://127.0.0.1:8080/api/v1/' } }).legacy.apiBaseUrl).toBe('http://127.0.0.1:8080/api/v1');
  });

  it("shows a callback URL as its origin only, since a hook URL's path can be its token", () => {
    const shownWith = (callbackUrl: string): string[] => {
      const config = resolveEcwidConfig({ storeId: 1, token: 't', notifications: { enabled: true, callbackUrl } });
      const options = ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_TOKEN: 't', ECWID_NOTIFICATION_CALLBACK_URL: callbackUrl });
      return [JSON.stringify(new EcwidConfigService(config)), inspect(config, { depth: 10 }), JSON.stringify(config.events), JSON.stringify(options)];
    };
    for (const text of shownWith('https://hooks.zapier.com/hooks/catch/123/secret_tok_369/')) {
      expect(text).toContain('https://hooks.zapier.com/[redacted]');
      expect(text).not.toMatch(/secret_tok_369|hooks\/catch/);
    }
    for (const text of shownWith('https://hooks.example.com')) expect(text).toMatch(/https:\/\/hooks\.example\.com['"]/);
  });

  it('bounds a memory state store given explicitly by webhooks.dedupMaxEntries, unless it sets its own bound', async () => {
    @Injectable()
    class StoreHolder {
      constructor(@InjectEcwidStateStore() readonly store: EcwidStateStore) {}
    }
    /** How many of three handled event ids the module's store still remembers. */
    const remembered = async (options: EcwidModuleOptions): Promise<number> => {
      const moduleRef = await Test.createTestingModule({ imports: [EcwidModule.forRoot(options)], providers: [StoreHolder] }).compile();
      try {
        const store = moduleRef.get(StoreHolder).store as EcwidMemoryStateStore;
        for (const id of ['e1', 'e2', 'e3']) {
          await store.claim(id);
          await store.complete(id, 86_400);
        }
        return store.size;
      } finally {
        await moduleRef.close();
      }
    };
    const base = { storeId: 1, clientSecret: 's', webhooks: { dedupMaxEntries: 2 } };
    expect(await remembered({ ...base, state: { type: 'memory' } })).toBe(2);
    expect(await remembered({ ...ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_CLIENT_SECRET: 's', ECWID_STATE: 'memory' }), ...base })).toBe(2);
    expect(await remembered({ ...base, state: { type: 'memory', maxDedupEntries: 3 } })).toBe(3);
    expect(problemsOf({ ...base, state: { type: 'memory', maxDedupEntries: 0 } })).toEqual([
      { key: 'state.maxDedupEntries', message: 'must be a whole number from 1 to 67108864' },
    ]);
  });

  it('refuses a dedup bound over 2^26 ids at boot, not when the store first allocates its index', () => {
    const base = { storeId: 1, clientSecret: 's' };
    expect(problemsOf({ ...base, webhooks: { dedupMaxEntries: 2 ** 26 + 1 } })).toEqual([
      { key: 'webhooks.dedupMaxEntries', message: 'must be 67108864 or less' },
    ]);
    expect(problemsOf({ ...base, state: { type: 'memory', maxDedupEntries: 2 ** 26 + 1 } })).toEqual([
      { key: 'state.maxDedupEntries', message: 'must be a whole number from 1 to 67108864' },
    ]);
    expect(() => resolveEcwidConfig({ ...base, webhooks: { dedupMaxEntries: 2 ** 26 } })).not.toThrow();
    expect(() => new EcwidMemoryDedupStore(2 ** 26 + 1)).toThrow('maxEntries must be a whole number from 1 to 67108864');
  });

  it('reports option groups, a state, a dedup store or a clock of the wrong kind in the one error, not a TypeError or silence', async () => {
    const problems = problemsOf({
      storeId: 1,
      token: 't',
      http: 'fast',
      webhooks: [],
      polling: 1,
      notifications: true,
      legacy: 'v1',
      ion: null,
      element: 'shopify',
      state: null,
      dedupStore: {},
      clock: 5,
    } as unknown as EcwidModuleOptions);
    expect(problems).toEqual([
      ...['http', 'webhooks', 'polling', 'notifications', 'legacy', 'ion', 'element'].map((key) => ({ key, message: 'must be an object' })),
      { key: 'state', message: 'must be { type: "memory" | "sqlite" | "redis", ... } or an EcwidStateStore' },
      { key: 'dedupStore', message: 'must implement claim, complete, release (an EcwidDedupStore)' },
      { key: 'clock', message: 'must be a function returning the time in milliseconds' },
    ]);
    const partialStore = { claim: () => 'claimed', complete: () => undefined, release: async () => undefined };
    expect(problemsOf({ storeId: 1, token: 't', state: partialStore as unknown as EcwidStateStore, dedupStore: { claim: () => 'claimed' } as never })).toEqual([
      {
        key: 'state',
        message:
          'must implement getCursor, setCursor, getSnapshots, putSnapshots, deleteSnapshots, acquireLease, releaseLease, putRecords, listRecords, deleteRecords, increment (an EcwidStateStore)',
      },
      { key: 'dedupStore', message: 'must implement complete, release (an EcwidDedupStore)' },
    ]);
    await expect(
      Test.createTestingModule({ imports: [EcwidModule.forRoot({ storeId: 1, token: 't', state: null as never })] }).compile(),
    ).rejects.toThrow(EcwidConfigError);
  });

  it.each(ADAPTERS)('serves a route whose path is given empty at its default path, not at the app root (%s)', async (adapter) => {
    const post = async (url: string): Promise<number> =>
      (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status;
    for (const ecwid of [
      EcwidModule.forRoot({ storeId: 1, clientSecret: 's', token: 't', webhooks: { path: '' }, ion: { enabled: true, path: '' } }),
      EcwidModule.forRootAsync({ useFactory: () => ({ storeId: 1, clientSecret: 's', token: 't' }), webhooks: { path: '' }, ion: { enabled: true, path: '' } }),
    ]) {
      const t = await startApp(adapter, { imports: [ecwid] });
      try {
        expect(t.app.get(EcwidConfigService).webhookRoute()).toBe('/ecwid/webhooks');
        expect(t.app.get(EcwidConfigService).ionRoute()).toBe('/ecwid/ion');
        expect(await post(`${t.url}/`)).toBe(404);
        expect(await post(`${t.url}/ecwid/webhooks`)).toBe(401);
        expect(await post(`${t.url}/ecwid/ion`)).toBe(400);
      } finally {
        await t.close();
      }
    }
  });

  it('refuses a route path that is not a string in the one configuration error, not a TypeError', async () => {
    const bootError = (ecwid: DynamicModule): Promise<unknown> =>
      Test.createTestingModule({ imports: [ecwid] })
        .compile()
        .then(() => undefined, (error: unknown) => error);
    const message = expect.stringMatching(/^must be a plain path/);
    const fromForRoot = await bootError(
      EcwidModule.forRoot({ storeId: 1, clientSecret: 's', token: 't', webhooks: { path: 123 as never }, ion: { enabled: true, path: 5 as never } }),
    );
    expect(fromForRoot).toBeInstanceOf(EcwidConfigError);
    expect((fromForRoot as EcwidConfigError).problems).toEqual([
      { key: 'webhooks.path', message },
      { key: 'ion.path', message },
    ]);
    const fromForRootAsync = await bootError(
      EcwidModule.forRootAsync({ useFactory: () => ({ storeId: 1, clientSecret: 's', token: 't' }), webhooks: { path: {} as never }, ion: { enabled: true, path: 5 as never } }),
    );
    expect(fromForRootAsync).toBeInstanceOf(EcwidConfigError);
    expect((fromForRootAsync as EcwidConfigError).problems).toEqual([
      { key: 'webhooks.path', message },
      { key: 'ion.path', message },
    ]);
  });

  it('refuses a route path with "." or ".." segments, as the URL given to Ecwid would normalize to another path', async () => {
    const message = 'must be a plain path of letters, digits, ".", "_", "~", "-" and "/" (no wildcards, parameters, or "." or ".." segments)';
    expect(problemsOf({ storeId: 1, clientSecret: 's', token: 't', webhooks: { path: 'hooks/../ecwid' }, ion: { enabled: true, path: './ion' } })).toEqual([
      { key: 'webhooks.path', message },
      { key: 'ion.path', message },
    ]);
    await expect(
      Test.createTestingModule({
        imports: [EcwidModule.forRootAsync({ useFactory: () => ({ storeId: 1, clientSecret: 's' }), webhooks: { path: 'hooks/..' } })],
      }).compile(),
    ).rejects.toThrow(`webhooks.path: ${message}`);
    // A dot inside a segment, or a segment of three, is an ordinary name.
    expect(resolveEcwidConfig({ storeId: 1, clientSecret: 's', webhooks: { path: '.well-known/v1.2/...' } }).webhooks.path).toBe('.well-known/v1.2/...');
  });

  it('stops the module at boot with the configuration error', async () => {
    await expect(
      Test.createTestingModule({ imports: [EcwidModule.forRoot({ storeId: -1, token: 'secret_token_value_123' })] }).compile(),
    ).rejects.toThrow(/storeId: must be a positive integer/);
  });

  describe('from environment variables', () => {
    it('builds options and names the variables in errors', () => {
      const config = resolveEcwidConfig(
        ecwidOptionsFromEnv({ ECWID_STORE_ID: '77', ECWID_TOKEN: 'secret_token_value_123', ECWID_HYDRATE: 'true', ECWID_HYDRATE_TIMEOUT_MS: '5000', ECWID_REQUESTS_PER_MINUTE: '300' }),
      );
      expect(config).toMatchObject({ storeId: 77, hydrate: true, hydrateTimeoutMs: 5000, http: { requestsPerMinute: 300 } });
      const problems = problemsOf(ecwidOptionsFromEnv({ ECWID_STORE_ID: 'seventy', ECWID_TIMEOUT_MS: '-5' }));
      expect(problems.map((p) => p.key)).toEqual(['ECWID_STORE_ID', 'ECWID_TIMEOUT_MS', 'ECWID_TOKEN | ECWID_CLIENT_SECRET | ecwid.order.key']);
    });

    it('builds options that show no credential in JSON.stringify or util.inspect, and keep the real values in a copy', () => {
      const options = ecwidOptionsFromEnv({
        ECWID_STORE_ID: '77',
        ECWID_TOKEN: 'secret_token_value_123',
        ECWID_CLIENT_SECRET: 'client_secret_value_456',
        ECWID_NOTIFICATIONS: 'true',
        ECWID_NOTIFICATION_CALLBACK_URL: 'https://hook_user:hook_pw_654@hooks.example.com/ecwid',
        ECWID_NOTIFICATION_SIGNATURE_KEY: 'sig_key_789',
        ECWID_STATE: 'redis://:redis_pw_321@127.0.0.1:6379/0',
        ECWID_INSTANCE_JSON: JSON.stringify({
          configuration: { 'ecwid.order.key': 'seed_order_api_key_value', 'ecwid.product.key': 'seed_product_api_key_value' },
        }),
      });
      const shown = `${JSON.stringify(options)} ${inspect(options, { depth: 10 })}`;
      for (const secret of [...SECRETS, 'redis_pw_321', 'hook_pw_654']) expect(shown).not.toContain(secret);
      expect(JSON.parse(JSON.stringify(options))).toMatchObject({
        storeId: '77',
        token: '[redacted]',
        notifications: { enabled: 'true', signatureKey: '[redacted]' },
        state: { type: 'redis', redis: 'redis://[redacted]@127.0.0.1:6379/0' },
        configuration: { 'ecwid.order.key': '[redacted]' },
      });
      const copy = { ...options };
      expect(copy.token).toBe('secret_token_value_123');
      const config = resolveEcwidConfig(copy);
      expect(config.clientSecret?.reveal()).toBe('client_secret_value_456');
      expect(config.events.signatureKey?.reveal()).toBe('sig_key_789');
      expect(config.legacy.orderKey?.reveal()).toBe('seed_order_api_key_value');
      expect((config.state as { redis: string }).redis).toBe('redis://:redis_pw_321@127.0.0.1:6379/0');
    });

    it('shows no top-level field of an instance JSON the module does not know (the OAuth grant code in providerData, say)', () => {
      const instance = {
        ...seedInstance,
        id: 12345,
        providerData: { code: 'oauth_grant_code_963' },
        user: { emailAddress: 'ops@example.com' },
        description: 'shop_note_741',
      };
      const options = ecwidOptionsFromEnv({ ECWID_STORE_ID: '1003', ECWID_INSTANCE_JSON: JSON.stringify(instance) });
      const shown = `${JSON.stringify(options)} ${inspect(options, { depth: 10 })}`;
      expect(shown).not.toMatch(/oauth_grant_code_963|ops@example\.com|shop_note_741|12345/);
      expect(JSON.parse(JSON.stringify(options))).toMatchObject({
        providerData: '[redacted]',
        id: '[redacted]',
        element: { key: 'ecwid' },
        name: 'ecwid-store-1003',
        tags: ['ecwid', 'orders'],
      });
      expect({ ...options }.providerData).toEqual({ code: 'oauth_grant_code_963' });
    });

    it('names a variable only for the value read from it, not for a setting a copy of the options gives itself', () => {
      expect(problemsOf({ ...ecwidOptionsFromEnv({ ECWID_TOKEN: 't' }), storeId: -1 })).toEqual([{ key: 'storeId', message: 'must be a positive integer' }]);
      expect(problemsOf({ ...ecwidOptionsFromEnv({ ECWID_STORE_ID: '0', ECWID_TOKEN: 't' }), http: { timeoutMs: 0 } })).toEqual([
        { key: 'ECWID_STORE_ID', message: 'must be a positive integer' },
        { key: 'http.timeoutMs', message: 'must be at least 1' },
      ]);
      expect(problemsOf({ ...ecwidOptionsFromEnv({ ECWID_TOKEN: 't' }), hydrateTimeoutMs: 5 })).toEqual([{ key: 'ECWID_STORE_ID', message: 'is required' }]);
      expect(problemsOf({ ...ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_TOKEN: 't' }), state: { type: 'disk' } as never })[0].key).toBe('state');
      const inspected = inspect({ ...ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_TOKEN: 'secret_token_value_123' }) }, { depth: 10 });
      expect(inspected.match(/secret_token_value_123/g)).toHaveLength(1);
    });

    it('refuses a poll interval under one second, under the key the user wrote', () => {
      const message = 'must be at least 1/60 minute (1 second)';
      expect(problemsOf({ storeId: 1, token: 't', configuration: { 'event.poller.refresh_interval': '0.000001' } })).toEqual([
        { key: 'event.poller.refresh_interval', message },
      ]);
      expect(problemsOf({ storeId: 1, token: 't', polling: { intervalMinutes: 0.01 } })).toEqual([{ key: 'polling.intervalMinutes', message }]);
      expect(problemsOf(ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_TOKEN: 't', ECWID_POLL_INTERVAL_MINUTES: '0.001' }))).toEqual([
        { key: 'ECWID_POLL_INTERVAL_MINUTES', message },
      ]);
      expect(resolveEcwidConfig({ storeId: 1, token: 't', polling: { intervalMinutes: 1 / 60 } }).polling.intervalMs).toBe(1000);
    });

    it('refuses a poll start more than a day ahead, where the poller would see no change until then (milliseconds for seconds)', () => {
      const base = { storeId: 1, token: 't', state: { type: 'memory' as const } };
      const hourAgoMs = Date.now() - 3_600_000;
      const tooLate = 'must not be more than a day in the future, or the poller sees no change until then';
      const seconds = `${tooLate}: UNIX seconds are expected, not milliseconds`;
      expect(problemsOf({ ...base, polling: { startFrom: hourAgoMs } })).toEqual([{ key: 'polling.startFrom', message: seconds }]);
      expect(problemsOf(ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_TOKEN: 't', ECWID_POLL_FROM: String(hourAgoMs) }))).toEqual([
        { key: 'ECWID_POLL_FROM', message: seconds },
      ]);
      expect(problemsOf({ ...base, polling: { startFrom: new Date(Date.now() + 2 * 86_400_000) } })).toEqual([{ key: 'polling.startFrom', message: tooLate }]);
      // Measured on the module's clock, which bounds the polling windows too.
      expect(problemsOf({ ...base, clock: () => hourAgoMs - 3 * 86_400_000, polling: { startFrom: new Date(hourAgoMs) } })[0].key).toBe('polling.startFrom');
      expect(resolveEcwidConfig({ ...base, polling: { startFrom: Math.floor(hourAgoMs / 1000) } }).polling.startFrom).toBe(Math.floor(hourAgoMs / 1000));
      // A date-only string is UTC midnight, hours ahead of the local date east of Greenwich: within the day allowed.
      const inTwelveHours = new Date(Date.now() + 12 * 3_600_000);
      expect(resolveEcwidConfig({ ...base, polling: { startFrom: inTwelveHours.toISOString() } }).polling.startFrom).toBe(
        Math.floor(inTwelveHours.getTime() / 1000),
      );
    });

    it('refuses a fractional pollDelay in the poller JSON, under the instance key', () => {
      const instance = { storeId: 1, token: 't', configuration: { 'event.poller.configuration': { orders: { pollDelay: 2.5 } } } };
      expect(problemsOf(instance)).toEqual([{ key: 'event.poller.configuration.orders.pollDelay', message: 'must be a whole number of seconds' }]);
      const whole = resolveEcwidConfig({ ...instance, configuration: { 'event.poller.configuration': { orders: { pollDelay: 20 } } } });
      expect(whole.polling.overlapSeconds).toBe(20);
    });

    it('reads the poller JSON as Cloud Elements stores it, strings included, and refuses false or an array in any form', () => {
      const key = 'event.poller.configuration.orders';
      const withOrders = (orders: unknown) => ({
        configuration: {
          'ecwid.store.id': '1',
          'ecwid.api.token': 't',
          'event.vendor.type': 'polling',
          'event.poller.configuration': JSON.stringify({ orders }),
        },
        state: { type: 'memory' as const },
      });
      const strings = resolveEcwidConfig(withOrders({ pageSize: '50', pollDelay: '10', createdCheckTolerance: '3', filterByUpdatedDate: 'true' }));
      expect(strings.polling).toMatchObject({ pageSize: 50, overlapSeconds: 10, createdToleranceSeconds: 3 });
      for (const off of [false, 'false', ' FALSE ']) {
        expect(problemsOf(withOrders({ filterByUpdatedDate: off }))).toEqual([
          { key: `${key}.filterByUpdatedDate`, message: 'must be true: changes are found by their updated date' },
        ]);
      }
      expect(problemsOf(withOrders({ filterByUpdatedDate: 'no', pageSize: 'fifty' }))).toEqual([
        { key: `${key}.pageSize`, message: 'must be a number from 1 to 100' },
        { key: `${key}.filterByUpdatedDate`, message: 'must be true or false' },
      ]);
      expect(problemsOf(withOrders([{ pageSize: 50 }]))).toEqual([{ key, message: 'must be an object' }]);
    });

    it('refuses a Redis URL whose password has unescaped reserved characters, naming the key and not the URL', async () => {
      const url = 'redis://default:k9/Qx+S3CRET=@redis.internal:6379';
      const message = 'is not a valid URL (escape reserved characters in the password)';
      const errorOf = (options: EcwidModuleOptions): unknown => {
        try {
          resolveEcwidConfig(options);
        } catch (error) {
          return error;
        }
        throw new Error('expected an EcwidConfigError');
      };
      const fromEnv = errorOf(ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_TOKEN: 't', ECWID_STATE: url }));
      const canonical = errorOf({ storeId: 1, token: 't', state: { type: 'redis', redis: url } });
      expect((fromEnv as EcwidConfigError).problems).toEqual([{ key: 'ECWID_STATE', message }]);
      expect((canonical as EcwidConfigError).problems).toEqual([{ key: 'state.redis', message }]);
      const boot = await Test.createTestingModule({ imports: [EcwidModule.forRoot({ storeId: 1, token: 't', state: { type: 'redis', redis: url } })] })
        .compile()
        .then(() => undefined, (error: unknown) => error);
      expect(boot).toBeInstanceOf(EcwidConfigError);
      for (const error of [fromEnv, canonical, boot]) {
        const shown = `${(error as Error).message} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`;
        for (const part of ['k9', 'Qx', 'S3CRET']) expect(shown).not.toContain(part);
      }
    });

    it('refuses ECWID_STATE_KEY_PREFIX without a Redis ECWID_STATE, where it would be ignored', () => {
      const base = { ECWID_STORE_ID: '1', ECWID_TOKEN: 't', ECWID_STATE_KEY_PREFIX: 'shop-a:' };
      const message = 'applies only to a Redis state store: set ECWID_STATE to a redis:// URL too';
      expect(problemsOf(ecwidOptionsFromEnv(base))).toEqual([{ key: 'ECWID_STATE_KEY_PREFIX', message }]);
      expect(problemsOf(ecwidOptionsFromEnv({ ...base, ECWID_STATE: 'sqlite:/tmp/x.db' }))).toEqual([{ key: 'ECWID_STATE_KEY_PREFIX', message }]);
      const config = resolveEcwidConfig(ecwidOptionsFromEnv({ ...base, ECWID_STATE: 'redis://127.0.0.1:6379' }));
      expect(config.state).toMatchObject({ type: 'redis', keyPrefix: 'shop-a:' });
    });

    it('reads a Cloud Elements instance JSON from ECWID_INSTANCE_FILE and lets variables fill the rest', () => {
      const dir = mkdtempSync(join(tmpdir(), 'ecwid-config-'));
      const file = join(dir, 'instance.json');
      writeFileSync(file, JSON.stringify(seedInstance));
      const config = resolveEcwidConfig(ecwidOptionsFromEnv({ ECWID_INSTANCE_FILE: file, ECWID_TOKEN: 'secret_token_value_123' }));
      expect(config.storeId).toBe(1003);
      expect(config.token?.reveal()).toBe('secret_token_value_123');
      expect(config.legacy.orderKey?.reveal()).toBe('seed_order_api_key_value');
      const missing = ecwidOptionsFromEnv({ ECWID_INSTANCE_FILE: join(dir, 'missing.json'), ECWID_STORE_ID: '1', ECWID_TOKEN: 'secret_token_value_123' });
      expect(problemsOf(missing)).toEqual([{ key: 'ECWID_INSTANCE_FILE', message: 'cannot be read (ENOENT)' }]);
      const notAnObject = ecwidOptionsFromEnv({ ECWID_INSTANCE_JSON: '[1]', ECWID_STORE_ID: '1', ECWID_TOKEN: 'secret_token_value_123' });
      expect(problemsOf(notAnObject)).toEqual([{ key: 'ECWID_INSTANCE_JSON', message: 'must hold a Cloud Elements instance JSON object' }]);
      const both = ecwidOptionsFromEnv({ ECWID_INSTANCE_FILE: file, ECWID_INSTANCE_JSON: JSON.stringify(seedInstance), ECWID_STORE_ID: '1', ECWID_TOKEN: 'secret_token_value_123' });
      expect(problemsOf(both)).toEqual([{ key: 'ECWID_INSTANCE_FILE | ECWID_INSTANCE_JSON', message: 'give the instance JSON one way, not both' }]);
    });

    it('reports a variable it cannot use together with every other problem, in one error', () => {
      const options = ecwidOptionsFromEnv({
        ECWID_INSTANCE_JSON: '{bad',
        ECWID_STATE: 'postgres://user:state_pw_111@db/ecwid',
        ECWID_HYDRATE: 'yes',
        ECWID_TIMEOUT_MS: 'abc',
        ECWID_TOKEN: 'secret_token_value_123',
      });
      // A spread copy (to add a setting, say) still carries them.
      const problems = problemsOf({ ...options, hydrateTimeoutMs: 500 });
      expect(problems.map((p) => p.key)).toEqual(['ECWID_INSTANCE_JSON', 'ECWID_STATE', 'ECWID_STORE_ID', 'ECWID_HYDRATE', 'ECWID_TIMEOUT_MS']);
      expect(problems.find((p) => p.key === 'ECWID_TIMEOUT_MS')?.message).toBe('must be a whole number of milliseconds');
      expect(JSON.stringify(problems)).not.toContain('state_pw_111');
    });

    it('works through forRootAsync with @nestjs/config', async () => {
      process.env.ECWID_STORE_ID = '555';
      process.env.ECWID_CLIENT_SECRET = 'client_secret_value_456';
      try {
        const viaService = await Test.createTestingModule({
          imports: [
            EcwidModule.forRootAsync({
              imports: [ConfigModule.forRoot({ ignoreEnvFile: true })],
              inject: [ConfigService],
              useFactory: (env: ConfigService) => ecwidOptionsFromEnv(env),
            }),
          ],
        }).compile();
        expect(viaService.get(EcwidConfigService).storeId).toBe(555);
        await viaService.close();

        const viaNamespace = await Test.createTestingModule({
          imports: [
            EcwidModule.forRootAsync({
              imports: [ConfigModule.forFeature(ecwidConfig)],
              inject: [ecwidConfig.KEY],
              useFactory: (options: EcwidModuleOptions) => options,
            }),
          ],
        }).compile();
        expect(viaNamespace.get(EcwidConfigService).webhooksEnabled).toBe(true);
        await viaNamespace.close();
      } finally {
        delete process.env.ECWID_STORE_ID;
        delete process.env.ECWID_CLIENT_SECRET;
      }
    });

    it('works through forRootAsync with useClass', async () => {
      @Injectable()
      class OptionsFactory implements EcwidOptionsFactory {
        async createEcwidOptions(): Promise<EcwidModuleOptions> {
          return { storeId: 808, token: 'secret_token_value_123' };
        }
      }
      const moduleRef = await Test.createTestingModule({
        imports: [EcwidModule.forRootAsync({ useClass: OptionsFactory, isGlobal: true })],
      }).compile();
      expect(moduleRef.get(EcwidConfigService).storeId).toBe(808);
      expect(moduleRef.get(EcwidConfigService).webhooksEnabled).toBe(false);
      await moduleRef.close();
    });

    it('refuses every route setting from the async factory that differs from the registered routes, with the other problems', async () => {
      const failure = Test.createTestingModule({
        imports: [
          EcwidModule.forRootAsync({
            useFactory: () => ({
              storeId: 'x',
              token: 't',
              clientSecret: 's',
              webhooks: { enabled: true, decorators: [] },
              ion: { enabled: true, path: 'legacy/ion' },
            }),
            webhooks: { enabled: false },
          }),
        ],
      }).compile();
      const error: EcwidConfigError = await failure.then(
        () => Promise.reject(new Error('expected the module to refuse its options')),
        (thrown: EcwidConfigError) => thrown,
      );
      expect(error).toBeInstanceOf(EcwidConfigError);
      expect(error.problems.map((p) => p.key)).toEqual(['storeId', 'webhooks.enabled', 'webhooks.decorators', 'ion.path', 'ion.enabled']);
      expect(error.problems[1].message).toBe(
        'with forRootAsync, give it as forRootAsync({ webhooks: { enabled } }): routes are fixed before the factory runs',
      );
    });

    it('refuses async options that are not an object, or no way to build them, with the configuration error and not a TypeError', async () => {
      const bootError = (build: () => DynamicModule): Promise<unknown> => {
        try {
          return Test.createTestingModule({ imports: [build()] })
            .compile()
            .then(() => undefined, (error: unknown) => error);
        } catch (error) {
          return Promise.resolve(error);
        }
      };
      const problems = async (build: () => DynamicModule) => {
        const error = await bootError(build);
        expect(error).toBeInstanceOf(EcwidConfigError);
        return (error as EcwidConfigError).problems;
      };
      for (const [result, kind] of [
        [undefined, 'undefined'],
        [null, 'null'],
        ['secret_token_value_123', 'a string'],
        [[{ storeId: 1, token: 't' }], 'an array'],
      ] as const) {
        const expected = [{ key: 'options', message: `must be an object of Ecwid module options, not ${kind}` }];
        expect(await problems(() => EcwidModule.forRootAsync({ useFactory: () => result as never }))).toEqual(expected);
        expect(await problems(() => EcwidModule.forRoot(result as never))).toEqual(expected);
      }
      const none = [
        { key: 'forRootAsync', message: 'needs useFactory, useClass or useExisting to build the options (for options known up front, use forRoot)' },
      ];
      expect(await problems(() => EcwidModule.forRootAsync({}))).toEqual(none);
      expect(await problems(() => EcwidModule.forRootAsync(undefined as never))).toEqual(none);
      expect(await problems(() => EcwidModule.forRootAsync({ useValue: { storeId: 1, token: 't' } } as never))).toEqual(none);
      expect(await problems(() => EcwidModule.forRootAsync({ useFactory: { storeId: 1 } as never }))).toEqual([
        { key: 'useFactory', message: 'must be a function returning the options' },
      ]);
      const notAClass = [{ key: 'useClass', message: 'must be a class with a createEcwidOptions() method (an EcwidOptionsFactory)' }];
      expect(await problems(() => EcwidModule.forRootAsync({ useClass: { createEcwidOptions: () => ({}) } as never }))).toEqual(notAClass);
      expect(await problems(() => EcwidModule.forRootAsync({ useClass: (() => ({})) as never }))).toEqual(notAClass);
      @Injectable()
      class NotAFactory {}
      // Checked on the instance, when Nest builds it.
      expect(await problems(() => EcwidModule.forRootAsync({ useClass: NotAFactory as never }))).toEqual(notAClass);
    });

    it('works through forRootAsync with useClass whose createEcwidOptions is an arrow-function field', async () => {
      @Injectable()
      class OptionsFactory implements EcwidOptionsFactory {
        createEcwidOptions = (): EcwidModuleOptions => ({ storeId: 809, token: 'secret_token_value_123' });
      }
      const moduleRef = await Test.createTestingModule({ imports: [EcwidModule.forRootAsync({ useClass: OptionsFactory })] }).compile();
      expect(moduleRef.get(EcwidConfigService).storeId).toBe(809);
      await moduleRef.close();
    });

    it('refuses a webhook route asked of forRootAsync when the options hold no client secret to verify it, as forRoot does', async () => {
      const message = 'webhooks.enabled: needs clientSecret to verify webhook signatures';
      await expect(Test.createTestingModule({ imports: [EcwidModule.forRoot({ storeId: 1, token: 't', webhooks: { enabled: true } })] }).compile()).rejects.toThrow(
        message,
      );
      await expect(
        Test.createTestingModule({
          imports: [EcwidModule.forRootAsync({ useFactory: () => ({ storeId: 1, token: 't' }), webhooks: { enabled: true } })],
        }).compile(),
      ).rejects.toThrow(message);
      await expect(
        Test.createTestingModule({
          imports: [EcwidModule.forRootAsync({ useFactory: () => ecwidOptionsFromEnv({ ECWID_STORE_ID: '1', ECWID_TOKEN: 't' }), webhooks: { enabled: 'TRUE' as never } })],
        }).compile(),
      ).rejects.toThrow('webhooks.enabled: needs ECWID_CLIENT_SECRET to verify webhook signatures');
      // With the secret, the route asked for is live.
      const t = await startApp('express', {
        imports: [EcwidModule.forRootAsync({ useFactory: () => ({ storeId: 1, token: 't', clientSecret: 's' }), webhooks: { enabled: true } })],
      });
      try {
        const res = await fetch(`${t.url}/ecwid/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        expect(res.status).toBe(401);
      } finally {
        await t.close();
      }
    });

    it('refuses an ION route given to forRootAsync when the options hold no credential to confirm its posts', async () => {
      await expect(
        Test.createTestingModule({
          imports: [EcwidModule.forRootAsync({ useFactory: () => ({ storeId: 1, clientSecret: 's' }), ion: { enabled: true } })],
        }).compile(),
      ).rejects.toThrow('ion.enabled: needs token or ecwid.order.key to confirm each notification by reading the order');
    });

    it('refuses isGlobal from the async factory, where it would leave the services out of other modules unsaid', async () => {
      await expect(
        Test.createTestingModule({
          imports: [EcwidModule.forRootAsync({ useFactory: () => ({ storeId: 1, token: 't', isGlobal: true }) })],
        }).compile(),
      ).rejects.toThrow(
        "isGlobal: with forRootAsync, give it as forRootAsync({ isGlobal }): the module's scope is fixed before the factory runs",
      );
      const agreeing = await Test.createTestingModule({
        imports: [EcwidModule.forRootAsync({ useFactory: () => ({ storeId: 1, token: 't', isGlobal: true }), isGlobal: true })],
      }).compile();
      expect(agreeing.get(EcwidConfigService).storeId).toBe(1);
      await agreeing.close();
    });

    it('refuses a webhook path from the async factory that differs from the registered route', async () => {
      await expect(
        Test.createTestingModule({
          imports: [
            EcwidModule.forRootAsync({
              useFactory: () => ({ storeId: 1, clientSecret: 's', webhooks: { path: 'elsewhere' } }),
            }),
          ],
        }).compile(),
      ).rejects.toThrow(/webhooks.path: with forRootAsync/);
    });
  });
});
