// CPU time spent by each part of the local stack, read from /proc, so a benchmark can say what
// one event costs in CPU in every process it crosses (the processor, Redis, Postgres, Kafka).
// Unlike throughput, CPU per event hardly depends on what else a shared machine is running, and
// summed over the parts it bounds the throughput the machine's cores can give at all.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

export type StackPart = 'redis' | 'postgres' | 'kafka';

/** CPU ticks per process id of each part; null where /proc is not there (not Linux). */
export type StackCpuSnapshot = ReadonlyMap<StackPart, ReadonlyMap<number, number>> | null;

const ticksPerSecond = 100; // USER_HZ on Linux, whatever the kernel's own tick rate

function partOf(pid: string): StackPart | null {
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (comm === 'redis-server') return 'redis';
    if (comm === 'postgres') return 'postgres';
    if (comm === 'java' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka'))
      return 'kafka';
  } catch {
    // the process ended meanwhile
  }
  return null;
}

function ticksOf(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces: utime and stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

export function stackCpu(): StackCpuSnapshot {
  if (os.platform() !== 'linux') return null;
  const parts = new Map<StackPart, Map<number, number>>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const part = partOf(pid);
    if (part === null) continue;
    const ticks = ticksOf(pid);
    if (ticks === null) continue;
    const byPid = parts.get(part) ?? new Map<number, number>();
    byPid.set(Number(pid), ticks);
    parts.set(part, byPid);
  }
  return parts;
}

/**
 * CPU seconds each part spent between two snapshots. A process that started in between counts
 * from zero (a new Postgres backend); one that ended in between is lost, which is why the
 * benchmark keeps its connections open across the window it measures.
 */
export function stackCpuSeconds(
  before: StackCpuSnapshot,
  after: StackCpuSnapshot,
): Record<StackPart, number> | null {
  if (before === null || after === null) return null;
  const seconds = { redis: 0, postgres: 0, kafka: 0 };
  for (const [part, byPid] of after) {
    for (const [pid, ticks] of byPid) {
      const start = before.get(part)?.get(pid) ?? 0;
      seconds[part] += Math.max(0, ticks - start) / ticksPerSecond;
    }
  }
  return seconds;
}
