import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { exportEpisodes } from '../src/export/export-episodes.js';
import type { ExportOptions } from '../src/export/export-types.js';
import { recordSyntheticEpisode } from '../src/export/test-support/synthetic-episode.js';
import { EpisodeStore } from '../src/store/episode-store.js';
import { packageRoot } from '../src/common/package-root.js';

/**
 * `npm run bench -- export [SECONDS]`: one episode of SECONDS (60 by default) with three 640x480
 * cameras at 30 fps (JPEG frames of about 30-60 KB) and 50 Hz steps, exported to LeRobot (H.264,
 * the default encoder settings) and to ALOHA HDF5 (JPEG rows). Prints seconds of recording
 * exported per second of export time for each format.
 */
const TARGET_LEROBOT_SPEED = 10;
const CAMERAS = ['cam_high', 'cam_left_wrist', 'cam_right_wrist'].map((name) => ({ name, width: 640, height: 480, fps: 30 }));

const CACHE = path.join(packageRoot(), 'node_modules', '.cache', 'rdvla-bench');

/** Builds the benchmark episode once per length into the cache; returns the database path. */
async function benchmarkDatabase(seconds: number): Promise<string> {
  const dbPath = path.join(CACHE, `export-${seconds}s.db`);
  if (existsSync(dbPath)) return dbPath;

  mkdirSync(CACHE, { recursive: true });
  const building = `${dbPath}.building-${process.pid}`;
  const started = performance.now();
  const store = EpisodeStore.open(building);
  await recordSyntheticEpisode(store, { seconds, cameras: CAMERAS, seed: 11, motion: 'smooth', jpegQuality: 85 });
  const frames = store.readFrames(1);
  store.close();
  renameSync(building, dbPath);
  for (const suffix of ['-wal', '-shm']) rmSync(`${building}${suffix}`, { force: true });

  const meanKb = frames.reduce((sum, frame) => sum + frame.jpeg.byteLength, 0) / frames.length / 1024;
  console.log(`built ${dbPath}: ${frames.length} frames, mean JPEG ${meanKb.toFixed(1)} KB, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return dbPath;
}

function folderBytes(folder: string): number {
  let bytes = 0;
  for (const entry of readdirSync(folder, { recursive: true, encoding: 'utf8' })) {
    const stats = statSync(path.join(folder, entry));
    if (stats.isFile()) bytes += stats.size;
  }
  return bytes;
}

/**
 * Returns the CPU seconds used so far by this process and its finished children (the ffmpeg encoders), from
 * process.cpuUsage and the cutime and cstime fields of /proc/self/stat (Linux, clock ticks of 10 ms).
 */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  const childTicks = Number(fields[13]) + Number(fields[14]);
  return (own.user + own.system) / 1e6 + childTicks / 100;
}

async function measure(label: string, options: ExportOptions): Promise<void> {
  const cpuBefore = cpuSeconds();
  const result = await exportEpisodes(options);
  const cpu = cpuSeconds() - cpuBefore;
  const speed = result.recordedSeconds / result.elapsedS;
  const idleEstimate = result.recordedSeconds / (cpu / availableParallelism());
  const mb = folderBytes(options.outDir) / 1024 / 1024;
  console.log(`${label}: ${result.recordedSeconds.toFixed(1)} s of recording in ${result.elapsedS.toFixed(2)} s = ${speed.toFixed(1)}x real time; ${cpu.toFixed(1)} CPU s (${(result.recordedSeconds / cpu).toFixed(1)} s of recording per CPU second, ${idleEstimate.toFixed(1)}x real time if spread over ${availableParallelism()} idle CPUs); ${result.totalFrames} frames, ${mb.toFixed(1)} MB`);
}

export async function run(args: string[]): Promise<void> {
  const seconds = Number(args[0] ?? 60);
  if (!(seconds > 0)) throw new Error(`expected a positive number of seconds, got "${args[0]}"`);
  const dbPath = await benchmarkDatabase(seconds);
  const outRoot = mkdtempSync(path.join(tmpdir(), 'rdvla-bench-export-'));

  console.log(`export benchmark: ${seconds} s episode, 3 cameras 640x480 at 30 fps, steps at 50 Hz; ${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(2)}`);
  try {
    await measure('LeRobot v3.0 (H.264 ultrafast, crf 23, gop 10)', { dbPath, format: 'lerobot', outDir: path.join(outRoot, 'lerobot') });
    await measure('ALOHA HDF5 (JPEG rows)', { dbPath, format: 'aloha-hdf5', outDir: path.join(outRoot, 'aloha') });
    console.log(`target: LeRobot at least ${TARGET_LEROBOT_SPEED}x real time on 2 cores (printed, not enforced)`);
  } finally {
    rmSync(outRoot, { recursive: true, force: true });
  }
}
