import { useEffect, useState } from 'react';
import type { RigStatus } from '../../src/service/api.js';
import type { StudioClient } from './client/studio-client.js';
import { StudioContext } from './hooks/studio-context.js';
import { NoticeProvider, useNotices } from './hooks/notices.js';
import { AutonomousPage } from './pages/autonomous-page.js';
import { EpisodesPage } from './pages/episodes-page.js';
import { RecordPage } from './pages/record-page.js';
import { RigPage } from './pages/rig-page.js';

const PAGES = ['rig', 'record', 'autonomous', 'episodes'] as const;
type Page = (typeof PAGES)[number];
const TITLES: Record<Page, string> = { rig: 'Rig', record: 'Record', autonomous: 'Autonomous', episodes: 'Episodes' };

export const NO_RIG: RigStatus = { connected: false, source: null, rigFile: null, name: null, fps: null, arms: [], cameras: [], jointNames: [], activity: 'idle' };

function pageFromHash(): Page {
  const name = new URLSearchParams(window.location.hash.replace(/^#/, '')).get('page');
  return PAGES.includes(name as Page) ? (name as Page) : 'record';
}

export function App({ client }: { client: StudioClient }) {
  return (
    <StudioContext.Provider value={client}>
      <NoticeProvider>
        <Shell client={client} />
      </NoticeProvider>
    </StudioContext.Provider>
  );
}

function Shell({ client }: { client: StudioClient }) {
  const { notices, notify, dismiss } = useNotices();
  const [page, setPage] = useState<Page>(pageFromHash);
  const [rig, setRig] = useState<RigStatus | null>(null);
  const [connected, setConnected] = useState(false);

  useEffect(() => client.onConnection(setConnected), [client]);
  useEffect(() => client.subscribe('rig.status', setRig), [client]);
  // Service warnings (bus retries and the like) stay in the service log; errors are shown.
  useEffect(() => client.subscribe('log', (entry) => entry.level === 'error' && notify('error', `${entry.channel}: ${entry.message}`)), [client, notify]);
  useEffect(() => {
    if (!connected) return;
    client.rig.status().then(setRig, (error: Error) => notify('error', error.message));
  }, [client, connected, notify]);

  // Tests and the Electron shell wait for this signal instead of sleeping.
  useEffect(() => {
    document.body.dataset.ready = connected && rig !== null ? 'true' : 'false';
  }, [connected, rig]);

  const choose = (next: Page) => {
    setPage(next);
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    params.set('page', next);
    window.history.replaceState(null, '', `#${params.toString()}`);
  };
  const status = rig ?? NO_RIG;

  return (
    <div className="shell">
      <header>
        <h1>RD-VLA Studio</h1>
        <nav>
          {PAGES.map((name) => (
            <button key={name} className={name === page ? 'tab active' : 'tab'} onClick={() => choose(name)} data-testid={`tab-${name}`}>
              {TITLES[name]}
            </button>
          ))}
        </nav>
        <div className="rig-pill" data-testid="rig-pill">
          {!connected ? 'service disconnected' : status.connected ? `${status.name} (${status.source}) · ${status.activity}` : 'no rig connected'}
        </div>
      </header>
      <div className="notices">
        {notices.map((notice) => (
          <div key={notice.id} className={`notice ${notice.level}`} role={notice.level === 'error' ? 'alert' : 'status'}>
            <span>{notice.message}</span>
            <button onClick={() => dismiss(notice.id)} aria-label="dismiss">×</button>
          </div>
        ))}
      </div>
      <main data-page={page}>
        {page === 'rig' && <RigPage rig={status} />}
        {page === 'record' && <RecordPage rig={status} />}
        {page === 'autonomous' && <AutonomousPage rig={status} />}
        {page === 'episodes' && <EpisodesPage />}
      </main>
    </div>
  );
}
