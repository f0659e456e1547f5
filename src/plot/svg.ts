/**
 * Dependency-free SVG plots: lines and points with axes, ticks, labels and a legend, on linear or
 * logarithmic scales, one plot or a grid of panels. For fits (data as points, the fit as lines),
 * loss curves (log y) and orbits (equal aspect).
 *
 *   linePlot({ title: 'x(t)', xLabel: 't', yLabel: 'x', series: [
 *     { name: 'data', x: times, y: xs, style: 'points' },
 *     { name: 'fit', x: fine, y: xfit, style: 'line' } ] })
 *
 * Non-finite values are skipped (a NaN splits a line). The legend sits outside the data area (to
 * the right, or below when wide; the plot grows by its room). Output is a complete SVG document.
 */

export type SeriesStyle = 'line' | 'points' | 'line+points';
export type Scale = 'linear' | 'log';

export interface PlotSeries {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** Default 'line'. */
  readonly style?: SeriesStyle;
  /** Any SVG colour; default: the palette in order. */
  readonly color?: string;
  /** Stroke width of a line (default 1.5) and radius of a point (default 2.5). */
  readonly width?: number;
  readonly radius?: number;
  /** SVG stroke-dasharray of a line (e.g. '6 3'), so that coinciding curves stay distinguishable. */
  readonly dash?: string;
}

export interface PlotOptions {
  readonly series: readonly PlotSeries[];
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Size in px (default 640 x 400). */
  readonly width?: number;
  readonly height?: number;
  readonly xScale?: Scale;
  readonly yScale?: Scale;
  /** Axis ranges (default: the data's, widened to ticks). */
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  /** Same length per unit on both axes (orbits). */
  readonly equalAspect?: boolean;
  /** Show the legend (default: when there is more than one series). */
  readonly legend?: boolean;
}

export interface GridOptions {
  readonly panels: readonly PlotOptions[];
  /** Panels per row (default: up to 3). */
  readonly columns?: number;
  /** Size of each panel (default 420 x 300). */
  readonly panelWidth?: number;
  readonly panelHeight?: number;
  readonly title?: string;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** One plot as an SVG document. */
export function linePlot(options: PlotOptions): string {
  const space = legendSpace(options, options.width ?? 640);
  const width = (options.width ?? 640) + space.right;
  const height = (options.height ?? 400) + space.below;
  return svgDocument(width, height, renderPanel(options, 0, 0, width, height, 'p0', space));
}

/** Several plots in a grid, as one SVG document. */
export function panelGrid(options: GridOptions): string {
  const n = options.panels.length;
  const columns = Math.max(1, options.columns ?? Math.min(3, n));
  const rows = Math.ceil(n / columns);
  // Every panel grows by the largest legend's space, so that the grid stays regular.
  const spaces = options.panels.map((panel) => legendSpace(panel, options.panelWidth ?? 420));
  const space = { right: Math.max(0, ...spaces.map((s) => s.right)), below: Math.max(0, ...spaces.map((s) => s.below)) };
  const pw = (options.panelWidth ?? 420) + space.right;
  const ph = (options.panelHeight ?? 300) + space.below;
  const top = options.title ? 30 : 0;
  const width = columns * pw;
  const height = top + rows * ph;
  const parts: string[] = [];
  if (options.title) parts.push(text(width / 2, 20, options.title, { anchor: 'middle', size: 16, weight: 'bold' }));
  options.panels.forEach((panel, k) => {
    parts.push(renderPanel(panel, (k % columns) * pw, top + Math.floor(k / columns) * ph, pw, ph, `p${k}`, space));
  });
  return svgDocument(width, height, parts.join('\n'));
}

// ---------------------------------------------------------------------------------------------

interface Axis {
  readonly scale: Scale;
  readonly min: number;
  readonly max: number;
  readonly ticks: number[];
  /** Data value -> pixel. */
  readonly map: (v: number) => number;
}

const MARGIN = { left: 64, right: 16, top: 32, bottom: 48 };

const LEGEND_ROW = 16;

/** Room for the legend outside the plot area: to the right, or below when it is wide. */
interface LegendSpace {
  readonly right: number;
  readonly below: number;
}

function showLegend(options: PlotOptions): boolean {
  return options.legend ?? options.series.length > 1;
}

function legendWidth(series: readonly PlotSeries[]): number {
  return 24 + 7 * Math.max(0, ...series.map((s) => s.name.length));
}

/**
 * The legend goes outside the data area so that it never covers data: to the right of the plot
 * area, the panel growing by its width, unless it would be wider than a third of the panel;
 * then below the x label, the panel growing by its height.
 */
function legendSpace(options: PlotOptions, width: number): LegendSpace {
  if (!showLegend(options) || options.series.length === 0) return { right: 0, below: 0 };
  const w = legendWidth(options.series) + 12;
  if (w <= width / 3) return { right: w, below: 0 };
  return { right: 0, below: options.series.length * LEGEND_ROW + 14 };
}

function renderPanel(options: PlotOptions, x0: number, y0: number, width: number, height: number, id: string, space: LegendSpace): string {
  let left = x0 + MARGIN.left;
  let right = x0 + width - MARGIN.right - space.right;
  let top = y0 + MARGIN.top;
  let bottom = y0 + height - MARGIN.bottom - space.below;
  const xScale = options.xScale ?? 'linear';
  const yScale = options.yScale ?? 'linear';
  let xr = options.xRange ?? dataRange(options.series, 'x', xScale);
  let yr = options.yRange ?? dataRange(options.series, 'y', yScale);
  if (options.equalAspect && xScale === 'linear' && yScale === 'linear') {
    // A margin of 5% on each side, so that curves and markers at the extremes stay off the frame.
    if (!options.xRange) xr = widen(xr, 1.1 * (xr[1] - xr[0]) || 1);
    if (!options.yRange) yr = widen(yr, 1.1 * (yr[1] - yr[0]) || 1);
    // Widen the shorter range so that one unit is as long on both axes.
    const perX = (xr[1] - xr[0]) / (right - left);
    const perY = (yr[1] - yr[0]) / (bottom - top);
    if (perX > perY) yr = widen(yr, perX * (bottom - top));
    else xr = widen(xr, perY * (right - left));
  }
  const xAxis = axis(xScale, xr, left, right, !options.xRange && !options.equalAspect);
  const yAxis = axis(yScale, yr, bottom, top, !options.yRange && !options.equalAspect);

  const out: string[] = [`<g>`];
  out.push(`<rect x="${f(x0)}" y="${f(y0)}" width="${f(width)}" height="${f(height)}" fill="white"/>`);
  if (options.title) out.push(text(x0 + width / 2, y0 + 20, options.title, { anchor: 'middle', size: 14, weight: 'bold' }));
  // Grid lines and tick labels.
  for (const t of xAxis.ticks) {
    const px = xAxis.map(t);
    out.push(`<line x1="${f(px)}" y1="${f(top)}" x2="${f(px)}" y2="${f(bottom)}" stroke="#e5e5e5"/>`);
    out.push(text(px, bottom + 16, tickLabel(t), { anchor: 'middle', size: 11 }));
  }
  for (const t of yAxis.ticks) {
    const py = yAxis.map(t);
    out.push(`<line x1="${f(left)}" y1="${f(py)}" x2="${f(right)}" y2="${f(py)}" stroke="#e5e5e5"/>`);
    out.push(text(left - 6, py + 4, tickLabel(t), { anchor: 'end', size: 11 }));
  }
  out.push(`<rect x="${f(left)}" y="${f(top)}" width="${f(right - left)}" height="${f(bottom - top)}" fill="none" stroke="#333"/>`);
  if (options.xLabel) out.push(text((left + right) / 2, bottom + 36, options.xLabel, { anchor: 'middle', size: 12 }));
  if (options.yLabel) {
    const cx = x0 + 16;
    const cy = (top + bottom) / 2;
    out.push(text(cx, cy, options.yLabel, { anchor: 'middle', size: 12, rotate: true }));
  }
  // Data, clipped to the plot area.
  const clip = `clip-${id}`;
  out.push(`<clipPath id="${clip}"><rect x="${f(left)}" y="${f(top)}" width="${f(right - left)}" height="${f(bottom - top)}"/></clipPath>`);
  out.push(`<g clip-path="url(#${clip})">`);
  options.series.forEach((s, k) => out.push(renderSeries(s, color(s, k), xAxis, yAxis)));
  out.push(`</g>`);
  if (showLegend(options) && options.series.length > 0) {
    // The panel's own placement (right or below), inside the room the panel was given.
    const own = legendSpace(options, width - space.right);
    out.push(own.right > 0 || space.below === 0 ? legend(options.series, right + 12, top) : legend(options.series, left, bottom + MARGIN.bottom));
  }
  out.push(`</g>`);
  return out.join('\n');
}

function renderSeries(s: PlotSeries, stroke: string, xAxis: Axis, yAxis: Axis): string {
  const style = s.style ?? 'line';
  const n = Math.min(s.x.length, s.y.length);
  const parts: string[] = [];
  const usable = (k: number) => usableValue(s.x[k], xAxis.scale) && usableValue(s.y[k], yAxis.scale);
  if (style !== 'points') {
    let d = '';
    let pen = false;
    for (let k = 0; k < n; k++) {
      if (!usable(k)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${f(xAxis.map(s.x[k]))},${f(yAxis.map(s.y[k]))}`;
      pen = true;
    }
    const dash = s.dash ? ` stroke-dasharray="${escape(s.dash)}"` : '';
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${escape(stroke)}" stroke-width="${s.width ?? 1.5}"${dash}/>`);
  }
  if (style !== 'line') {
    const r = s.radius ?? 2.5;
    for (let k = 0; k < n; k++) {
      if (!usable(k)) continue;
      parts.push(`<circle cx="${f(xAxis.map(s.x[k]))}" cy="${f(yAxis.map(s.y[k]))}" r="${r}" fill="${escape(stroke)}"/>`);
    }
  }
  return parts.join('\n');
}

/** The legend box with its top-left corner at (x, y), outside the plot area. */
function legend(series: readonly PlotSeries[], x: number, y: number): string {
  const rowHeight = LEGEND_ROW;
  const width = legendWidth(series);
  const parts = [`<rect x="${f(x)}" y="${f(y)}" width="${f(width)}" height="${f(series.length * rowHeight + 6)}" fill="white" stroke="#999"/>`];
  series.forEach((s, k) => {
    const cy = y + 11 + k * rowHeight;
    const c = escape(color(s, k));
    if ((s.style ?? 'line') === 'points') parts.push(`<circle cx="${f(x + 11)}" cy="${f(cy)}" r="3" fill="${c}"/>`);
    else {
      const dash = s.dash ? ` stroke-dasharray="${escape(s.dash)}"` : '';
      parts.push(`<line x1="${f(x + 4)}" y1="${f(cy)}" x2="${f(x + 18)}" y2="${f(cy)}" stroke="${c}" stroke-width="2"${dash}/>`);
    }
    parts.push(text(x + 22, cy + 4, s.name, { anchor: 'start', size: 11 }));
  });
  return parts.join('\n');
}

function color(s: PlotSeries, k: number): string {
  return s.color ?? PALETTE[k % PALETTE.length];
}

function usableValue(v: number, scale: Scale): boolean {
  return Number.isFinite(v) && (scale === 'linear' || v > 0);
}

function dataRange(series: readonly PlotSeries[], key: 'x' | 'y', scale: Scale): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    const values = s[key];
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      if (!usableValue(v, scale)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(lo <= hi)) return scale === 'log' ? [1, 10] : [0, 1];
  if (lo === hi) return scale === 'log' ? [lo / 2, hi * 2] : [lo - 0.5 * Math.max(Math.abs(lo), 1), hi + 0.5 * Math.max(Math.abs(hi), 1)];
  return [lo, hi];
}

function widen([lo, hi]: readonly [number, number], span: number): [number, number] {
  const mid = (lo + hi) / 2;
  return [mid - span / 2, mid + span / 2];
}

function axis(scale: Scale, [lo, hi]: readonly [number, number], p0: number, p1: number, snap: boolean): Axis {
  if (scale === 'log') {
    let a = Math.log10(lo);
    let b = Math.log10(hi);
    if (snap) {
      a = Math.floor(a);
      b = Math.ceil(b);
      if (a === b) b = a + 1;
    }
    const ticks: number[] = [];
    const decades = b - a;
    const mantissas = decades <= 2 ? [1, 2, 5] : [1];
    const stride = Math.max(1, Math.ceil(decades / 8));
    for (let e = Math.floor(a); e <= Math.ceil(b); e += stride) {
      for (const m of mantissas) {
        const v = m * 10 ** e;
        if (Math.log10(v) >= a - 1e-9 && Math.log10(v) <= b + 1e-9) ticks.push(v);
      }
    }
    return { scale, min: 10 ** a, max: 10 ** b, ticks, map: (v) => p0 + ((Math.log10(v) - a) / (b - a)) * (p1 - p0) };
  }
  const step = niceStep((hi - lo) / 6);
  const min = snap ? Math.floor(lo / step) * step : lo;
  const max = snap ? Math.ceil(hi / step) * step : hi;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return { scale, min, max, ticks, map: (v) => p0 + ((v - min) / (max - min)) * (p1 - p0) };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    const [m, e] = v.toExponential(2).split('e');
    return `${Number(m)}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(6)));
}

interface TextStyle {
  readonly anchor: 'start' | 'middle' | 'end';
  readonly size: number;
  readonly weight?: 'bold';
  readonly rotate?: boolean;
}

function text(x: number, y: number, content: string, style: TextStyle): string {
  const transform = style.rotate ? ` transform="rotate(-90 ${f(x)} ${f(y)})"` : '';
  const weight = style.weight ? ` font-weight="${style.weight}"` : '';
  return `<text x="${f(x)}" y="${f(y)}" text-anchor="${style.anchor}" font-size="${style.size}"${weight}${transform}>${escape(content)}</text>`;
}

function svgDocument(width: number, height: number, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f(width)}" height="${f(height)}" viewBox="0 0 ${f(width)} ${f(height)}" font-family="Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif">`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

/** A coordinate with at most two decimals. */
function f(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
