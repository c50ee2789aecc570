'use strict';
// Webhook ingest throughput against a bare POST route of the same app, per adapter; `npm run bench` runs it.
// Knobs (env): BENCH_ADAPTERS=express,fastify BENCH_SECONDS=6 BENCH_WARMUP_SECONDS=3 BENCH_ROUNDS=4
// BENCH_CONNECTIONS=10, and BENCH_SERVER_EXEC_ARGV="--cpu-prof --cpu-prof-dir=/tmp/ecwid-prof" to profile the server.
const { fork } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { BARE_PATH, WEBHOOK_PATH, DeliveryPool, signedDelivery } = require('./deliveries');

const TARGET_RATIO = 0.85;
const FOREIGN_CPU_WARNING = 0.1;
const SETTINGS = {
  adapters: (process.env.BENCH_ADAPTERS ?? 'express,fastify').split(',').filter(Boolean),
  seconds: Number(process.env.BENCH_SECONDS ?? 6),
  // The server's JIT needs ~6 s of traffic before its rate settles; both warm-ups together give it that.
  warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 3),
  rounds: Number(process.env.BENCH_ROUNDS ?? 4),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  serverExecArgv: (process.env.BENCH_SERVER_EXEC_ARGV ?? '').split(' ').filter(Boolean),
};
// Sizes the first pool before any rate is known; later pools follow the fastest rate seen.
const FIRST_RATE_GUESS = 20_000;
// Lets answers still in flight when autocannon stops land before the emitted counter is read.
const SETTLE_MS = 250;
const ROUTES = {
  bare: { name: 'bare', path: BARE_PATH },
  webhook: { name: 'webhook', path: WEBHOOK_PATH },
};

/** The Nest app in its own process, so the load generator never shares its event loop or core. */
class ServerProcess {
  static start(adapter) {
    const child = fork(path.join(__dirname, 'server.js'), [adapter], {
      execArgv: SETTINGS.serverExecArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new ServerProcess(child);
    return server.reply('ready').then(({ port }) => {
      server.url = `http://127.0.0.1:${port}`;
      return server;
    });
  }

  constructor(child) {
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
  }

  reply(type) {
    return new Promise((resolve, reject) => {
      const onMessage = (message) => {
        if (message.type !== type) return;
        this.child.off('exit', onExit);
        this.child.off('message', onMessage);
        resolve(message);
      };
      const onExit = (code) => {
        this.child.off('message', onMessage);
        reject(new Error(`server exited with code ${code} while waiting for "${type}"`));
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  async stats() {
    const answer = this.reply('stats');
    this.child.send({ type: 'stats' });
    return answer;
  }

  async stop() {
    if (this.child.connected) this.child.send({ type: 'stop' });
    await this.exited;
  }
}

/** Response times kept as fractions of a millisecond: autocannon's own histogram rounds to whole ms. */
class LatencySamples {
  constructor() {
    this.values = new Float64Array(1 << 18);
    this.count = 0;
  }

  push(ms) {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  percentiles(...ps) {
    const sorted = this.values.subarray(0, this.count).sort();
    return ps.map((p) => sorted[Math.max(0, Math.ceil((p / 100) * this.count) - 1)]);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuMs = ({ user, system }) => (user + system) / 1000;
const machineBusyMs = () =>
  os.cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);

async function snapshot(server) {
  const { emitted, cpu } = await server.stats();
  return {
    emitted,
    serverCpuMs: cpuMs(cpu),
    ownCpuMs: cpuMs(process.cpuUsage()),
    busyMs: machineBusyMs(),
    at: performance.now(),
  };
}

/** CPUs' worth of work done by other processes meanwhile: on a 2-core box anything above ~0.1 skews the result. */
function foreignCpus(before, after) {
  const ours = after.serverCpuMs - before.serverCpuMs + after.ownCpuMs - before.ownCpuMs;
  return Math.max(0, (after.busyMs - before.busyMs - ours) / (after.at - before.at));
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function fire(url, route, pool, seconds) {
  const latencies = new LatencySamples();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: SETTINGS.connections,
        pipelining: 1,
        duration: seconds,
        requests: [{ method: 'POST', path: route.path, setupRequest: (request) => ({ ...request, ...pool.next() }) }],
      },
      (error, result) => (error ? reject(error) : resolve({ result, latencies })),
    );
    instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

/** One request per route, checked by its answer, so a broken route fails loudly before any number is printed. */
async function smokeCheck(url) {
  const delivery = signedDelivery(Math.floor(Date.now() / 1000));
  const post = async (routePath) => {
    const response = await fetch(url + routePath, { method: 'POST', headers: delivery.headers, body: delivery.body });
    return `${response.status} ${await response.text()}`;
  };
  const expected = [
    [WEBHOOK_PATH, '200 {"outcome":"emitted"}'],
    [WEBHOOK_PATH, '200 {"outcome":"duplicate"}'],
    [BARE_PATH, '200 {"outcome":"object"}'],
  ];
  for (const [routePath, answer] of expected) {
    const got = await post(routePath);
    if (got !== answer) throw new Error(`smoke check: POST ${routePath} answered ${got}, expected ${answer}`);
  }
}

async function benchAdapter(adapter, { problems, notes }) {
  const server = await ServerProcess.start(adapter);
  const runs = { bare: [], webhook: [] };
  try {
    await smokeCheck(server.url);
    const pool = new DeliveryPool();
    let fastestRate = FIRST_RATE_GUESS;

    const measure = async (route, seconds) => {
      pool.refill(Math.ceil(fastestRate * seconds * 1.25) + SETTINGS.connections);
      const before = await snapshot(server);
      const { result, latencies } = await fire(server.url, route, pool, seconds);
      await sleep(SETTLE_MS);
      const after = await snapshot(server);
      const emitted = after.emitted - before.emitted;
      const rps = result.requests.total / result.duration;
      fastestRate = Math.max(fastestRate, rps);

      const label = `${adapter} ${route.name}`;
      const failed = result.non2xx + result.errors + result.timeouts;
      if (failed > 0) {
        const counts = `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`;
        problems.push(`${label}: ${counts} ${JSON.stringify(result.statusCodeStats)}`);
      }
      // Every 2xx webhook answer must have reached the listener; fewer emissions means ids were replayed as duplicates.
      const emittedOk = route === ROUTES.webhook ? emitted >= result['2xx'] && emitted <= pool.taken : emitted === 0;
      if (!emittedOk) problems.push(`${label}: listener saw ${emitted} events for ${result['2xx']} 2xx answers`);
      // Late signing keeps every id fresh and only costs the load side, so it is worth a note, not a failure.
      if (pool.signedLate > 0) notes.push(`${label}: pool ran dry, ${pool.signedLate} signed during the run`);

      const [p50, p99] = latencies.percentiles(50, 99);
      const cpuUsPerRequest = ((after.serverCpuMs - before.serverCpuMs) * 1000) / result.requests.total;
      return { rps, p50, p99, cpuUsPerRequest, foreignCpus: foreignCpus(before, after) };
    };

    await measure(ROUTES.bare, SETTINGS.warmupSeconds);
    await measure(ROUTES.webhook, SETTINGS.warmupSeconds);
    for (let round = 0; round < SETTINGS.rounds; round += 1) {
      // ABBA order: a slow drift over the runs weighs on both routes alike.
      const order = round % 2 === 0 ? [ROUTES.bare, ROUTES.webhook] : [ROUTES.webhook, ROUTES.bare];
      for (const route of order) runs[route.name].push(await measure(route, SETTINGS.seconds));
    }
  } finally {
    await server.stop();
  }
  return runs;
}

const summarize = (runs) => ({
  rps: median(runs.map((run) => run.rps)),
  p50: median(runs.map((run) => run.p50)),
  p99: median(runs.map((run) => run.p99)),
  cpuUsPerRequest: median(runs.map((run) => run.cpuUsPerRequest)),
  each: runs.map((run) => Math.round(run.rps).toLocaleString('en-US')).join(' / '),
  foreignCpus: Math.max(...runs.map((run) => run.foreignCpus)),
});

function printTable(results) {
  const columns = [
    ['adapter', 8],
    ['route', 8],
    ['req/s', 9],
    ['p50 ms', 7],
    ['p99 ms', 7],
    ['server CPU us/req', 17],
  ];
  const line = (cells) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(columns[i][1]) : cell.padStart(columns[i][1]))).join('  ');
  console.log(`${line(columns.map(([title]) => title))}  runs (req/s)`);
  for (const { adapter, bare, webhook } of results) {
    for (const [name, s] of [['bare', bare], ['webhook', webhook]]) {
      const cells = [
        adapter,
        name,
        Math.round(s.rps).toLocaleString('en-US'),
        s.p50.toFixed(2),
        s.p99.toFixed(2),
        s.cpuUsPerRequest.toFixed(0),
      ];
      console.log(`${line(cells)}  ${s.each}`);
    }
    const ratio = webhook.rps / bare.rps;
    const verdict = ratio >= TARGET_RATIO ? 'PASS' : 'FAIL';
    // The CPU ratio barely moves when other processes steal time, so it confirms or questions the req/s verdict.
    const cpuRatio = bare.cpuUsPerRequest / webhook.cpuUsPerRequest;
    console.log(
      `${adapter.padEnd(8)}  webhook/bare = ${ratio.toFixed(3)}  (target >= ${TARGET_RATIO})  ${verdict}` +
        `    by server CPU per request: ${cpuRatio.toFixed(3)}`,
    );
  }
  const foreign = Math.max(...results.flatMap(({ bare, webhook }) => [bare.foreignCpus, webhook.foreignCpus]));
  const disturbed = foreign > FOREIGN_CPU_WARNING ? '  WARNING: the machine was busy, numbers are unreliable' : '';
  console.log(`other processes used up to ${foreign.toFixed(2)} CPUs during a run${disturbed}`);
}

async function main() {
  const cpus = os.cpus();
  const bodyBytes = Buffer.byteLength(signedDelivery(0).body);
  console.log('nestjs-ecwid webhook ingest vs a bare POST route (same app, same adapter)');
  console.log(
    `node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} CPUs (${cpus[0]?.model.trim()}), ` +
      `load avg ${os.loadavg()[0].toFixed(2)}`,
  );
  console.log(
    `${SETTINGS.connections} connections, pipelining 1, ${bodyBytes} B bodies, ` +
      `${SETTINGS.warmupSeconds} s warm-up per route, ` +
      `then ${SETTINGS.rounds} x ${SETTINGS.seconds} s per route alternated; medians shown`,
  );

  const problems = [];
  const notes = [];
  const results = [];
  for (const adapter of SETTINGS.adapters) {
    const runs = await benchAdapter(adapter, { problems, notes });
    results.push({ adapter, bare: summarize(runs.bare), webhook: summarize(runs.webhook) });
  }
  console.log('');
  printTable(results);
  for (const note of notes) console.log(`note: ${note}`);

  if (problems.length > 0) {
    console.error('\nBENCH INVALID: the numbers above do not measure the intended path');
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`bench broke: ${error.stack ?? error}`);
  process.exitCode = 1;
});
