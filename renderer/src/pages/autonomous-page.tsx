import { useCallback, useEffect, useRef, useState } from 'react';
import type { InferenceEvent, LoadedPolicy, PolicyEntry, RigStatus, RolloutStartParams, RolloutStatus, RolloutStrategy } from '../../../src/service/api.js';
import { CameraView } from '../components/camera-view.js';
import { LinePlot } from '../components/line-plot.js';
import { ProgressBar } from '../components/progress-bar.js';
import { useAction, useNotices } from '../hooks/notices.js';
import { useStudio, useTopicListener } from '../hooks/studio-context.js';
import { isTyping } from './keyboard.js';

const IDLE_ROLLOUT: RolloutStatus = { state: 'idle', episodeId: null, task: '', policy: null, strategy: null, elapsedS: 0, inferences: 0, verdict: null, error: null, stoppedTeleop: false };
const STRATEGIES: RolloutStrategy[] = ['fixed', 'binary', 'linear', 'converge'];
const MAX_POINTS = 600;

interface Settings {
  strategy: RolloutStrategy;
  depth: string;
  delta: string;
  tau: string;
  horizon: string;
  seconds: string;
}

/** Autonomous rollouts: policy and strategy, start / stop / e-stop (Escape), live k* and H_exec. */
export function AutonomousPage({ rig }: { rig: RigStatus }) {
  const client = useStudio();
  const { busy, run } = useAction();
  const { notify } = useNotices();
  const [policies, setPolicies] = useState<PolicyEntry[]>([]);
  const [selected, setSelected] = useState('');
  const [policy, setPolicy] = useState<LoadedPolicy | null>(null);
  const [task, setTask] = useState('');
  const [settings, setSettings] = useState<Settings>({ strategy: 'binary', depth: '', delta: '', tau: '', horizon: '', seconds: '20' });
  const [status, setStatus] = useState(IDLE_ROLLOUT);
  const [history, setHistory] = useState<InferenceEvent[]>([]);

  useEffect(() => {
    void run('listing policies', async () => {
      const found = await client.policies.list();
      setPolicies(found);
      setSelected((current) => current || found.find((entry) => entry.error === null)?.dir || '');
    });
    void client.rollout.status().then(setStatus, () => undefined);
  }, [client, run]);
  useEffect(() => client.subscribe('rollout', setStatus), [client]);

  const onInference = useCallback((event: InferenceEvent) => {
    setHistory((current) => {
      const next = current.length > 0 && event.tS < current[current.length - 1]!.tS ? [event] : [...current, event];
      return next.length > MAX_POINTS ? next.slice(-MAX_POINTS) : next;
    });
  }, []);
  useTopicListener('inference', onInference);

  const active = status.state !== 'idle';
  const estop = useRef(() => run('e-stop', () => client.rollout.estop()));
  estop.current = () => run('e-stop', () => client.rollout.estop());
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      void estop.current();
    };
    const onSpace = (event: KeyboardEvent) => {
      if (event.key === ' ' && !isTyping(event)) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('keydown', onSpace);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('keydown', onSpace);
    };
  }, []);

  const start = () =>
    run('starting the rollout', async () => {
      setHistory([]);
      const params: RolloutStartParams = { policyDir: selected, task: task.trim(), strategy: settings.strategy };
      const number = (text: string) => (text.trim() === '' ? undefined : Number(text));
      if (settings.strategy === 'fixed') params.depth = number(settings.depth);
      else params.delta = number(settings.delta);
      if (settings.strategy === 'linear') params.tau = number(settings.tau);
      params.horizon = number(settings.horizon);
      params.maxSeconds = number(settings.seconds);
      const started = await client.rollout.start(Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined)) as RolloutStartParams);
      if (started.stoppedTeleop) notify('info', 'Teleop was stopped so that the policy drives the followers: start it again on the Record page after the rollout.');
      return started;
    });

  const latest = history[history.length - 1] ?? null;
  const overlay = latest ? (
    <span data-testid="kstar-overlay" data-kstar={latest.kStar} data-horizon={latest.horizon}>
      k* {latest.kStar} · H_exec {latest.horizon} · {latest.latencyMs.toFixed(0)} ms
    </span>
  ) : active ? (
    <span>waiting for the first plan</span>
  ) : null;
  const field = (key: keyof Settings, label: string, placeholder: string) => (
    <label>
      {label}
      <input data-testid={`setting-${key}`} value={settings[key]} placeholder={placeholder} onChange={(event) => setSettings({ ...settings, [key]: event.target.value })} disabled={active} />
    </label>
  );
  const defaults = policy?.inference;

  return (
    <div className="page autonomous-page">
      <section className="panel controls">
        <div className="row">
          <label>
            Policy
            <select data-testid="policy-select" value={selected} onChange={(event) => setSelected(event.target.value)} disabled={active}>
              {policies.map((entry) => (
                <option key={entry.dir} value={entry.dir} disabled={entry.error !== null}>
                  {entry.name}{entry.error ? ' (invalid)' : ''}
                </option>
              ))}
            </select>
          </label>
          <button disabled={!selected || busy !== null || active} onClick={() => run('loading the policy', async () => setPolicy(await client.policies.load({ dir: selected })))}>
            Load and show manifest
          </button>
        </div>
        {policy && (
          <dl className="counters manifest" data-testid="manifest">
            <dt>model</dt><dd>{policy.name} on {policy.provider}</dd>
            <dt>cameras</dt><dd>{policy.cameras.join(', ')}</dd>
            <dt>sizes</dt><dd>action {policy.sizes.actionSize} · chunk {policy.sizes.chunkSize} · hidden {policy.sizes.hiddenSize} · core layers {policy.sizes.coreLayers}</dd>
            <dt>depth</dt><dd>default {defaults!.defaultDepth} · max {defaults!.maxIterations} · delta {defaults!.delta}</dd>
            <dt>horizons</dt><dd>fixed {defaults!.fixedHorizon} · binary {defaults!.binary.short}/{defaults!.binary.long} above k* {defaults!.binary.threshold} · linear {defaults!.linear.hMin}..{defaults!.linear.hMax} from k* {defaults!.linear.tauBase}</dd>
          </dl>
        )}
        <label className="task">
          Task
          <input data-testid="rollout-task" value={task} placeholder="empty on the simulated rig: the scene's own task" onChange={(event) => setTask(event.target.value)} disabled={active} />
        </label>
        <div className="row settings">
          <label>
            Strategy
            <select data-testid="strategy-select" value={settings.strategy} onChange={(event) => setSettings({ ...settings, strategy: event.target.value as RolloutStrategy })} disabled={active}>
              {STRATEGIES.map((name) => <option key={name}>{name}</option>)}
            </select>
          </label>
          {settings.strategy === 'fixed' ? field('depth', 'Depth', String(defaults?.defaultDepth ?? 'default')) : field('delta', 'Delta', String(defaults?.delta ?? 'default'))}
          {settings.strategy === 'linear' && field('tau', 'Tau', String(defaults?.linear.tauBase ?? 'default'))}
          {field('horizon', 'Horizon', 'default')}
          {field('seconds', 'Seconds', '20')}
        </div>
        <div className="row">
          <button data-testid="rollout-start" className="primary" disabled={!rig.connected || !selected || busy !== null || active} onClick={() => void start()}>
            Start
          </button>
          <button data-testid="rollout-stop" disabled={!active} onClick={() => void run('stopping the rollout', () => client.rollout.stop())}>
            Stop
          </button>
          <button data-testid="estop" className="danger estop" onClick={() => void estop.current()}>
            E-STOP (Esc)
          </button>
        </div>
        {busy && <ProgressBar label={busy} />}
        <dl className="counters">
          <dt>state</dt><dd data-testid="rollout-state">{status.state}{status.episodeId ? ` · episode ${status.episodeId}` : ''}</dd>
          <dt>elapsed</dt><dd data-testid="rollout-elapsed">{status.elapsedS.toFixed(1)} s · {status.inferences} plans</dd>
          <dt>verdict</dt><dd data-testid="rollout-verdict">{status.verdict ? `${status.verdict.success ? 'success' : 'failure'}: ${status.verdict.detail}` : '-'}</dd>
          {status.error && (<><dt>stopped by</dt><dd className="bad">{status.error}</dd></>)}
        </dl>
      </section>

      <section className="cameras">
        {rig.cameras.map((camera) => <CameraView key={camera} camera={camera} overlay={overlay} />)}
        {rig.cameras.length === 0 && overlay && <div className="camera-overlay standalone">{overlay}</div>}
      </section>

      <section className="plots">
        <LinePlot
          title="k* and H_exec over time"
          testId="kstar-plot"
          xs={history.map((event) => event.tS)}
          series={[{ name: 'k*', values: history.map((event) => event.kStar) }, { name: 'H_exec', values: history.map((event) => event.horizon) }]}
          steps
          xLabel="s"
        />
        <LinePlot
          title="convergence of the latest plan (mean squared change per iteration)"
          testId="trace-plot"
          xs={(latest?.trace ?? []).map((_, index) => index + 2)}
          series={[{ name: 'change', values: latest?.trace ?? [] }]}
          xLabel="iteration"
        />
      </section>
    </div>
  );
}
