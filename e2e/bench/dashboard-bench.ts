// `npm run bench` entry (run.ts picks up *-bench.ts): the Images view with 1,000 images.
import { benchRenderImages } from './render-images.ts';

export async function bench(): Promise<void> {
  const r = await benchRenderImages(1000);
  console.log(
    `Images view, ${r.images} images: rendered in ${r.renderMs} ms (${r.rowsInDom} rows in the DOM, virtualized); worst frame while scrolling ${r.scrollWorstFrameMs} ms`,
  );
}
