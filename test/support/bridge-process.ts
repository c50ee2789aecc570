import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** A bridge app (`npm start`) in a child process of its own, so a test can kill it like an operator would. */
export class BridgeProcess {
  readonly child: ChildProcess;
  private output = '';

  constructor(env: Record<string, string>) {
    if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run `npm run build` (npm test does it first)');
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ECWID_')));
    this.child = spawn(process.execPath, [MAIN], { env: { ...inherited, PORT: '0', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
  }

  get log(): string {
    return this.output;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Order ids of the events it logged under `name`, in order. */
  orderIds(name: string): string[] {
    const pattern = new RegExp(`${name.replace(/\./g, '\\.')} store=\\d+ order=([A-Z0-9-]+)`, 'g');
    return [...this.output.matchAll(pattern)].map((m) => m[1]);
  }

  /**
   * Resolves when the log satisfies `done`; rejects on timeout or exit. Checked on a timer, not per chunk: scanning
   * a long log per chunk would slow this process enough to stall the child on a full pipe.
   */
  async waitFor(done: (log: string) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.output)) {
      if (!this.alive) throw new Error(`bridge exited before ${what}:\n${this.output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`bridge did not reach ${what} in ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    return new Promise((resolve) => {
      if (!this.alive) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}
