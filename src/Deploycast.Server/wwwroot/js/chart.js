// A small rate-over-time chart drawn as SVG: one polyline and a filled area, redrawn only when a sample is added.
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 360;
const HEIGHT = 72;

export const WINDOW_MS = 120_000;

export class RateChart {
  constructor(label) {
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    this.svg.setAttribute('preserveAspectRatio', 'none');
    this.svg.setAttribute('role', 'img');
    this.svg.setAttribute('class', 'rate-chart');
    this.title = document.createElementNS(SVG, 'title');
    this.svg.append(this.title);
    for (const y of [0.25, 0.5, 0.75]) {
      const line = document.createElementNS(SVG, 'line');
      line.setAttribute('x1', '0');
      line.setAttribute('x2', String(WIDTH));
      line.setAttribute('y1', String(HEIGHT * y));
      line.setAttribute('y2', String(HEIGHT * y));
      line.setAttribute('class', 'grid');
      this.svg.append(line);
    }
    this.area = document.createElementNS(SVG, 'polygon');
    this.area.setAttribute('class', 'area');
    this.line = document.createElementNS(SVG, 'polyline');
    this.line.setAttribute('class', 'line');
    this.svg.append(this.area, this.line);
    this.label = label;
    this.samples = [];
    this.drawn = -1;
    this.version = 0;
  }

  /** Adds a sample; samples closer than a second replace the last one, so bursts of events do not crowd the chart. */
  add(timeMs, bitsPerSecond) {
    const last = this.samples[this.samples.length - 1];
    if (last && timeMs - last[0] < 1000) last[1] = bitsPerSecond;
    else this.samples.push([timeMs, bitsPerSecond]);
    while (this.samples.length > 0 && this.samples[0][0] < timeMs - WINDOW_MS) this.samples.shift();
    this.version++;
  }

  /** Redraws when samples changed; returns the peak rate shown. */
  draw(formatRate) {
    if (this.drawn === this.version) return;
    this.drawn = this.version;
    const now = this.samples.length ? this.samples[this.samples.length - 1][0] : 0;

    // A young session fills the width (at least 10 s shown), an older one scrolls through the last 2 minutes.
    const span = Math.min(WINDOW_MS, Math.max(10_000, this.samples.length ? now - this.samples[0][0] : 0));
    const peak = Math.max(1, ...this.samples.map((s) => s[1]));
    const points = this.samples.map(([t, r]) => {
      const x = WIDTH - ((now - t) / span) * WIDTH;
      const y = HEIGHT - 2 - (r / peak) * (HEIGHT - 6);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    if (points.length === 1) {
      // One sample is a level line, not an invisible dot.
      points.unshift(`0,${points[0].split(',')[1]}`);
    }
    this.line.setAttribute('points', points.join(' '));
    if (points.length > 0) {
      const firstX = points[0].split(',')[0];
      this.area.setAttribute('points', `${firstX},${HEIGHT} ${points.join(' ')} ${WIDTH},${HEIGHT}`);
    } else {
      this.area.setAttribute('points', '');
    }
    const current = this.samples.length ? this.samples[this.samples.length - 1][1] : null;
    const text = `${this.label}: ${formatRate(current)} now, peak ${formatRate(this.samples.length ? peak : null)} over the last 2 minutes`;
    this.title.textContent = text;
    this.svg.setAttribute('aria-label', text);
  }
}
