import { useCallback, useEffect, useState } from 'react';
import type { EpisodeEntry, EpisodeFilterParams, EpisodeKind, EpisodeOutcome, ExportAvailability, ExportFormat, ExportProgress } from '../../../src/service/api.js';
import { ProgressBar } from '../components/progress-bar.js';
import { useAction } from '../hooks/notices.js';
import { useStudio } from '../hooks/studio-context.js';
import { ReviewPlayer } from './review-player.js';

/** Episode list with filters, labels, deletion and export, plus the review player of the open episode. */
export function EpisodesPage() {
  const client = useStudio();
  const { busy, run } = useAction();
  const [filter, setFilter] = useState<EpisodeFilterParams>({});
  const [episodes, setEpisodes] = useState<EpisodeEntry[] | null>(null);
  const [tasks, setTasks] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [confirming, setConfirming] = useState<number | null>(null);
  const [open, setOpen] = useState<number | null>(null);

  const refresh = useCallback(async () => {
    const [filtered, all] = await Promise.all([client.episodes.list(filter), client.episodes.list({})]);
    setEpisodes(filtered);
    setTasks([...new Set(all.map((episode) => episode.task))].sort());
  }, [client, filter]);

  useEffect(() => {
    void run('loading episodes', refresh);
  }, [refresh, run]);
  useEffect(() => client.subscribe('episodes.changed', () => void refresh().catch(() => undefined)), [client, refresh]);

  const label = (id: number, outcome: EpisodeOutcome) => run(`labelling episode ${id}`, () => client.episodes.label({ id, outcome }));
  const remove = (id: number) =>
    run(`deleting episode ${id}`, async () => {
      await client.episodes.delete({ id });
      setConfirming(null);
      if (open === id) setOpen(null);
      setSelected((current) => new Set([...current].filter((value) => value !== id)));
    });
  const toggle = (id: number) => setSelected((current) => (current.has(id) ? new Set([...current].filter((value) => value !== id)) : new Set([...current, id])));

  return (
    <div className="page episodes-page">
      <section className="panel">
        <div className="row filters">
          <label>
            Task
            <select data-testid="filter-task" value={filter.task ?? ''} onChange={(event) => setFilter({ ...filter, task: event.target.value || undefined })}>
              <option value="">all tasks</option>
              {tasks.map((task) => <option key={task}>{task}</option>)}
            </select>
          </label>
          <label>
            Kind
            <select data-testid="filter-kind" value={filter.kind ?? ''} onChange={(event) => setFilter({ ...filter, kind: (event.target.value || undefined) as EpisodeKind | undefined })}>
              <option value="">all kinds</option>
              <option>teleop</option>
              <option>rollout</option>
            </select>
          </label>
          <label>
            Outcome
            <select data-testid="filter-outcome" value={filter.outcome ?? ''} onChange={(event) => setFilter({ ...filter, outcome: (event.target.value || undefined) as EpisodeOutcome | undefined })}>
              <option value="">all outcomes</option>
              <option>unlabelled</option>
              <option>success</option>
              <option>failure</option>
            </select>
          </label>
        </div>
        {busy && <ProgressBar label={busy} />}
        <table className="episodes" data-testid="episode-list">
          <thead>
            <tr><th></th><th>id</th><th>task</th><th>kind</th><th>steps</th><th>duration</th><th>outcome</th><th></th></tr>
          </thead>
          <tbody>
            {episodes?.length === 0 && <tr><td colSpan={8}>no episodes match the filter</td></tr>}
            {episodes?.map((episode) => (
              <tr key={episode.id} data-testid={`episode-row-${episode.id}`} className={open === episode.id ? 'open' : undefined}>
                <td><input type="checkbox" aria-label={`select episode ${episode.id}`} checked={selected.has(episode.id)} onChange={() => toggle(episode.id)} /></td>
                <td>{episode.id}</td>
                <td>{episode.task}</td>
                <td>{episode.kind}</td>
                <td>{episode.steps}</td>
                <td>{episode.durationS.toFixed(1)} s{episode.incomplete ? ' (incomplete)' : ''}</td>
                <td className={`outcome ${episode.outcome}`} data-testid={`outcome-${episode.id}`}>{episode.outcome}</td>
                <td className="actions">
                  <button onClick={() => setOpen(episode.id)} data-testid={`open-${episode.id}`}>Open</button>
                  <button onClick={() => void label(episode.id, 'success')} data-testid={`success-${episode.id}`}>Success</button>
                  <button onClick={() => void label(episode.id, 'failure')} data-testid={`failure-${episode.id}`}>Failure</button>
                  {confirming === episode.id ? (
                    <>
                      <button className="danger" onClick={() => void remove(episode.id)} data-testid={`confirm-delete-${episode.id}`}>Delete for good</button>
                      <button onClick={() => setConfirming(null)}>Keep</button>
                    </>
                  ) : (
                    <button onClick={() => setConfirming(episode.id)} data-testid={`delete-${episode.id}`}>Delete</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <ExportPanel selected={[...selected].sort((a, b) => a - b)} />
      </section>
      {open !== null && <ReviewPlayer key={open} id={open} onLabel={label} />}
    </div>
  );
}

function ExportPanel({ selected }: { selected: number[] }) {
  const client = useStudio();
  const { busy, run } = useAction();
  const [availability, setAvailability] = useState<ExportAvailability | null>(null);
  const [format, setFormat] = useState<ExportFormat>('lerobot');
  const [progress, setProgress] = useState<ExportProgress | null>(null);

  useEffect(() => {
    void client.export.availability().then((value) => {
      setAvailability(value);
      if (value.formats[0]) setFormat(value.formats[0]);
    });
  }, [client]);
  useEffect(() => client.subscribe('export.progress', setProgress), [client]);

  return (
    <div className="row export" data-testid="export-panel">
      <select data-testid="export-format" value={format} onChange={(event) => setFormat(event.target.value as ExportFormat)} disabled={!availability?.available}>
        {(availability?.formats ?? []).map((name) => <option key={name}>{name}</option>)}
      </select>
      <button
        disabled={!availability?.available || selected.length === 0 || busy !== null}
        onClick={() => void run('exporting', () => client.export.start({ episodeIds: selected, format }))}
        data-testid="export-button"
      >
        Export {selected.length} selected
      </button>
      {availability && !availability.available && <span className="muted">export unavailable: {availability.reason}</span>}
      {progress && !progress.finished && <ProgressBar label={`${progress.stage} ${progress.done}/${progress.total}`} done={progress.done} total={progress.total} />}
      {progress?.finished && <span className={progress.error ? 'bad' : 'good'} data-testid="export-result">{progress.error ?? `written to ${progress.outDir}`}</span>}
    </div>
  );
}
