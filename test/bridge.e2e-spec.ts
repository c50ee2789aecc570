import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', 'dist', 'main.js');

/** The environment of a user who configured nothing. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ECWID_')));
  return { ...env, PORT: '0', NO_COLOR: '1', ...extra };
}

function run(
  env: NodeJS.ProcessEnv,
  until: RegExp,
  timeoutMs = 30_000,
  cwd?: string,
): Promise<{ output: string; child: ChildProcess; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bridge did not print ${until} within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (until.test(output)) {
        clearTimeout(timer);
        resolve({ output, child, code: null });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ output, child, code });
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('the bridge app (npm start)', () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run `npm run build` (npm test does it first)');
  });

  it('with no configuration, runs against the sandbox and logs each domain event from the webhook path', async () => {
    const { output, child } = await run(cleanEnv(), /Demo done/);
    try {
      expect(output).toContain('starting the built-in Ecwid sandbox');
      for (const name of [
        'ecwid.order.created',
        'ecwid.order.paid',
        'ecwid.order.updated',
        'ecwid.order.payment_status_changed',
        'ecwid.order.fulfillment_status_changed',
        'ecwid.order.deleted',
      ]) {
        expect(output).toMatch(new RegExp(`${name.replace(/\./g, '\\.')} store=\\d+ .*source=webhook`));
      }
      // The statuses a line shows are the notification's, so a line never seems to contradict the derived events.
      expect(output).toMatch(/ecwid\.order\.created store=\d+ order=\w+ payment=AWAITING_PAYMENT fulfillment=/);
      expect(output).toMatch(/ecwid\.order\.paid store=\d+ order=\w+ payment=AWAITING_PAYMENT->PAID /);
      expect(output).toMatch(/Demo done: 5 webhooks delivered; \d+ callback notifications?, all signatures verified/);
      expect(output).toMatch(/\[CallbackReceiver\] notification [0-9a-f-]+: \[CREATED \w+.*\] signature verified/);
    } finally {
      expect(await stop(child)).not.toBe(1);
    }
  });

  it('runs two demos side by side in one directory, each against its own sandbox, and leaves no state file there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecwid-demo-'));
    // A demo that does not finish is killed by `run`; one that does is killed here, whatever the other did.
    const demos = await Promise.allSettled([run(cleanEnv(), /Demo done|ERROR/, 20_000, dir), run(cleanEnv(), /Demo done|ERROR/, 20_000, dir)]);
    try {
      for (const demo of demos) expect(demo.status === 'fulfilled' ? demo.value.output : String(demo.reason)).toMatch(/Demo done: 5 webhooks delivered/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      for (const demo of demos) if (demo.status === 'fulfilled' && demo.value.child.exitCode === null) demo.value.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops with one configuration error naming the variables, and no secret', async () => {
    const { output, code } = await run(
      cleanEnv({ ECWID_STORE_ID: 'not-a-number', ECWID_TOKEN: 'secret_bridge_token_value', ECWID_TIMEOUT_MS: '0' }),
      /$^/,
    );
    expect(code).toBe(1);
    expect(output).toContain('Invalid Ecwid configuration (2 problems)');
    expect(output).toContain('ECWID_STORE_ID: must be a positive integer');
    expect(output).toContain('ECWID_TIMEOUT_MS: must be at least 1');
    expect(output).not.toContain('secret_bridge_token_value');
  });

  it('stops with the configuration error when credentials are set but the store id is missing or misspelt', async () => {
    const { output, code } = await run(
      cleanEnv({ ECWID_STOREID: '1003', ECWID_TOKEN: 'secret_bridge_token_value', ECWID_CLIENT_SECRET: 'bridge_client_secret_value' }),
      /$^/,
    );
    expect(code).toBe(1);
    expect(output).not.toContain('starting the built-in Ecwid sandbox');
    expect(output).toContain('ECWID_STORE_ID: is required');
    expect(output).not.toContain('secret_bridge_token_value');
    expect(output).not.toContain('bridge_client_secret_value');
  });

  it('names ECWID_WEBHOOK_PATH and ECWID_ION_PATH, not the option keys, when the route paths they set are unusable', async () => {
    const { output, code } = await run(
      cleanEnv({
        ECWID_STORE_ID: '1003',
        ECWID_TOKEN: 'secret_bridge_token_value',
        ECWID_CLIENT_SECRET: 'bridge_client_secret_value',
        ECWID_STATE: 'memory',
        ECWID_WEBHOOK_PATH: 'hooks/*',
        ECWID_ION_PATH: 'ion/:store',
      }),
      /$^/,
    );
    expect(code).toBe(1);
    expect(output).toContain('Invalid Ecwid configuration (2 problems)');
    expect(output).toContain('ECWID_WEBHOOK_PATH: must be a plain path');
    expect(output).toContain('ECWID_ION_PATH: must be a plain path');
  });

  describe('ION (Instant Order Notifications) route', () => {
    const realStore = { ECWID_STORE_ID: '1003', ECWID_STATE: 'memory' };

    /** Starts the bridge, posts an empty ION form to the default route, and answers with the status and the log. */
    async function ionStatus(env: Record<string, string>): Promise<{ status: number; output: string }> {
      const { output, child } = await run(cleanEnv(env), /Bridge listening on|Invalid Ecwid configuration/);
      try {
        const port = /Bridge listening on http:\/\/\[?[^\]]*\]?:(\d+)/.exec(output)?.[1];
        if (!port) throw new Error(`bridge did not start:\n${output}`);
        const res = await fetch(`http://127.0.0.1:${port}/ecwid/ion`, { method: 'POST', body: new URLSearchParams({}) });
        return { status: res.status, output };
      } finally {
        await stop(child);
      }
    }

    it('takes an empty ECWID_WEBHOOK_PATH or ECWID_ION_PATH for unset, as every other ECWID_* variable, and serves the defaults', async () => {
      const env = { ...realStore, ECWID_TOKEN: 'secret_bridge_token_value', ECWID_CLIENT_SECRET: 'bridge_client_secret_value' };
      const { output, child } = await run(cleanEnv({ ...env, ECWID_WEBHOOK_PATH: '', ECWID_ION_PATH: '' }), /Bridge listening on|Invalid Ecwid configuration/);
      try {
        const port = /Bridge listening on http:\/\/\[?[^\]]*\]?:(\d+)/.exec(output)?.[1];
        if (!port) throw new Error(`bridge did not start:\n${output}`);
        const post = async (path: string, body: string, type: string) =>
          (await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': type }, body })).status;
        expect(await post('/ecwid/webhooks', '{}', 'application/json')).toBe(401);
        expect(await post('/ecwid/ion', '', 'application/x-www-form-urlencoded')).toBe(400);
        expect(await post('/', '{}', 'application/json')).toBe(404);
      } finally {
        await stop(child);
      }
    });

    it('is off when there is no credential to confirm a post by reading the order back', async () => {
      const { status, output } = await ionStatus({ ...realStore, ECWID_CLIENT_SECRET: 'bridge_client_secret_value' });
      expect(status).toBe(404);
      expect(output).not.toContain('Instant Order Notifications are received');
    });

    it('is on by default with a token, and ECWID_ION reads true or false in any case', async () => {
      const withToken = { ...realStore, ECWID_TOKEN: 'secret_bridge_token_value' };
      expect((await ionStatus(withToken)).status).toBe(400);
      expect((await ionStatus({ ...withToken, ECWID_ION: 'FALSE' })).status).toBe(404);
    });

    it('stops with the configuration error for an unreadable ECWID_ION, or ION asked for without a credential', async () => {
      const unreadable = await run(cleanEnv({ ...realStore, ECWID_TOKEN: 'secret_bridge_token_value', ECWID_ION: 'yes' }), /$^/);
      expect(unreadable.code).toBe(1);
      expect(unreadable.output).toContain('ECWID_ION: must be true or false');
      const uncredentialed = await run(cleanEnv({ ...realStore, ECWID_CLIENT_SECRET: 'bridge_client_secret_value', ECWID_ION: 'true' }), /$^/);
      expect(uncredentialed.code).toBe(1);
      expect(uncredentialed.output).toContain('ECWID_ION: needs ECWID_TOKEN or ecwid.order.key');
      expect(`${unreadable.output}${uncredentialed.output}`).not.toMatch(/secret_bridge_token_value|bridge_client_secret_value/);
    });
  });

  it("still runs the sandbox demo when only the bridge's own route variables are set", async () => {
    const { output, child } = await run(
      cleanEnv({ ECWID_WEBHOOK_PATH: 'hooks/ecwid', ECWID_ION: 'false', ECWID_ION_PATH: 'hooks/ion' }),
      /starting the built-in Ecwid sandbox|Invalid Ecwid configuration/,
    );
    await stop(child);
    expect(output).toContain('starting the built-in Ecwid sandbox');
  });
});
