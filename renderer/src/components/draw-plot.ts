/** Canvas drawing of time series: no chart library, a few hundred to a few thousand points per line. */

export interface PlotSeries {
  name: string;
  values: ArrayLike<number>;
}

export interface PlotOptions {
  xs: ArrayLike<number>;
  series: PlotSeries[];
  xRange?: [number, number];
  yRange?: [number, number];
  cursorX?: number | null;
  /** Draws each value as a step held until the next x (k*, horizon). */
  steps?: boolean;
  xLabel?: string;
}

export const PALETTE = ['#4cc9f0', '#f72585', '#b5e48c', '#ffb703', '#9d4edd', '#fb8500', '#43aa8b', '#e5e5e5'];
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

function extent(values: Iterable<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (min === Infinity) return [0, 1];
  if (min === max) return [min - 0.5, max + 0.5];
  const margin = (max - min) * 0.05;
  return [min - margin, max + margin];
}

function* allValues(series: PlotSeries[]): Generator<number> {
  for (const line of series) for (let i = 0; i < line.values.length; i++) yield line.values[i]!;
}

/** Draws the plot to fill the canvas at its CSS size and the screen's pixel ratio. */
export function drawPlot(canvas: HTMLCanvasElement, options: PlotOptions): void {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (width === 0 || height === 0) return;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext('2d');
  if (!context) return;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);

  const [x0, x1] = options.xRange ?? extent(Array.from(options.xs));
  const [y0, y1] = options.yRange ?? extent(allValues(options.series));
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * plotW;
  const py = (y: number) => PAD.top + (1 - (y - y0) / (y1 - y0 || 1)) * plotH;

  context.strokeStyle = '#3a3f4b';
  context.fillStyle = '#9aa3b2';
  context.font = '10px system-ui, sans-serif';
  context.lineWidth = 1;
  context.strokeRect(PAD.left, PAD.top, plotW, plotH);
  context.fillText(formatTick(y1), 2, PAD.top + 8);
  context.fillText(formatTick(y0), 2, PAD.top + plotH);
  context.fillText(formatTick(x0), PAD.left, height - 6);
  const right = `${formatTick(x1)}${options.xLabel ? ` ${options.xLabel}` : ''}`;
  context.fillText(right, width - PAD.right - context.measureText(right).width, height - 6);

  context.save();
  context.beginPath();
  context.rect(PAD.left, PAD.top, plotW, plotH);
  context.clip();
  options.series.forEach((line, index) => {
    context.strokeStyle = PALETTE[index % PALETTE.length]!;
    context.lineWidth = 1.4;
    context.beginPath();
    for (let i = 0; i < line.values.length && i < options.xs.length; i++) {
      const x = px(options.xs[i]!);
      const y = py(line.values[i]!);
      if (i === 0) context.moveTo(x, y);
      else if (options.steps) {
        context.lineTo(x, py(line.values[i - 1]!));
        context.lineTo(x, y);
      } else context.lineTo(x, y);
    }
    if (options.steps && line.values.length > 0) context.lineTo(px(x1), py(line.values[line.values.length - 1]!));
    context.stroke();
  });
  if (options.cursorX !== undefined && options.cursorX !== null) {
    context.strokeStyle = '#ffffff';
    context.setLineDash([4, 3]);
    context.beginPath();
    context.moveTo(px(options.cursorX), PAD.top);
    context.lineTo(px(options.cursorX), PAD.top + plotH);
    context.stroke();
  }
  context.restore();
}

function formatTick(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 0.01 || magnitude >= 1e4)) return value.toExponential(1);
  return value.toFixed(magnitude < 10 ? 2 : 0);
}
