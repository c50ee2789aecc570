import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DEMO_SIGNATURE_KEY, runSandboxDemo, startDemoReceiver } from './bridge/bridge-demo';
import { BridgeModule } from './bridge/bridge.module';
import { EcwidSandbox } from './testing';

/** Read by the bridge alone and meaningless without a store, so they leave the sandbox demo on. */
const BRIDGE_ONLY = new Set(['ECWID_WEBHOOK_PATH', 'ECWID_ION', 'ECWID_ION_PATH']);

/**
 * Any other ECWID_* variable means the user meant a real store: a token with a misspelt or missing store id must stop
 * the bridge with the configuration error, not quietly run the demo.
 */
function configuredByEnv(env: NodeJS.ProcessEnv): boolean {
  return Object.entries(env).some(([name, value]) => name.startsWith('ECWID_') && !BRIDGE_ONLY.has(name) && value !== undefined && value !== '');
}

async function bootstrap(): Promise<void> {
  const logger = new Logger('EcwidBridge');
  const port = Number(process.env.PORT ?? 3000);

  if (configuredByEnv(process.env)) {
    const app = await NestFactory.create(BridgeModule.fromEnv(process.env));
    app.enableShutdownHooks();
    await app.listen(port);
    logger.log(`Bridge listening on ${await app.getUrl()}`);
    return;
  }

  logger.log('No ECWID_* configuration found: starting the built-in Ecwid sandbox and a local callback receiver');
  const sandbox = await new EcwidSandbox().start();
  const receiver = await startDemoReceiver();
  const app = await NestFactory.create(
    BridgeModule.withOptions({
      storeId: sandbox.storeId,
      token: sandbox.token,
      clientSecret: sandbox.clientSecret,
      apiBaseUrl: sandbox.apiBaseUrl,
      hydrate: true,
      name: 'ecwid-sandbox-demo',
      tags: ['demo'],
      notifications: { enabled: true, callbackUrl: receiver.url, signatureKey: DEMO_SIGNATURE_KEY },
      // The sandbox's store lives as long as this process, and so does the demo's state: kept in a file of the working
      // directory, a second demo there would share its lease and outbox, and one left by an earlier run.
      state: { type: 'memory' },
    }),
  );
  app.enableShutdownHooks();
  await app.listen(port);
  logger.log(`Bridge listening on ${await app.getUrl()}`);
  await runSandboxDemo(app, sandbox, receiver);
}

bootstrap().catch((error: unknown) => {
  new Logger('EcwidBridge').error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
