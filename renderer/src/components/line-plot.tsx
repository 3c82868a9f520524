import { useEffect, useRef } from 'react';
import { PALETTE, type PlotOptions, drawPlot } from './draw-plot.js';

/** A static plot of time series, redrawn when its data or cursor changes. */
export function LinePlot(props: PlotOptions & { title: string; height?: number; legend?: boolean; testId?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { title, height, legend, testId, ...options } = props;

  useEffect(() => {
    if (canvas.current) drawPlot(canvas.current, options);
  });
  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const observer = new ResizeObserver(() => drawPlot(element, options));
    observer.observe(element);
    return () => observer.disconnect();
  });

  return (
    <figure className="plot" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <canvas ref={canvas} style={{ height: height ?? 140 }} />
      {legend !== false && options.series.length > 1 && (
        <div className="legend">
          {options.series.map((line, index) => (
            <span key={line.name} style={{ color: PALETTE[index % PALETTE.length] }}>
              {line.name}
            </span>
          ))}
        </div>
      )}
    </figure>
  );
}
