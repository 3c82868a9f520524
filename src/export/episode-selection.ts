import { UserError } from '../common/errors.js';
import type { EpisodeStore } from '../store/episode-store.js';
import type { EpisodeFilter, EpisodeSummary } from '../store/episode-types.js';
import type { SkippedEpisode } from './export-types.js';

export interface SelectionOptions {
  filter?: EpisodeFilter;
  ids?: readonly number[];
  includeIncomplete?: boolean;
}

export interface EpisodeSelection {
  selected: EpisodeSummary[];
  skipped: SkippedEpisode[];
}

function describeFilter(filter: EpisodeFilter): string {
  const parts = Object.entries(filter)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `--${key} ${JSON.stringify(value)}`);
  return parts.length === 0 ? 'no filter' : parts.join(' ');
}

/**
 * Picks the episodes to export, in id order: those matching the filter and, when given, the ids.
 * Incomplete episodes (unless included) and episodes without steps are skipped with a reason.
 * Unknown ids and an empty selection raise a UserError.
 */
export function selectEpisodes(store: EpisodeStore, options: SelectionOptions): EpisodeSelection {
  const filter = options.filter ?? {};
  const listed = store.listEpisodes(filter);
  const skipped: SkippedEpisode[] = [];

  let candidates = listed;
  if (options.ids !== undefined) {
    const wanted = new Set(options.ids);
    const listedIds = new Set(listed.map((episode) => episode.id));
    for (const id of wanted) {
      if (listedIds.has(id)) continue;
      if (store.getEpisode(id) === undefined) {
        throw new UserError(`episode ${id} not found in ${store.path}: list the ids with \`rdvla episodes list --db ${store.path}\``);
      }
      skipped.push({ id, reason: `does not match ${describeFilter(filter)}` });
    }
    candidates = listed.filter((episode) => wanted.has(episode.id));
  }

  const selected: EpisodeSummary[] = [];
  for (const episode of candidates) {
    if (episode.incomplete && !options.includeIncomplete) {
      skipped.push({ id: episode.id, reason: 'incomplete (its recording did not finish): pass --include-incomplete to export it' });
    } else if (episode.stepCount === 0) {
      skipped.push({ id: episode.id, reason: 'has no steps' });
    } else {
      selected.push(episode);
    }
  }
  skipped.sort((a, b) => a.id - b.id);

  if (selected.length === 0) {
    const why = skipped.length === 0 ? `no episode in ${store.path} matches ${describeFilter(filter)}` : `every matching episode was skipped (${skipped.map((s) => `${s.id}: ${s.reason}`).join('; ')})`;
    throw new UserError(`nothing to export: ${why}: change the filter or the ids`);
  }
  return { selected, skipped };
}
