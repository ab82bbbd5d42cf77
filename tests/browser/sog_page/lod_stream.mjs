// Loads a streamed SOG (lod-meta.json) with the PlayCanvas engine in headless Chromium and times each file.
// usage: node lod_stream.mjs PAGE_URL QUERY OUT_DIR
// Waits until a file of level 0 (the finest) has arrived and frames were drawn after it, then writes OUT_DIR/
// result.json: {status, resources: [{path, start, end}] (ms since navigation, from Resource Timing),
// firstFrameMs, consoleErrors, failedRequests} and OUT_DIR/frame.png.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, recordProblems } from '../chromium.mjs';

const [pageUrl, query, outDir] = process.argv.slice(2);
const timeout = Number(process.env.SOG_RENDER_TIMEOUT_MS || 180000);

const result = { status: null, resources: [], consoleErrors: [], failedRequests: [] };
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 400, height: 300 } });
  recordProblems(page, result, { ignore: ['/favicon.ico'] });
  await page.addInitScript(() => {
    performance.setResourceTimingBufferSize(100000);
    const started = performance.now();
    const watch = () => {
      const s = window.sogRender;
      if (s && s.frames > 0 && s.firstFrameMs === undefined) s.firstFrameMs = performance.now() - started;
      requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
  });
  await page.goto(`${pageUrl}?${query}`);
  try {
    await page.waitForFunction(() => {
      const s = window.sogRender;
      if (!s || s.state === 'error') return true;
      const finest = performance.getEntriesByType('resource').filter((e) => /\/0_\d+\/[^/]+\.webp$/.test(e.name));
      if (finest.length === 0) return false;
      s.finestFrame ??= s.frames;
      return s.frames >= s.finestFrame + 5;
    }, null, { timeout, polling: 100 });
  } catch (err) {
    result.consoleErrors.push(`waiting for the finest level: ${err}`);
  }
  result.status = await page.evaluate(() => ({ ...window.sogRender }));
  result.resources = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => ({
    path: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd, bytes: e.encodedBodySize,
  })));
  await page.locator('#c').screenshot({ path: join(outDir, 'frame.png') });
} finally {
  writeFileSync(join(outDir, 'result.json'), JSON.stringify(result, null, 1));
  await browser.close();
}
