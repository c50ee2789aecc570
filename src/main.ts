import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DEMO_SIGNATURE_KEY, runSandboxDemo, startDemoReceiver } from './bridge/bridge-demo';
import { BridgeModule } from './bridge/bridge.module';
import { EcwidSandbox } from './testing';

/** Any of these means the user configured a real store; without them the bridge runs against the sandbox. */
const CONFIGURED_BY = ['ECWID_STORE_ID', 'ECWID_INSTANCE_FILE', 'ECWID_INSTANCE_JSON'];

async function bootstrap(): Promise<void> {
  const logger = new Logger('EcwidBridge');
  const port = Number(process.env.PORT ?? 3000);

  if (CONFIGURED_BY.some((name) => process.env[name])) {
    const app = await NestFactory.create(BridgeModule.fromEnv(process.env.ECWID_WEBHOOK_PATH, process.env.ECWID_ION !== 'false'));
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
