import { useEffect, useRef, useState } from 'react';
import type { LoopStatus, RecordingStatus, RigStatus } from '../../../src/service/api.js';
import { CameraView } from '../components/camera-view.js';
import { LiveJointPlot } from '../components/live-joint-plot.js';
import { useAction } from '../hooks/notices.js';
import { useStudio } from '../hooks/studio-context.js';
import { isTyping } from './keyboard.js';

export const IDLE_LOOP: LoopStatus = { running: false, activity: 'idle', rateHz: 0, ticks: 0, overruns: 0, maxLatenessMs: 0, droppedFrames: {} };
const IDLE_RECORDING: RecordingStatus = { state: 'idle', task: '', episodeId: null, steps: 0, elapsedS: 0, sessionCount: 0, lastEpisodeId: null };

/** Teleop recording: live cameras and joints, task text, record / stop / re-record / discard with shortcuts. */
export function RecordPage({ rig }: { rig: RigStatus }) {
  const client = useStudio();
  const { busy, run } = useAction();
  const [loop, setLoop] = useState(IDLE_LOOP);
  const [recording, setRecording] = useState(IDLE_RECORDING);
  const [task, setTask] = useState('');

  // The loop stream sends a status twice per second while a loop runs and once when it stops,
  // so the page asks for the current one when it opens.
  useEffect(() => client.subscribe('loop', setLoop), [client]);
  useEffect(() => {
    void client.teleop.status().then(setLoop, () => undefined);
  }, [client]);
  useEffect(() => client.subscribe('recording', setRecording), [client]);
  useEffect(() => {
    void client.recording.status().then((status) => {
      setRecording(status);
      if (status.task) setTask((current) => current || status.task);
    });
  }, [client]);

  const isRecording = recording.state === 'recording';
  // The loop stream also reports a rollout's loop, which the teleop button neither shows nor stops.
  const teleopRunning = loop.running && loop.activity === 'teleop';
  const rigTaken = rig.activity !== 'idle' && rig.activity !== 'teleop';
  const actions = {
    toggle: () => (isRecording ? run('stopping', () => client.recording.stop()) : run('starting the recording', () => client.recording.start({ task: task.trim() }))),
    rerecord: () => run('recording again', () => client.recording.rerecord(task.trim() ? { task: task.trim() } : {})),
    discard: () => run('discarding', () => client.recording.discard()),
  };
  const latest = useRef(actions);
  latest.current = actions;

  // Shortcuts live in the page, not in a menu, so they work the same in Electron and the browser.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event) || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
      const action = event.key === ' ' ? 'toggle' : event.key === 'r' || event.key === 'R' ? 'rerecord' : event.key === 'Backspace' || event.key === 'Delete' ? 'discard' : null;
      if (!action) return;
      event.preventDefault();
      void latest.current[action]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const half = rig.jointNames.length / 2;
  const dropped = Object.entries(loop.droppedFrames);

  return (
    <div className="page record-page">
      <section className="panel controls">
        <label className="task">
          Task
          <input data-testid="task-input" value={task} placeholder="e.g. put the red cube in the bowl" onChange={(event) => setTask(event.target.value)} />
        </label>
        <div className="row">
          <button data-testid="record-button" className={isRecording ? 'danger' : 'primary'} disabled={!rig.connected || busy !== null || (!isRecording && task.trim() === '')} onClick={() => void actions.toggle()}>
            {isRecording ? 'Stop (Space)' : 'Record (Space)'}
          </button>
          <button data-testid="rerecord-button" disabled={!rig.connected || busy !== null} onClick={() => void actions.rerecord()}>Re-record (R)</button>
          <button data-testid="discard-button" disabled={busy !== null || (!isRecording && recording.lastEpisodeId === null)} onClick={() => void actions.discard()}>
            Discard (Del)
          </button>
          <button data-testid="teleop-button" disabled={!rig.connected || busy !== null || isRecording || rigTaken} onClick={() => void run('teleop', () => (teleopRunning ? client.teleop.stop() : client.teleop.start()))}>
            {teleopRunning ? 'Stop teleop' : 'Start teleop'}
          </button>
        </div>
        <dl className="counters">
          <dt>state</dt><dd data-testid="recording-state">{recording.state}{isRecording ? ` · episode ${recording.episodeId}` : ''}</dd>
          <dt>episodes this session</dt><dd data-testid="episode-counter">{recording.sessionCount}</dd>
          <dt>elapsed</dt><dd>{recording.elapsedS.toFixed(1)} s · {recording.steps} steps</dd>
          <dt>teleop</dt><dd data-testid="teleop-state">{teleopRunning ? 'running' : rigTaken ? `stopped: the rig is busy with ${rig.activity}` : 'stopped'}</dd>
          <dt>loop rate</dt><dd data-testid="loop-rate">{loop.running ? `${loop.rateHz.toFixed(1)} Hz` : 'stopped'} · {loop.overruns} overruns</dd>
          <dt>dropped frames</dt><dd>{dropped.length === 0 ? 'no cameras' : dropped.map(([camera, count]) => `${camera} ${count}`).join(' · ')}</dd>
        </dl>
        {!rig.connected && <p className="hint">Connect a rig on the Rig page first.</p>}
      </section>

      <section className="cameras">
        {rig.cameras.map((camera) => <CameraView key={camera} camera={camera} />)}
        {rig.connected && rig.cameras.length === 0 && <p className="muted">This rig has no cameras.</p>}
      </section>

      {half > 0 && (
        <section className="plots">
          <LiveJointPlot title="left arm" names={rig.jointNames.slice(0, half)} offset={0} />
          <LiveJointPlot title="right arm" names={rig.jointNames.slice(half)} offset={half} />
        </section>
      )}
    </div>
  );
}
