// Supervisor's log levels (loggers.LevelsByName / LevelsByDescription).
import type { LogLevelName } from '../config/model';

export const Level = { CRIT: 50, ERRO: 40, WARN: 30, INFO: 20, DEBG: 10, TRAC: 5, BLAT: 3 } as const;
export type LevelTag = keyof typeof Level;
export type LevelNumber = (typeof Level)[LevelTag];

export const LEVEL_BY_NAME: Record<LogLevelName, LevelNumber> = {
  critical: Level.CRIT,
  error: Level.ERRO,
  warn: Level.WARN,
  info: Level.INFO,
  debug: Level.DEBG,
  trace: Level.TRAC,
  blather: Level.BLAT,
};

export function levelTag(n: number): LevelTag {
  for (const [k, v] of Object.entries(Level)) if (v === n) return k as LevelTag;
  return 'INFO';
}
