'use strict';
// Webhook ingest throughput against a bare POST route of the same app, per adapter; `npm run bench` runs it.
//
// One autocannon run per adapter switches every connection between the two routes on a fixed clock: time is cut
// into slots, and each pair of adjacent slots holds one slot of each route (ABBA order from pair to pair). A shared
// VM's speed swings by tens of percent within seconds; a swing slower than a slot weighs on both halves of a pair
// alike, so the ratio is taken per pair and the median over pairs is the figure.
//
// Knobs (env): BENCH_ADAPTERS=express,fastify BENCH_PAIRS=400 BENCH_SLOT_MS=100 BENCH_WARMUP_SECONDS=4
// BENCH_CONNECTIONS=10, and BENCH_SERVER_EXEC_ARGV="--cpu-prof --cpu-prof-dir=/tmp/ecwid-prof" to profile the server.
const { fork } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { BARE_PATH, WEBHOOK_PATH, signedDelivery } = require('./deliveries');

const TARGET_RATIO = 0.85;
const FOREIGN_CPU_WARNING = 0.1;
const SETTINGS = {
  adapters: (process.env.BENCH_ADAPTERS ?? 'express,fastify').split(',').filter(Boolean),
  // Short slots: the machine's speed changes less within a pair. 100 ms holds ~1,000 requests, and the middle
  // half of the pair ratios came out half as wide as with 1 s slots.
  pairs: Number(process.env.BENCH_PAIRS ?? 400),
  slotMs: Number(process.env.BENCH_SLOT_MS ?? 100),
  // The server's JIT needs a few seconds of both routes before its rates settle.
  warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 4),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  serverExecArgv: (process.env.BENCH_SERVER_EXEC_ARGV ?? '').split(' ').filter(Boolean),
};
// Often enough to split the server's CPU time between 100 ms slots with little error at their edges.
const CPU_SAMPLE_MS = 10;
// Lets answers still in flight when the run ends land before the emitted counter is read.
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

  sampleCpu(intervalMs) {
    this.child.send({ type: 'sample-cpu', intervalMs });
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

/**
 * Which route each slot of the run belongs to: warm-up slots alternate, then pair k holds [bare, webhook] when k is
 * even and [webhook, bare] when it is odd.
 */
class SlotSchedule {
  constructor({ slotMs, warmupSeconds, pairs }) {
    this.slotMs = slotMs;
    this.warmupSlots = 2 * Math.ceil((warmupSeconds * 1000) / slotMs / 2);
    this.pairs = pairs;
    this.slots = this.warmupSlots + 2 * pairs;
  }

  get durationMs() {
    return this.slots * this.slotMs;
  }

  slotAt(elapsedMs) {
    return Math.floor(elapsedMs / this.slotMs);
  }

  routeOf(slot) {
    if (slot < this.warmupSlots) return slot % 2 === 0 ? ROUTES.bare : ROUTES.webhook;
    const pair = (slot - this.warmupSlots) >> 1;
    const first = pair % 2 === 0 ? ROUTES.bare : ROUTES.webhook;
    return slot % 2 === 0 ? first : first === ROUTES.bare ? ROUTES.webhook : ROUTES.bare;
  }

  /** The measured slots of pair k, by route. */
  pair(k) {
    const a = this.warmupSlots + 2 * k;
    return this.routeOf(a) === ROUTES.bare ? { bare: a, webhook: a + 1 } : { bare: a + 1, webhook: a };
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const wallClockMs = () => performance.timeOrigin + performance.now();
const cpuMs = ({ user, system }) => (user + system) / 1000;
const machineBusyMs = () =>
  os.cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
const isOk = (status) => status >= 200 && status < 300;

async function snapshot(server) {
  const { emitted, cpu, cpuSamples } = await server.stats();
  return {
    emitted,
    cpuSamples,
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

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.ceil(at)] - sorted[low]) * (at - low);
};
const sum = (values) => values.reduce((total, value) => total + value, 0);

/** The server's CPU time per slot, each sampled interval given to the slot its midpoint falls in. */
function cpuBySlot(samples, startedAt, schedule) {
  const micros = new Float64Array(schedule.slots);
  for (let i = 1; i < samples.length; i += 1) {
    const [fromMs, fromUs] = samples[i - 1];
    const [toMs, toUs] = samples[i];
    const slot = schedule.slotAt((fromMs + toMs) / 2 - startedAt);
    if (slot >= 0 && slot < schedule.slots) micros[slot] += toUs - fromUs;
  }
  return micros;
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

/** The whole schedule as one autocannon run; every answer is counted in the slot its request was sent in. */
function fire(url, schedule) {
  const ok = new Float64Array(schedule.slots);
  const failed = new Float64Array(schedule.slots);
  const latencies = { bare: new LatencySamples(), webhook: new LatencySamples() };
  const statuses = {};
  const sent = { bare: 0, webhook: 0 };
  const eventCreated = Math.floor(Date.now() / 1000);
  const startedAt = wallClockMs() + 50;
  const setupRequest = (request, context) => {
    const sentAt = wallClockMs();
    const slot = schedule.slotAt(sentAt - startedAt);
    const route = schedule.routeOf(Math.max(0, slot));
    context.slot = slot;
    context.sentAt = sentAt;
    sent[route.name] += 1;
    // Both routes get a freshly signed delivery, so the load side costs the same for each and the server never
    // sees a body twice: a bare route fed one repeated body ran measurably cheaper than on fresh ones.
    return { ...request, path: route.path, ...signedDelivery(eventCreated) };
  };
  const onResponse = (status, _body, context) => {
    const { slot, sentAt } = context;
    if (slot < 0 || slot >= schedule.slots) return;
    const route = schedule.routeOf(slot);
    statuses[`${route.name} ${status}`] = (statuses[`${route.name} ${status}`] ?? 0) + 1;
    if (!isOk(status)) {
      failed[slot] += 1;
      return;
    }
    ok[slot] += 1;
    if (slot >= schedule.warmupSlots) latencies[route.name].push(wallClockMs() - sentAt);
  };
  return new Promise((resolve, reject) => {
    const wait = startedAt - wallClockMs();
    setTimeout(() => {
      const instance = autocannon(
        {
          url,
          connections: SETTINGS.connections,
          pipelining: 1,
          duration: Math.ceil(schedule.durationMs / 1000) + 1,
          requests: [{ method: 'POST', path: BARE_PATH, setupRequest, onResponse }],
        },
        (error, result) => (error ? reject(error) : resolve({ result, startedAt, ok, failed, latencies, statuses, sent })),
      );
      setTimeout(() => instance.stop(), startedAt + schedule.durationMs - wallClockMs());
    }, Math.max(0, wait));
  });
}

async function benchAdapter(adapter, problems) {
  const server = await ServerProcess.start(adapter);
  try {
    await smokeCheck(server.url);
    const schedule = new SlotSchedule(SETTINGS);
    server.sampleCpu(CPU_SAMPLE_MS);
    const before = await snapshot(server);
    const run = await fire(server.url, schedule);
    await sleep(SETTLE_MS);
    const after = await snapshot(server);
    const cpu = cpuBySlot([...before.cpuSamples, ...after.cpuSamples], run.startedAt, schedule);

    const label = (route) => `${adapter} ${route}`;
    const { result } = run;
    if (result.errors + result.timeouts > 0) {
      problems.push(`${adapter}: ${result.errors} errors, ${result.timeouts} timeouts`);
    }
    for (const route of Object.values(ROUTES)) {
      const slots = [...Array(schedule.slots).keys()].filter((slot) => schedule.routeOf(slot) === route);
      const failures = sum(slots.map((slot) => run.failed[slot]));
      if (failures > 0) problems.push(`${label(route.name)}: ${failures} non-2xx ${JSON.stringify(run.statuses)}`);
    }
    // Every 2xx webhook answer must have reached the listener; fewer emissions means ids were replayed as duplicates.
    const webhookOk = sum([...run.ok].filter((_, slot) => schedule.routeOf(slot) === ROUTES.webhook));
    const emitted = after.emitted - before.emitted;
    if (emitted < webhookOk || emitted > run.sent.webhook) {
      problems.push(`${label('webhook')}: listener saw ${emitted} events for ${webhookOk} 2xx answers`);
    }

    const seconds = schedule.slotMs / 1000;
    const pairs = Array.from({ length: schedule.pairs }, (_, k) => schedule.pair(k));
    const side = (name) => {
      const slots = pairs.map((pair) => pair[name]);
      const requests = sum(slots.map((slot) => run.ok[slot]));
      const [p50, p99] = run.latencies[name].percentiles(50, 99);
      const slotRates = slots.map((slot) => run.ok[slot] / seconds);
      return {
        rps: requests / (slots.length * seconds),
        slowest: Math.min(...slotRates),
        fastest: Math.max(...slotRates),
        p50,
        p99,
        cpuUsPerRequest: sum(slots.map((slot) => cpu[slot])) / requests,
      };
    };
    const pairRatios = pairs.map((pair) => run.ok[pair.webhook] / run.ok[pair.bare]);
    const pairCpuRatios = pairs.map(
      (pair) => cpu[pair.bare] / run.ok[pair.bare] / (cpu[pair.webhook] / run.ok[pair.webhook]),
    );
    return {
      adapter,
      bare: side('bare'),
      webhook: side('webhook'),
      ratio: quantile(pairRatios, 0.5),
      ratioQuartiles: [quantile(pairRatios, 0.25), quantile(pairRatios, 0.75)],
      cpuRatio: quantile(pairCpuRatios, 0.5),
      foreignCpus: foreignCpus(before, after),
    };
  } finally {
    await server.stop();
  }
}

function printTable(results) {
  const columns = [
    ['adapter', 8],
    ['route', 8],
    ['req/s', 9],
    ['slowest..fastest slot', 21],
    ['p50 ms', 7],
    ['p99 ms', 7],
    ['server CPU us/req', 17],
  ];
  const line = (cells) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(columns[i][1]) : cell.padStart(columns[i][1]))).join('  ');
  const rate = (value) => Math.round(value).toLocaleString('en-US');
  console.log(line(columns.map(([title]) => title)));
  for (const { adapter, bare, webhook, ratio, ratioQuartiles, cpuRatio } of results) {
    for (const [name, s] of [['bare', bare], ['webhook', webhook]]) {
      const cells = [
        adapter,
        name,
        rate(s.rps),
        `${rate(s.slowest)}..${rate(s.fastest)}`,
        s.p50.toFixed(2),
        s.p99.toFixed(2),
        s.cpuUsPerRequest.toFixed(0),
      ];
      console.log(line(cells));
    }
    const verdict = ratio >= TARGET_RATIO ? 'PASS' : 'FAIL';
    const [q1, q3] = ratioQuartiles.map((value) => value.toFixed(3));
    // The CPU ratio barely moves when other processes steal time, so it confirms or questions the req/s verdict.
    console.log(
      `${adapter.padEnd(8)}  webhook/bare = ${ratio.toFixed(3)} (middle half of pairs ${q1}..${q3})` +
        `  target >= ${TARGET_RATIO}  ${verdict}    by server CPU per request: ${cpuRatio.toFixed(3)}`,
    );
  }
  const foreign = Math.max(...results.map((result) => result.foreignCpus));
  const disturbed = foreign > FOREIGN_CPU_WARNING ? '  WARNING: the machine was busy, numbers are unreliable' : '';
  console.log(`other processes used up to ${foreign.toFixed(2)} CPUs during a run${disturbed}`);
}

async function main() {
  const cpus = os.cpus();
  const bodyBytes = Buffer.byteLength(signedDelivery(0).body);
  const schedule = new SlotSchedule(SETTINGS);
  console.log('nestjs-ecwid webhook ingest vs a bare POST route (same app, same adapter)');
  console.log(
    `node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} CPUs (${cpus[0]?.model.trim()}), ` +
      `load avg ${os.loadavg()[0].toFixed(2)}`,
  );
  console.log(
    `${SETTINGS.connections} connections, pipelining 1, ${bodyBytes} B bodies; routes switch every ` +
      `${schedule.slotMs} ms: ${schedule.warmupSlots} warm-up slots, then ${schedule.pairs} pairs (ABBA); ` +
      'webhook/bare is the median of the per-pair ratios',
  );

  const problems = [];
  const results = [];
  for (const adapter of SETTINGS.adapters) results.push(await benchAdapter(adapter, problems));
  console.log('');
  printTable(results);

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
