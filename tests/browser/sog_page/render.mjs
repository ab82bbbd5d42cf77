// Renders gsplat assets with the PlayCanvas engine in headless Chromium (SwiftShader) and saves the frames.
// usage: node render.mjs PAGE_URL OUT_DIR JOBS_JSON
//   JOBS_JSON: [{"name": "ours", "query": "asset=/assets/scene.sog&w=320&h=240&cam=0,0,4"}, ...]
// OUT_DIR gets <name>.png per job and result.json: per job {state, frames, error, renderer, ms},
// plus consoleErrors and failedRequests for the whole session.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, recordProblems } from '../chromium.mjs';

const [pageUrl, outDir, jobsJson] = process.argv.slice(2);
const jobs = JSON.parse(jobsJson);
const minFrames = Number(process.env.SOG_RENDER_FRAMES || 3);
const timeout = Number(process.env.SOG_RENDER_TIMEOUT_MS || 90000);

const result = { jobs: {}, consoleErrors: [], failedRequests: [] };
const browser = await launchChromium();
try {
  for (const job of jobs) {
    const started = Date.now();
    const page = await browser.newPage({ viewport: { width: 400, height: 300 } });
    recordProblems(page, result, { label: job.name, ignore: ['/favicon.ico'] });
    await page.goto(`${pageUrl}?${job.query}`);
    try {
      await page.waitForFunction((n) => window.sogRender
        && (window.sogRender.frames >= n || window.sogRender.state === 'error'), minFrames, { timeout });
    } catch (err) {
      result.consoleErrors.push(`${job.name}: ${err}`);
    }
    const status = await page.evaluate(() => ({ ...window.sogRender }));
    await page.locator('#c').screenshot({ path: join(outDir, `${job.name}.png`) });
    result.jobs[job.name] = { ...status, ms: Date.now() - started };
    await page.close();
  }
} finally {
  writeFileSync(join(outDir, 'result.json'), JSON.stringify(result, null, 1));
  await browser.close();
}
