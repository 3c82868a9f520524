import { useState } from 'react';
import type { ArmName, BusScanResult, CalibrationFlowState, CalibrationStatus, RigStatus, SerialPortEntry } from '../../../src/service/api.js';
import { ARMS } from '../../../src/service/api.js';
import { ProgressBar } from '../components/progress-bar.js';
import { useAction } from '../hooks/notices.js';
import { useStudio, useTopic } from '../hooks/studio-context.js';

const NO_FLOW: CalibrationFlowState = { arm: null, phase: 'idle', motors: [] };

/** Rig connection, ports, motors per bus, calibration status and flow, torque. */
export function RigPage({ rig }: { rig: RigStatus }) {
  const client = useStudio();
  const { busy, run } = useAction();
  const [rigFile, setRigFile] = useState('');
  const [ports, setPorts] = useState<SerialPortEntry[] | null>(null);
  const [scans, setScans] = useState<BusScanResult[] | null>(null);
  const [calibration, setCalibration] = useState<CalibrationStatus | null>(null);

  return (
    <div className="page rig-page">
      <section className="panel">
        <h2>Connection</h2>
        <p data-testid="rig-summary">
          {rig.connected ? `${rig.name} from ${rig.source === 'sim' ? 'the simulator' : rig.rigFile} at ${rig.fps} Hz, ${rig.cameras.length} cameras` : 'No rig connected.'}
        </p>
        <div className="row">
          <button disabled={busy !== null} onClick={() => run('connecting the simulated rig', () => client.rig.connect({ sim: true }))}>
            Connect simulated rig
          </button>
          <input placeholder="rig file, e.g. /home/lab/aloha.json" value={rigFile} onChange={(event) => setRigFile(event.target.value)} />
          <button disabled={busy !== null || rigFile.trim() === ''} onClick={() => run('connecting the rig', () => client.rig.connect({ rigFile: rigFile.trim() }))}>
            Connect rig file
          </button>
          <button disabled={busy !== null || !rig.connected} onClick={() => run('disconnecting', () => client.rig.disconnect())}>
            Disconnect
          </button>
        </div>
        {busy && <ProgressBar label={busy} />}
      </section>

      <section className="panel">
        <h2>Ports and motors</h2>
        <div className="row">
          <button disabled={busy !== null} onClick={() => run('listing ports', async () => setPorts(await client.rig.listPorts()))}>
            Find ports
          </button>
          <button disabled={busy !== null || !rig.connected || rig.activity !== 'idle'} onClick={() => run('scanning the buses', async () => setScans(await client.rig.scanMotors({})))}>
            Scan motors
          </button>
        </div>
        {ports && (
          <table data-testid="ports">
            <thead>
              <tr><th>port</th><th>by-id</th><th>arm</th><th>manufacturer</th></tr>
            </thead>
            <tbody>
              {ports.length === 0 && <tr><td colSpan={4}>no serial ports found</td></tr>}
              {ports.map((port) => (
                <tr key={port.path}><td>{port.path}</td><td>{port.byIdPath ?? '-'}</td><td>{port.arm ?? '-'}</td><td>{port.manufacturer ?? '-'}</td></tr>
              ))}
            </tbody>
          </table>
        )}
        {scans && (
          <div className="bus-grid" data-testid="scans">
            {scans.map((scan) => (
              <table key={scan.port}>
                <caption>{scan.arm ?? scan.port} · {scan.motors.length} motors at {scan.baudRate} bps</caption>
                <thead><tr><th>id</th><th>model</th><th>firmware</th><th>position</th></tr></thead>
                <tbody>
                  {scan.motors.map((motor) => (
                    <tr key={motor.id}><td>{motor.id}</td><td>{motor.modelName ?? motor.modelNumber}</td><td>{motor.firmware}</td><td>{motor.position ?? 'no reply'}</td></tr>
                  ))}
                </tbody>
              </table>
            ))}
          </div>
        )}
      </section>

      <section className="panel">
        <h2>Torque</h2>
        <div className="row">
          {rig.arms.map((arm) => (
            <label key={arm.arm} className="toggle">
              <input
                type="checkbox"
                data-testid={`torque-${arm.arm}`}
                checked={arm.torque === true}
                disabled={busy !== null || rig.activity !== 'idle'}
                onChange={(event) => run(`torque ${arm.arm}`, () => client.rig.setTorque({ arm: arm.arm, enabled: event.target.checked }))}
              />
              {arm.arm}
            </label>
          ))}
          {!rig.connected && <span className="muted">connect a rig to switch torque</span>}
        </div>
      </section>

      <CalibrationPanel rig={rig} status={calibration} onStatus={setCalibration} />
    </div>
  );
}

function CalibrationPanel({ rig, status, onStatus }: { rig: RigStatus; status: CalibrationStatus | null; onStatus: (status: CalibrationStatus) => void }) {
  const client = useStudio();
  const { busy, run } = useAction();
  const flow = useTopic('calibration', NO_FLOW);
  const [arm, setArm] = useState<ArmName>('left_leader');
  const [saved, setSaved] = useState<string | null>(null);

  return (
    <section className="panel">
      <h2>Calibration</h2>
      <div className="row">
        <button disabled={busy !== null || !rig.connected} onClick={() => run('reading positions', async () => onStatus(await client.calibration.status()))}>
          Check calibration
        </button>
        <select value={arm} onChange={(event) => setArm(event.target.value as ArmName)} disabled={flow.phase !== 'idle'}>
          {ARMS.map((name) => <option key={name}>{name}</option>)}
        </select>
        {flow.phase === 'idle' && (
          <button disabled={busy !== null || !rig.connected || rig.activity !== 'idle'} onClick={() => run('starting calibration', () => client.calibration.begin({ arm }))}>
            Start calibration
          </button>
        )}
        {flow.phase === 'middle' && <button onClick={() => run('marking the middle pose', () => client.calibration.markMiddle())}>Mark middle pose</button>}
        {flow.phase === 'range' && (
          <button onClick={() => run('writing the calibration', async () => setSaved((await client.calibration.finish()).rigFile))}>Finish and save</button>
        )}
        {flow.phase !== 'idle' && <button onClick={() => run('cancelling', () => client.calibration.cancel())}>Cancel</button>}
      </div>

      {flow.phase === 'middle' && <p className="hint">Torque is off on {flow.arm}. Hold the arm at the middle of its range, then press Mark middle pose.</p>}
      {flow.phase === 'range' && <p className="hint">Move every joint of {flow.arm} slowly through its full range, then press Finish and save.</p>}
      {saved && flow.phase === 'idle' && <p className="hint">Calibration written to {saved}.</p>}

      {flow.phase !== 'idle' && (
        <table data-testid="calibration-flow">
          <thead><tr><th>id</th><th>joint</th><th>position</th><th>middle</th><th>min</th><th>max</th></tr></thead>
          <tbody>
            {flow.motors.map((motor) => (
              <tr key={motor.id}><td>{motor.id}</td><td>{motor.joint}</td><td>{motor.position ?? '-'}</td><td>{motor.middle ?? '-'}</td><td>{motor.min ?? '-'}</td><td>{motor.max ?? '-'}</td></tr>
            ))}
          </tbody>
        </table>
      )}

      {status && flow.phase === 'idle' && (
        <table data-testid="calibration-status">
          <caption>{status.outOfRange === 0 ? 'every motor is inside its calibrated range' : `${status.outOfRange} motors outside their calibrated range`}</caption>
          <thead><tr><th>arm</th><th>id</th><th>joint</th><th>position</th><th>range</th><th>homing offset</th><th></th></tr></thead>
          <tbody>
            {status.motors.map((motor) => (
              <tr key={`${motor.arm}-${motor.id}`}>
                <td>{motor.arm}</td><td>{motor.id}</td><td>{motor.joint}</td><td>{motor.position ?? '-'}</td>
                <td>{motor.calibration.rangeMin}..{motor.calibration.rangeMax}</td><td>{motor.calibration.homingOffset}</td>
                <td className={motor.inRange === false ? 'bad' : 'good'}>{motor.inRange === null ? '?' : motor.inRange ? 'ok' : 'out of range'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
