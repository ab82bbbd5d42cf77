// Loads a streamed SOG (lod-meta.json), or any gsplat asset, with the PlayCanvas engine in headless Chromium and
// times each file and each change in the number of splats drawn.
// usage: node lod_stream.mjs PAGE_URL QUERY OUT_DIR
// Waits until a file of level 0 (the finest) has arrived, and neither a file arrived nor the number of splats
// drawn changed for LOD_SETTLE_MS, then writes OUT_DIR/result.json: {status (the page's, with `drawn`), resources: [{path, start,
// end, bytes}] (ms since navigation, from Resource Timing), consoleErrors, failedRequests} and OUT_DIR/frame.png.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, recordProblems } from '../chromium.mjs';

const [pageUrl, query, outDir] = process.argv.slice(2);
const timeout = Number(process.env.SOG_RENDER_TIMEOUT_MS || 180000);
const settle = Number(process.env.LOD_SETTLE_MS || 3000);  // no change in splats drawn for this long: loaded
const until = Number(process.env.LOD_UNTIL_SPLATS || 0);  // or: wait until this many splats are drawn
const throttle = Number(process.env.LOD_THROTTLE_MBPS || 0);  // emulated link in Mbit/s (20 ms latency); 0: none

const result = { status: null, resources: [], consoleErrors: [], failedRequests: [] };
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 400, height: 300 } });
  recordProblems(page, result, { ignore: ['/favicon.ico'] });
  if (throttle > 0) {  // Chromium's own network emulation: the loopback server then serves at this rate
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    const bytesPerSecond = (throttle * 1e6) / 8;
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 20, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond,
    });
  }
  await page.addInitScript(() => performance.setResourceTimingBufferSize(100000));
  await page.goto(`${pageUrl}?${query}`);
  try {
    await page.waitForFunction(([settleMs, until]) => {
      const s = window.sogRender;
      if (!s || s.state === 'error') return true;
      const files = performance.getEntriesByType('resource');
      const finest = files.some((e) => /\/0_\d+\/[^/]+\.webp$/.test(e.name));
      const lastFile = Math.max(...files.map((e) => e.responseEnd));
      const last = s.drawn[s.drawn.length - 1];
      const now = performance.now();
      if (until > 0) return last !== undefined && last.splats >= until;
      return finest && last !== undefined && now - last.ms > settleMs && now - lastFile > settleMs;
    }, [settle, until], { timeout, polling: 100 });
  } catch (err) {
    result.consoleErrors.push(`waiting for the finest level to be drawn: ${err}`);
  }
  result.status = await page.evaluate(() => ({ ...window.sogRender }));
  result.resources = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => ({
    path: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd, bytes: e.encodedBodySize,
  })));
  try {  // a page drawing millions of splats in SwiftShader can take longer than that per frame
    await page.locator('#c').screenshot({ path: join(outDir, 'frame.png'), timeout: 60000 });
  } catch (err) {
    result.consoleErrors.push(`screenshot: ${err}`);
  }
} finally {
  writeFileSync(join(outDir, 'result.json'), JSON.stringify(result, null, 1));
  await browser.close();
}
