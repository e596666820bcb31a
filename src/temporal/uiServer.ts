import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { portAnswers } from './freePorts';

/** The Temporal Web UI server, in front of one Temporal frontend. */
export interface UiServerProcess {
  /** What an operator opens, e.g. http://localhost:8233. */
  url: string;
  stop: () => Promise<void>;
}

export interface UiServerOptions {
  uiServerPath: string;
  /** host:port of the Temporal frontend. */
  temporalAddress: string;
  port: number;
  namespace: string;
  /** Where its configuration and log go. */
  dir: string;
  /** The codec server the browser decodes payloads with, so a local operator configures nothing. */
  codecEndpoint?: string;
}

/**
 * Starts `temporal-ui-server` on 127.0.0.1 with a configuration written into `dir` (what the
 * CLI's dev server gives its embedded UI: plain HTTP on loopback, the codec endpoint), and waits
 * until it answers. The UI reaches the server over gRPC; after a server restart it answers 503
 * for a second or two until its connection is back.
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServerProcess> {
  if (await portAnswers(options.port)) {
    throw new Error(
      `Port ${options.port} is already in use, so the Temporal Web UI cannot start there. Stop what uses it (another npm start?), or set temporal.devServer.uiPort.`,
    );
  }
  const configDir = path.join(options.dir, 'ui-config');
  mkdirSync(configDir, { recursive: true });
  const url = `http://localhost:${options.port}`;
  const config = {
    temporalGrpcAddress: options.temporalAddress,
    host: '127.0.0.1',
    port: options.port,
    enableUi: true,
    defaultNamespace: options.namespace,
    // Plain HTTP on loopback: the CSRF cookie must not be Secure-only.
    cors: { cookieInsecure: true, allowOrigins: [url, `http://127.0.0.1:${options.port}`] },
    codec: { endpoint: options.codecEndpoint ?? '' },
    // No calls to the internet from the UI server.
    disableNewsFetch: true,
    notifyOnNewVersion: false,
    refreshInterval: '0s',
  };
  writeFileSync(path.join(configDir, 'development.yaml'), stringify(config));
  const logFile = path.join(options.dir, 'temporal-ui-server.log');
  const logFd = openSync(logFile, 'a');
  const child = spawn(options.uiServerPath, ['--root', options.dir, '--config', 'ui-config', '--env', 'development', 'start'], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const stop = () =>
    new Promise<void>((resolve) => {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    });

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      throw new Error(
        `The Temporal Web UI server exited with code ${child.exitCode} while starting. Its log (${logFile}) ends with:\n${tail}`,
      );
    }
    try {
      if ((await fetch(`http://127.0.0.1:${options.port}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The Temporal Web UI server did not answer on port ${options.port} within 30 s; see ${logFile}.`);
    }
    await sleep(200);
  }
  return { url, stop };
}
