/**
 * Line charts as inline SVG, drawn here (no chart library): time on x, values on y from zero, one
 * polyline per series, labels for the y maximum and the first and last time. Series names are set
 * with textContent like everything else.
 */
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
export const COLORS = ['#2459c9', '#d9480f', '#2b8a3e', '#862e9c', '#c92a2a', '#0b7285', '#5c940d', '#e67700'];

export interface ChartSeries {
  name: string;
  points: Array<[number, number]>;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function fmtValue(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (v >= 100 || Number.isInteger(v)) return v.toFixed(0);
  return v.toFixed(v >= 10 ? 1 : 2);
}

function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
}

/** A chart element (an <svg> and its legend) for the series; `unit` labels the y axis. */
export function lineChart(title: string, unit: string, series: ChartSeries[], opts: { width?: number; height?: number; testId?: string } = {}): HTMLElement {
  const width = opts.width ?? 560;
  const height = opts.height ?? 220;
  const pad = { left: 54, right: 12, top: 22, bottom: 24 };
  const root = svg('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  root.append(svg('title', {}, title));
  root.append(svg('text', { x: pad.left, y: 14, 'font-weight': 600 }, `${title} (${unit})`));
  const all = series.flatMap((s) => s.points);
  const wrap = h('div', { class: 'chart-wrap', attrs: { 'data-chart': opts.testId ?? title, 'data-points': all.length } });
  if (all.length < 2) {
    root.append(svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'collecting samples… (the chart fills while this page is open)'));
    wrap.append(root);
    return wrap;
  }
  const t0 = Math.min(...all.map((p) => p[0]));
  const t1 = Math.max(...all.map((p) => p[0]));
  const vMax = Math.max(...all.map((p) => p[1]), 0) * 1.1 || 1;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (t: number): number => pad.left + (t1 === t0 ? plotW : ((t - t0) / (t1 - t0)) * plotW);
  const y = (v: number): number => pad.top + plotH - (v / vMax) * plotH;
  for (const frac of [0, 0.5, 1]) {
    const yy = pad.top + plotH - frac * plotH;
    root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: yy, y2: yy, stroke: '#e4e8ef' }));
    root.append(svg('text', { x: pad.left - 6, y: yy + 4, 'text-anchor': 'end' }, fmtValue(vMax * frac)));
  }
  root.append(svg('text', { x: pad.left, y: height - 6 }, clock(t0)));
  root.append(svg('text', { x: width - pad.right, y: height - 6, 'text-anchor': 'end' }, clock(t1)));
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    root.append(svg('polyline', { points: pts, fill: 'none', stroke: color, 'stroke-width': 2, 'data-series': i }));
    if (s.points.length === 1) root.append(svg('circle', { cx: x(s.points[0]![0]), cy: y(s.points[0]![1]), r: 3, fill: color }));
  });
  const legend = h('div', { class: 'legend' });
  series.forEach((s, i) => {
    const last = s.points[s.points.length - 1];
    const item = h('span', null, `${s.name}${last ? `: ${fmtValue(last[1])}` : ''}`);
    item.style.setProperty('--c', COLORS[i % COLORS.length]!);
    legend.append(item);
  });
  wrap.append(root, legend);
  return wrap;
}
