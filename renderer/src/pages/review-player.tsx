import { useEffect, useRef, useState } from 'react';
import type { EpisodeDetail, EpisodeFrame, EpisodeOutcome, EpisodeTelemetry } from '../../../src/service/api.js';
import { CameraStill } from '../components/camera-view.js';
import { LinePlot } from '../components/line-plot.js';
import { useAction } from '../hooks/notices.js';
import { useStudio } from '../hooks/studio-context.js';

const PLAY_TICK_MS = 50;

/**
 * Review of one episode: a scrubber over its timeline, the camera frames at the scrubber time,
 * joint plots and, for rollouts, k*, H_exec and latency on the same time axis. Frame requests
 * are latest-wins: while one is in flight only the newest scrubber time waits.
 */
export function ReviewPlayer({ id, onLabel }: { id: number; onLabel: (id: number, outcome: EpisodeOutcome) => Promise<unknown> }) {
  const client = useStudio();
  const { run } = useAction();
  const [detail, setDetail] = useState<EpisodeDetail | null>(null);
  const [telemetry, setTelemetry] = useState<EpisodeTelemetry | null>(null);
  const [time, setTime] = useState(0);
  const [frames, setFrames] = useState<EpisodeFrame[]>([]);
  const [playing, setPlaying] = useState(false);
  const request = useRef<{ inFlight: boolean; next: number | null }>({ inFlight: false, next: null });

  useEffect(() => {
    void run(`loading episode ${id}`, async () => {
      const [loadedDetail, loadedTelemetry] = await Promise.all([client.episodes.get({ id }), client.episodes.telemetry({ id })]);
      setDetail(loadedDetail);
      setTelemetry(loadedTelemetry);
    });
  }, [client, id, run]);
  useEffect(() => client.subscribe('episodes.changed', ({ ids }) => {
    if (ids.includes(id)) void client.episodes.get({ id }).then(setDetail, () => undefined);
  }), [client, id]);

  useEffect(() => {
    const pending = request.current;
    pending.next = time;
    if (pending.inFlight) return;
    const fetchNext = async () => {
      while (pending.next !== null) {
        const tS = pending.next;
        pending.next = null;
        pending.inFlight = true;
        try {
          setFrames(await client.episodes.frames({ id, tS }));
        } catch {
          // A deleted episode has no frames; the list shows why.
        } finally {
          pending.inFlight = false;
        }
      }
    };
    void fetchNext();
  }, [client, id, time]);

  const duration = detail?.durationS ?? 0;
  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => {
      setTime((current) => {
        const next = current + PLAY_TICK_MS / 1000;
        if (next >= duration) setPlaying(false);
        return Math.min(next, duration);
      });
    }, PLAY_TICK_MS);
    return () => clearInterval(timer);
  }, [playing, duration]);

  if (!detail || !telemetry) return <section className="panel">loading episode {id}…</section>;
  const half = telemetry.jointNames.length / 2;
  const range: [number, number] = [0, Math.max(duration, 0.001)];
  const jointSeries = (from: number, to: number) =>
    telemetry.jointNames.slice(from, to).map((name, index) => ({ name, values: telemetry.steps.state.map((state) => state[from + index] ?? NaN) }));
  const inferences = telemetry.inferences;
  const fps = detail.fps || 50;

  return (
    <section className="panel review" data-testid="review-player" data-episode={id}>
      <h2>
        Episode {id}: {detail.task} <span className="muted">({detail.kind}, {detail.steps} steps, {detail.durationS.toFixed(1)} s)</span>
      </h2>
      <div className="row">
        <span data-testid="review-outcome" className={`outcome ${detail.outcome}`}>{detail.outcome}</span>
        <button onClick={() => void onLabel(id, 'success')} data-testid="review-success">Label success</button>
        <button onClick={() => void onLabel(id, 'failure')} data-testid="review-failure">Label failure</button>
        <span className="muted">
          mean period {detail.meanPeriodMs?.toFixed(2) ?? '-'} ms · p99 lateness {detail.p99LatenessMs?.toFixed(2) ?? '-'} ms
        </span>
      </div>
      <div className="row scrubber">
        <button onClick={() => setPlaying(!playing)} data-testid="play-button">{playing ? 'Pause' : 'Play'}</button>
        <input
          type="range"
          min={0}
          max={range[1]}
          step={1 / fps}
          value={time}
          aria-label="scrubber"
          data-testid="scrubber"
          onChange={(event) => {
            setPlaying(false);
            setTime(Number(event.target.value));
          }}
        />
        <span data-testid="scrubber-time">{time.toFixed(2)} s</span>
      </div>
      <div className="cameras">
        {frames.map((frame) => (
          <CameraStill key={frame.camera} camera={frame.camera} jpegBase64={frame.jpegBase64} caption={`${frame.camera} · frame ${frame.index} at ${frame.tS.toFixed(2)} s`} />
        ))}
        {frames.length === 0 && <p className="muted">This episode has no camera frames.</p>}
      </div>
      <div className="plots">
        <LinePlot title="left arm" testId="review-left" xs={telemetry.steps.tS} series={jointSeries(0, half)} xRange={range} cursorX={time} xLabel="s" />
        <LinePlot title="right arm" testId="review-right" xs={telemetry.steps.tS} series={jointSeries(half, half * 2)} xRange={range} cursorX={time} xLabel="s" />
        {inferences.tS.length > 0 && (
          <>
            <LinePlot
              title="k* and H_exec"
              testId="review-kstar"
              xs={inferences.tS}
              series={[{ name: 'k*', values: inferences.kStar }, { name: 'H_exec', values: inferences.horizon }]}
              xRange={range}
              cursorX={time}
              steps
              xLabel="s"
            />
            <LinePlot title="inference latency (ms)" testId="review-latency" xs={inferences.tS} series={[{ name: 'latency', values: inferences.latencyMs }]} xRange={range} cursorX={time} xLabel="s" />
          </>
        )}
      </div>
    </section>
  );
}
