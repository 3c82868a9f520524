/**
 * Child process of the crash test: records sample steps through EpisodeRecorder until it is
 * killed, printing "written N" each time the committed step count grows.
 * Usage: node --import tsx record-until-killed.ts DB_PATH
 */
import { sleep } from '../../common/clock.js';
import { EpisodeRecorder } from '../episode-recorder.js';
import { sampleMeta, sampleStep } from './sample-episode.js';

const path = process.argv[2];
if (!path) throw new Error('usage: record-until-killed.ts DB_PATH');

const recorder = await EpisodeRecorder.start(path, sampleMeta(), { flushIntervalMs: 20 });
process.stdout.write(`episode ${recorder.episodeId}\n`);

let reported = 0;
for (let index = 0; ; index++) {
  recorder.addStep(sampleStep(index));
  if (recorder.stepsWritten > reported) {
    reported = recorder.stepsWritten;
    process.stdout.write(`written ${reported}\n`);
  }
  if (index % 10 === 9) await sleep(2);
}
