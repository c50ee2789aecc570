'use strict';
// Instructions per request on the webhook route and on the bare route, counted by valgrind's callgrind: a cost
// the host's speed does not move, where run.js's req/s ratio moves with it. `npm run bench:instructions`; it needs
// valgrind (`apt-get install valgrind`) and takes about four minutes per adapter.
//
// The app of run.js (server.js) runs under callgrind. After a warm-up, each route gets batches of one-at-a-time
// requests, each batch between a reset and a dump of the counters (ABBA order). Only the main thread is counted:
// the JIT compiler's and the collector's helper threads run when they like. Its count is split by function name into
// garbage collection and the rest, the part that repeats: within about 1% on Fastify, 1-2% on Express.
//
// Knobs (env): BENCH_ADAPTERS=fastify,express BENCH_BATCH=2000 BENCH_WARMUP=3000 (requests per route).
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { BARE_PATH, WEBHOOK_PATH, signedDelivery } = require('./deliveries');

const SETTINGS = {
  adapters: (process.env.BENCH_ADAPTERS ?? 'fastify,express').split(',').filter(Boolean),
  batch: Number(process.env.BENCH_BATCH ?? 2000),
  warmup: Number(process.env.BENCH_WARMUP ?? 3000),
};
const ROUTES = { bare: BARE_PATH, webhook: WEBHOOK_PATH };
const ORDER = ['bare', 'webhook', 'webhook', 'bare'];
// V8's collector, by the names of its C++ functions; everything else (JIT code, builtins, Node, OpenSSL) is the rest.
const GC_FUNCTION =
  /Scaveng|MinorGC|Marking|Sweep|Heap::|Evacuat|Pretenur|BodyDescriptor|MemoryChunk|Remembered|SlotSet|Concurrent|MarkCompact|SizeFromMap|FreeList|heap::base|PagedSpace|NewSpace|LargeObject/;
// The signature check: the module's signer (JIT code, named from V8's perf map), and OpenSSL's SHA-256 block functions
// in case a change sends it back through node:crypto.
const SIGNER_SOURCE = /\/webhooks\/ecwid-webhook\.signature\.js:/;
const SHA256_BLOCKS = /^sha256_block_data_order/;
// How callgrind names code in no object file, which is where V8 puts the machine code it generates.
const JIT_ADDRESS = /^0x([0-9a-f]+)$/;
// V8 under valgrind takes this long to start, compile and answer its first request.
const START_TIMEOUT_MS = 240_000;

function requireValgrind() {
  for (const tool of ['valgrind', 'callgrind_control']) {
    const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (probe.error) throw new Error(`${tool} not found: install valgrind (apt-get install valgrind) to count instructions`);
  }
}

/** The bench app under callgrind, counting from the start but with its counters reset before each batch. */
function startServer(adapter, outDir) {
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      // V8 writes and rewrites machine code; valgrind must notice, or it runs stale translations.
      '--smc-check=all',
      '--separate-threads=yes',
      `--callgrind-out-file=${path.join(outDir, 'callgrind.out')}`,
      `--log-file=${path.join(outDir, 'valgrind.log')}`,
      process.execPath,
      // Writes /tmp/perf-<pid>.map, naming each piece of generated code, so JIT addresses can be read as functions.
      '--perf-basic-prof',
      path.join(__dirname, 'server.js'),
      adapter,
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // It cannot be asked to stop before it is ready.
      child.kill();
      reject(new Error(`the server did not start under valgrind in ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.on('message', (message) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with code ${code}; see ${path.join(outDir, 'valgrind.log')}`));
    });
  });
  return { child, exited, ready };
}

/** One request at a time over one kept-alive connection, each a freshly signed delivery. */
async function send(port, routePath, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const eventCreated = Math.floor(Date.now() / 1000);
  const post = () =>
    new Promise((resolve, reject) => {
      const { body, headers } = signedDelivery(eventCreated);
      const request = http.request({ host: '127.0.0.1', port, path: routePath, method: 'POST', headers, agent }, (response) => {
        response.resume();
        response.once('end', () =>
          response.statusCode === 200 ? resolve() : reject(new Error(`POST ${routePath} answered ${response.statusCode}`)),
        );
      });
      request.once('error', reject);
      request.end(body);
    });
  try {
    for (let i = 0; i < count; i += 1) await post();
  } finally {
    agent.destroy();
  }
}

/**
 * Self cost per function in one callgrind dump. A cost line right after `calls=` is the call's inclusive cost and
 * is skipped; names are given once, as `fn=(id) name`, and by id after that.
 */
function selfCosts(file) {
  const names = new Map();
  const costs = new Map();
  let current;
  let afterCall = false;
  const nameOf = (spec) => {
    const match = /^\((\d+)\)(?: (.*))?$/.exec(spec);
    if (!match) return spec;
    if (match[2] !== undefined) names.set(match[1], match[2]);
    return names.get(match[1]);
  };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) {
      current = nameOf(line.slice(3));
    } else if (line.startsWith('cfn=')) {
      nameOf(line.slice(4));
    } else if (line.startsWith('calls=')) {
      afterCall = true;
    } else if (/^[0-9+*-]/.test(line)) {
      if (afterCall) {
        afterCall = false;
        continue;
      }
      const cost = Number(line.split(' ')[1]);
      if (current !== undefined && Number.isFinite(cost)) costs.set(current, (costs.get(current) ?? 0) + cost);
    }
  }
  return costs;
}

/**
 * V8's perf map of a process: where each piece of generated code starts, its size and its name. It is a log, so an
 * address reused later names the later code.
 */
function readPerfMap(pid) {
  // V8 writes it to /tmp whatever TMPDIR says.
  const file = `/tmp/perf-${pid}.map`;
  const byStart = new Map();
  if (!fs.existsSync(file)) return { nameAt: () => undefined };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [start, size, ...name] = line.split(' ');
    if (name.length > 0) byStart.set(parseInt(start, 16), { size: parseInt(size, 16), name: name.join(' ') });
  }
  fs.rmSync(file, { force: true });
  const starts = [...byStart.keys()].sort((a, b) => a - b);
  const nameAt = (address) => {
    let low = 0;
    let high = starts.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (starts[mid] <= address) low = mid + 1;
      else high = mid - 1;
    }
    const code = high >= 0 ? byStart.get(starts[high]) : undefined;
    return code && address < starts[high] + code.size ? code.name : undefined;
  };
  return { nameAt };
}

/** Instructions per request in a batch's main-thread dump: all, the collector's share and the signature check's. */
function perRequest(file, requests, perfMap) {
  let total = 0;
  let gc = 0;
  let signature = 0;
  for (const [name, cost] of selfCosts(file)) {
    total += cost;
    if (GC_FUNCTION.test(name)) gc += cost;
    const jit = JIT_ADDRESS.exec(name);
    const code = jit ? perfMap.nameAt(parseInt(jit[1], 16)) : undefined;
    if (SHA256_BLOCKS.test(name) || (code !== undefined && SIGNER_SOURCE.test(code))) signature += cost;
  }
  return { total: total / requests, gc: gc / requests, signature: signature / requests };
}

async function countAdapter(adapter) {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecwid-callgrind-'));
  const server = startServer(adapter, outDir);
  try {
    const port = await server.ready;
    for (const route of ORDER) await send(port, ROUTES[route], SETTINGS.warmup / 2);
    for (const route of ORDER) {
      execFileSync('callgrind_control', ['--zero', String(server.child.pid)], { stdio: 'ignore' });
      await send(port, ROUTES[route], SETTINGS.batch);
      execFileSync('callgrind_control', [`--dump=${route}`, String(server.child.pid)], { stdio: 'ignore' });
    }
  } finally {
    if (server.child.connected) server.child.send({ type: 'stop' });
    await server.exited;
  }
  // Dump k of the main thread is callgrind.out.k-01; dumps are numbered from 1 in the order taken.
  const perfMap = readPerfMap(server.child.pid);
  const counts = { bare: [], webhook: [] };
  ORDER.forEach((route, k) =>
    counts[route].push(perRequest(path.join(outDir, `callgrind.out.${k + 1}-01`), SETTINGS.batch, perfMap)),
  );
  fs.rmSync(outDir, { recursive: true, force: true });
  return { adapter, counts };
}

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

function print(results) {
  const k = (value) => `${(value / 1000).toFixed(1)}k`;
  console.log('adapter   route      instructions/request   of which GC   the rest (batches)');
  for (const { adapter, counts } of results) {
    const side = {};
    for (const route of ['bare', 'webhook']) {
      const batches = counts[route];
      side[route] = { total: mean(batches.map((b) => b.total)), rest: mean(batches.map((b) => b.total - b.gc)) };
      const gc = mean(batches.map((b) => b.gc));
      const rests = batches.map((b) => k(b.total - b.gc)).join(', ');
      console.log(
        `${adapter.padEnd(8)}  ${route.padEnd(8)}  ${k(side[route].total).padStart(20)}   ${k(gc).padStart(11)}   ${k(side[route].rest)} (${rests})`,
      );
    }
    const { bare, webhook } = side;
    const signature = mean(counts.webhook.map((b) => b.signature)) - mean(counts.bare.map((b) => b.signature));
    console.log(
      `${adapter.padEnd(8)}  bare/webhook by instructions = ${(bare.total / webhook.total).toFixed(3)}, outside GC ` +
        `${(bare.rest / webhook.rest).toFixed(3)}; the webhook route adds ${k(webhook.rest - bare.rest)} outside GC, ` +
        `${k(signature)} of them in the signature check`,
    );
  }
}

async function main() {
  requireValgrind();
  console.log(
    `nestjs-ecwid instructions per request under callgrind, main thread; ${SETTINGS.warmup} warm-up and ` +
      `2 x ${SETTINGS.batch} counted requests per route, one at a time`,
  );
  const results = [];
  for (const adapter of SETTINGS.adapters) results.push(await countAdapter(adapter));
  print(results);
}

main().catch((error) => {
  console.error(`bench broke: ${error.stack ?? error}`);
  process.exitCode = 1;
});
