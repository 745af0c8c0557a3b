import { defineConfig, devices } from '@playwright/test';
import path from 'node:path';

/**
 * Browser end-to-end tests for Castellan.
 *
 * Every spec runs twice: once with JavaScript on (the hydrated Leptos app) and once with
 * JavaScript off (plain server-rendered HTML and form posts). The server is started fresh,
 * on its own port and with its own temporary SQLite database, by `start-server.sh`.
 *
 * Browsers are not downloaded: the system Chromium at /usr/bin/chromium is used
 * (override with CHROMIUM_PATH).
 */

const port = Number(process.env.E2E_PORT ?? 3917);
process.env.E2E_PORT = String(port);
// localhost, not 127.0.0.1: browsers keep passkeys only for domain names.
const baseURL = `http://localhost:${port}`;
const repoRoot = path.resolve(__dirname, '..');

const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: 'list',
  forbidOnly: !!process.env.CI,
  // Generous: the server is a debug build (slow argon2) on a small machine.
  timeout: 90_000,
  expect: { timeout: 20_000 },
  use: {
    baseURL,
    trace: 'retain-on-failure',
    actionTimeout: 20_000,
    navigationTimeout: 45_000,
  },
  projects: [
    {
      name: 'js',
      use: { ...devices['Desktop Chrome'], javaScriptEnabled: true, launchOptions },
    },
    {
      name: 'nojs',
      use: { ...devices['Desktop Chrome'], javaScriptEnabled: false, launchOptions },
    },
  ],
  webServer: {
    command: 'bash end2end/start-server.sh',
    cwd: repoRoot,
    url: `http://127.0.0.1:${port}/readyz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: { E2E_PORT: String(port) },
  },
});
