// Benchmark: time for the Images view to render 1,000 images (a fixture behind the real headless
// host and the built renderer, in Debian's Chromium), and the worst frame while scrolling them.
// `node bin/run-ts.js e2e/bench/render-images.ts` prints it; `npm run bench` calls benchRenderImages().
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DashboardServer } from '../../electron/node-host/dashboard/server.ts';
import { RENDERER_DIR } from '../../electron/node-host/dashboard/static-files.ts';
import { buildRenderer } from '../../electron/node-host/cli/dashboard-command.ts';
import { fakeServices } from '../fixtures/fake-services.ts';
import { launchChromium } from '../browser.ts';

export interface RenderBench {
  images: number;
  renderMs: number;
  rowsInDom: number;
  scrollWorstFrameMs: number;
}

export async function benchRenderImages(count = 1000): Promise<RenderBench> {
  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) await buildRenderer();
  const server = new DashboardServer(fakeServices({ images: count }));
  const url = await server.listen();
  const { context, close } = await launchChromium();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: 'Containers' }).waitFor();
    await page.getByTestId('engine-state').filter({ hasText: 'Running' }).waitFor();
    // The images are loaded on connect; what is timed is the view's render, click to rows on screen.
    // Scripts run in the page as strings: tsx's name helpers do not exist there.
    const renderMs = (await page.evaluate(`(async () => {
      const t0 = performance.now();
      [...document.querySelectorAll('nav button')].find((b) => b.textContent === 'Images').click();
      while (document.querySelectorAll('.vrow.image').length === 0) await new Promise((r) => requestAnimationFrame(r));
      await new Promise((r) => requestAnimationFrame(r));
      return performance.now() - t0;
    })()`)) as number;
    const rowsInDom = await page.locator('.vrow.image').count();
    const total = await page.getByTestId('images-total').textContent();
    if (!total?.startsWith(`${count} images`)) throw new Error(`the view shows "${total}", not ${count} images`);
    const scrollWorstFrameMs = (await page.evaluate(`(async () => {
      const el = document.querySelector('[data-testid="images-scroll"]');
      let worst = 0;
      let last = performance.now();
      for (let i = 0; i <= 60; i++) {
        el.scrollTop = (el.scrollHeight * i) / 60;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
      }
      return worst;
    })()`)) as number;
    return {
      images: count,
      renderMs: Math.round(renderMs * 10) / 10,
      rowsInDom,
      scrollWorstFrameMs: Math.round(scrollWorstFrameMs * 10) / 10,
    };
  } finally {
    await close();
    await server.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await benchRenderImages(Number(process.argv[2] ?? 1000));
  console.log(
    `Images view, ${r.images} images: rendered in ${r.renderMs} ms (${r.rowsInDom} rows in the DOM, virtualized); worst frame while scrolling ${r.scrollWorstFrameMs} ms`,
  );
}
