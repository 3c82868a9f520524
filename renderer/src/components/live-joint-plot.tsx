import { useCallback, useEffect, useRef } from 'react';
import type { JointsSample } from '../../../src/service/api.js';
import { useTopicListener } from '../hooks/studio-context.js';
import { PALETTE, drawPlot } from './draw-plot.js';

const WINDOW_S = 10;

/**
 * Joint positions of one side over the last ten seconds, from the 'joints' stream. Samples go
 * into a buffer and the canvas redraws once per animation frame, so React does not re-render.
 */
export function LiveJointPlot({ title, names, offset }: { title: string; names: string[]; offset: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const samples = useRef<JointsSample[]>([]);
  const dirty = useRef(false);

  const onSample = useCallback((sample: JointsSample) => {
    const buffer = samples.current;
    if (buffer.length > 0 && sample.tS < buffer[buffer.length - 1]!.tS) buffer.length = 0;
    buffer.push(sample);
    while (buffer.length > 0 && sample.tS - buffer[0]!.tS > WINDOW_S) buffer.shift();
    dirty.current = true;
  }, []);
  useTopicListener('joints', onSample);

  useEffect(() => {
    let frame = 0;
    const draw = () => {
      frame = requestAnimationFrame(draw);
      if (!dirty.current || !canvas.current) return;
      dirty.current = false;
      const buffer = samples.current;
      // The window starts at the loop's start until it has run for WINDOW_S, then scrolls.
      const start = Math.max(0, (buffer[buffer.length - 1]?.tS ?? 0) - WINDOW_S);
      drawPlot(canvas.current, {
        xs: buffer.map((sample) => sample.tS),
        xRange: [start, start + WINDOW_S],
        xLabel: 's',
        series: names.map((name, index) => ({ name, values: buffer.map((sample) => sample.state[offset + index] ?? NaN) })),
      });
    };
    frame = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(frame);
  }, [names, offset]);

  return (
    <figure className="plot">
      <figcaption>{title}</figcaption>
      <canvas ref={canvas} style={{ height: 150 }} data-testid={`live-plot-${title}`} />
      <div className="legend">
        {names.map((name, index) => (
          <span key={name} style={{ color: PALETTE[index % PALETTE.length] }}>
            {name}
          </span>
        ))}
      </div>
    </figure>
  );
}
