/**
 * Channel logger: one named channel per module, lines written to stderr as
 * `<ISO time> <level> <channel>: <message>`. The level comes from RDVLA_LOG_LEVEL
 * (debug, info, warn, error; default info). Extra sinks receive every record, so the
 * application service can forward log lines to the UI.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  time: Date;
  level: LogLevel;
  channel: string;
  message: string;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

type LogSink = (record: LogRecord) => void;
const sinks = new Set<LogSink>();

function thresholdFromEnv(): LogLevel {
  const value = process.env.RDVLA_LOG_LEVEL;
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : 'info';
}

let threshold: LogLevel = thresholdFromEnv();

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

/** Adds a sink that receives every record at or above the current level; returns its remover. */
export function addLogSink(sink: LogSink): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

function emit(level: LogLevel, channel: string, message: string): void {
  if (LEVEL_RANK[level] < LEVEL_RANK[threshold]) return;
  const record: LogRecord = { time: new Date(), level, channel, message };
  process.stderr.write(`${record.time.toISOString()} ${level} ${channel}: ${message}\n`);
  for (const sink of sinks) sink(record);
}

export function createLogger(channel: string): Logger {
  return {
    debug: (message) => emit('debug', channel, message),
    info: (message) => emit('info', channel, message),
    warn: (message) => emit('warn', channel, message),
    error: (message) => emit('error', channel, message),
  };
}
