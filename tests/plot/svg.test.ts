/** The SVG plots: structure, scales, legends and escaping. */
import { describe, expect, it } from 'vitest';
import { linePlot, panelGrid } from '../../src/plot/svg.ts';

const count = (s: string, pattern: RegExp) => (s.match(pattern) ?? []).length;

describe('linePlot', () => {
  it('points, a line, ticks, labels and a legend', () => {
    const svg = linePlot({
      title: 'x & y <fit>',
      xLabel: 't',
      yLabel: 'x',
      series: [
        { name: 'data', x: [0, 1, 2, 3], y: [1, NaN, 3, 4], style: 'points' },
        { name: 'fit', x: [0, 1.5, 3], y: [1, 2.5, 4], style: 'line' },
      ],
    });
    // The legend sits to the right of the plot area: the plot grows by its width (24 + 7 x 4
    // characters) and a 12 px gap, 640 + 64 = 704, the plot area staying 64..624 px.
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="704" height="400"')).toBe(true);
    expect(svg).toContain('<rect x="636" y="32" width="52" height="38" fill="white" stroke="#999"/>');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(count(svg, /<circle /g)).toBe(3 + 1); // three finite points, one legend marker
    expect(count(svg, /<path /g)).toBe(1);
    expect(svg).toContain('>x &amp; y &lt;fit&gt;</text>');
    expect(svg).toContain('>data</text>');
    expect(svg).toContain('>fit</text>');
    // Ticks at 0, 0.5, ..., 3 on x (data 0..3 -> step 0.5).
    for (const tick of ['0', '0.5', '1', '1.5', '2', '2.5', '3']) expect(svg).toContain(`text-anchor="middle" font-size="11">${tick}</text>`);
    // The first point: x = 0 at the left edge of the plot area (64 px), y = 1 at 1/3 of the height
    // from the bottom of [1, 4] (top 32, bottom 352): 352 - (0/3) * 320 = 352.
    expect(svg).toContain('<circle cx="64" cy="352" r="2.5"');
    expect(count(svg, /<text/g)).toBeGreaterThan(10);
    expect(count(svg, /<g/g)).toBe(count(svg, /<\/g>/g));
  });

  it('a log scale has ticks at powers of ten and skips values <= 0', () => {
    const svg = linePlot({ series: [{ name: 'loss', x: [0, 1, 2, 3], y: [1000, 10, 0, 0.01] }], yScale: 'log' });
    for (const tick of ['0.01', '0.1', '1', '10', '100', '1000']) expect(svg).toContain(`text-anchor="end" font-size="11">${tick}</text>`);
    // The zero splits the line into two pieces: M..L.. then M..
    expect(count(svg, /M/g)).toBe(2);
    expect(svg).not.toContain('>loss</text>'); // one series: no legend
  });

  it('a legend never covers the data area: right of it, or below it when wide', () => {
    const frame = (svg: string) => svg.match(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#333"\/>/)!.slice(1).map(Number);
    const box = (svg: string) => svg.match(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="white" stroke="#999"\/>/)!.slice(1).map(Number);
    const series = (name: string) => [
      { name: `${name} a`, x: [0, 10], y: [0, 10] },
      { name: `${name} b`, x: [0, 10], y: [10, 0] },
    ];
    const right = linePlot({ series: series('x'), width: 400, height: 300 });
    const [fx, , fw] = frame(right);
    const [bx] = box(right);
    expect(bx).toBeGreaterThan(fx + fw);
    expect(right).toContain('width="457" height="300"'); // 400 + 24 + 7 x 3 + 12
    // A legend wider than a third of the panel goes below the x label; the panel grows by its rows.
    const long = 'a rather long series name to show';
    const below = linePlot({ series: series(long), width: 400, height: 300 });
    const [, fy2, , fh2] = frame(below);
    const [, by] = box(below);
    expect(by).toBeGreaterThan(fy2 + fh2 + 36); // under the x label's line
    expect(below).toContain(`width="400" height="${300 + 2 * 16 + 14}"`);
    // The plot area keeps its size in both cases: 400 - 64 - 16 wide, 300 - 32 - 48 high.
    expect(frame(right).slice(2)).toEqual([320, 220]);
    expect(frame(below).slice(2)).toEqual([320, 220]);
  });

  it('equal aspect: one unit is as long on both axes', () => {
    const svg = linePlot({ series: [{ name: 'orbit', x: [-1, 1], y: [-0.25, 0.25] }], width: 400, height: 400, equalAspect: true });
    // Plot area 320 x 320: x spans [-1, 1] plus 5% each side, [-1.1, 1.1] (320 / 2.2 px per unit), so
    // y spans [-1.1, 1.1] too: x = -1 at 64 + 0.1 (320 / 2.2) = 78.55, y = 0.25 at 192 - 0.25 (320 / 2.2) = 155.64.
    expect(svg).toMatch(/<path d="M78.55,228.36L369.45,155.64"/);
  });
});

describe('panelGrid', () => {
  it('lays out panels in rows with one title', () => {
    const panel = { series: [{ name: 's', x: [0, 1], y: [0, 1] }] };
    const svg = panelGrid({ panels: [panel, panel, panel, panel], columns: 2, panelWidth: 300, panelHeight: 200, title: 'four' });
    expect(svg).toContain('width="600" height="430"'); // one series per panel: no legend
    // Panels with legends all grow by the widest legend's room: 2 x (300 + 24 + 7 x 5 + 12).
    const two = { series: [{ name: 'fit a', x: [0, 1], y: [0, 1] }, { name: 'fit b', x: [0, 1], y: [1, 0] }] };
    expect(panelGrid({ panels: [two, panel], columns: 2, panelWidth: 300, panelHeight: 200 })).toContain('width="742" height="200"');
    expect(count(svg, /<clipPath id="clip-p\d"/g)).toBe(4);
    expect(svg).toContain('>four</text>');
  });
});
