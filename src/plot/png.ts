/**
 * SVG to PNG through @resvg/resvg-js (resvg, a Rust SVG renderer, as a prebuilt Node addon from
 * the npm registry). Loaded on first use; where the addon is missing for the platform, PNGs are
 * skipped and the caller says so.
 */
import { createRequire } from 'node:module';

/** The optional dependency that renders PNGs. */
export const PNG_RENDERER = '@resvg/resvg-js';

interface ResvgModule {
  Resvg: new (svg: string, options: unknown) => { render(): { asPng(): Uint8Array } };
}

let renderer: ResvgModule | null | undefined;

/** The PNG of an SVG document at the given width in pixels, or null when no renderer loads. */
export function svgToPng(svg: string, width = 1200): Uint8Array | null {
  if (renderer === undefined) {
    try {
      renderer = createRequire(import.meta.url)(PNG_RENDERER) as ResvgModule;
    } catch {
      renderer = null;
    }
  }
  if (!renderer) return null;
  const resvg = new renderer.Resvg(svg, {
    fitTo: { mode: 'width', value: width },
    background: 'white',
    // The SVGs ask for Helvetica/Arial, then Liberation Sans and DejaVu Sans; resvg's generic
    // fallback is a serif font, so name a sans-serif one for the families it cannot find.
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
