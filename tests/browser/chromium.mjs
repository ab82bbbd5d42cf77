// Headless Chromium for the browser tests (playwright-core, SwiftShader WebGL), shared by their driver scripts.
import { chromium } from 'playwright-core';

const ARGS = ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

// The distribution's Chromium (SPACEPORT_CHROMIUM, else /usr/bin/chromium), headless.
export function launchChromium() {
  const executablePath = process.env.SPACEPORT_CHROMIUM || '/usr/bin/chromium';
  return chromium.launch({ executablePath, headless: true, args: ARGS });
}

// Records the page's console errors, uncaught errors and HTTP responses >= 400 (paths in `ignore` aside) into
// `result.consoleErrors` and `result.failedRequests`, each prefixed with `label` where given.
export function recordProblems(page, result, { label = '', ignore = [] } = {}) {
  const tag = label ? `${label}: ` : '';
  page.on('console', (msg) => { if (msg.type() === 'error') result.consoleErrors.push(`${tag}${msg.text()}`); });
  page.on('pageerror', (err) => result.consoleErrors.push(`${tag}${err}`));
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (r.status() >= 400 && !ignore.includes(path)) result.failedRequests.push(`${r.status()} ${path}`);
  });
}
