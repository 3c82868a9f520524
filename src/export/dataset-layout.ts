import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import type { SourceEpisode } from './source-episode.js';

const log = createLogger('export');

export interface CameraLayout {
  name: string;
  width: number;
  height: number;
}

/** What every exported episode must share: vector names, cameras and their sizes. */
export interface DatasetLayout {
  vectorNames: string[];
  robotType: string | null;
  /** Sorted by name. */
  cameras: CameraLayout[];
  /** Every step of the first episode carries follower velocity. */
  hasVelocity: boolean;
  /** Every step of the first episode carries follower current. */
  hasEffort: boolean;
}

export function layoutOf(source: SourceEpisode): DatasetLayout {
  return {
    vectorNames: source.vectorNames,
    robotType: source.robotType,
    cameras: source.cameras.map(({ name, width, height }) => ({ name, width, height })),
    hasVelocity: source.steps.every((step) => step.followerVelocity !== null),
    hasEffort: source.steps.every((step) => step.followerCurrent !== null),
  };
}

function describeCameras(cameras: readonly CameraLayout[]): string {
  return cameras.length === 0 ? 'no cameras' : cameras.map((camera) => `${camera.name} ${camera.width}x${camera.height}`).join(', ');
}

/**
 * Throws a UserError when an episode cannot join a dataset laid out as `layout`; warns when
 * it lacks velocity or current that the layout has, since those rows are then written as NaN.
 */
export function checkLayout(layout: DatasetLayout, source: SourceEpisode, firstId: number): void {
  const id = source.summary.id;
  if (source.vectorNames.join(',') !== layout.vectorNames.join(',')) {
    throw new UserError(
      `episode ${id} names its state values [${source.vectorNames.join(', ')}] but episode ${firstId} names them [${layout.vectorNames.join(', ')}]: export them into separate datasets with --ids`,
    );
  }
  const cameras = source.cameras.map(({ name, width, height }) => ({ name, width, height }));
  if (describeCameras(cameras) !== describeCameras(layout.cameras)) {
    throw new UserError(
      `episode ${id} has ${describeCameras(cameras)} but episode ${firstId} has ${describeCameras(layout.cameras)}: export them into separate datasets with --ids`,
    );
  }
  const missingVelocity = layout.hasVelocity ? source.steps.filter((step) => step.followerVelocity === null).length : 0;
  const missingEffort = layout.hasEffort ? source.steps.filter((step) => step.followerCurrent === null).length : 0;
  if (missingVelocity > 0 || missingEffort > 0) {
    log.warn(`episode ${id}: ${missingVelocity} steps without velocity and ${missingEffort} without current are written as NaN`);
  }
}
