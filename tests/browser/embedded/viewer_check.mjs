// Loads the embedded run's viewer page in headless Chromium (playwright-core) and saves its canvas.
// usage: node viewer_check.mjs PAGE_URL OUT_DIR   ->  OUT_DIR/result.json and OUT_DIR/canvas.png
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, recordProblems } from '../chromium.mjs';

const [url, outDir] = process.argv.slice(2);
const result = { viewer: null, consoleErrors: [], failedRequests: [] };
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 480, height: 360 } });
  recordProblems(page, result, { ignore: ['/favicon.ico'] });
  await page.goto(url);
  try {
    await page.waitForFunction(() => window.spaceportViewer
      && ((window.spaceportViewer.frames >= 5 && window.spaceportViewer.drawn > 0)
        || window.spaceportViewer.state === 'error'), null, { timeout: 90000 });
  } catch (err) {
    result.consoleErrors.push(String(err));
  }
  result.viewer = await page.evaluate(() => window.spaceportViewer ? { ...window.spaceportViewer } : null);
  await page.locator('#c').screenshot({ path: join(outDir, 'canvas.png') });
} finally {
  writeFileSync(join(outDir, 'result.json'), JSON.stringify(result, null, 1));
  await browser.close();
}
