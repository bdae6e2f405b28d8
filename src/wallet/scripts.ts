// Loads the wallet's Lua scripts (one file per atomic operation, `<name>-<numberOfKeys>.lua`, or
// `<name>-n.lua` when the caller passes the number of keys first), inlines `--@include <name>`
// fragments from lua/includes, and registers each with ioredis `defineCommand`, which runs them
// by SHA and reloads them after a Redis restart.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

const luaDir = fileURLToPath(new URL('./lua/', import.meta.url));

export interface LuaScript {
  readonly name: string;
  /** Undefined: the caller passes the number of keys as the first argument. */
  readonly numberOfKeys: number | undefined;
  readonly lua: string;
}

function inline(source: string): string {
  return source.replace(/^--@include (\w+)\s*$/gm, (_line, name: string) =>
    readFileSync(`${luaDir}includes/${name}.lua`, 'utf8'),
  );
}

export function readScripts(): LuaScript[] {
  return readdirSync(luaDir)
    .filter((f) => /^\w+-(\d+|n)\.lua$/.test(f))
    .map((file) => {
      const [, name, keys] = /^(\w+)-(\d+|n)\.lua$/.exec(file) ?? [];
      return {
        name: name ?? file,
        numberOfKeys: keys === 'n' ? undefined : Number(keys),
        lua: inline(readFileSync(luaDir + file, 'utf8')),
      };
    });
}

let cached: LuaScript[] | undefined;

/** Registers every wallet script on `redis` as a custom command named after its file. */
export function defineWalletCommands(redis: Redis): void {
  cached ??= readScripts();
  for (const s of cached) {
    redis.defineCommand(
      s.name,
      s.numberOfKeys === undefined ? { lua: s.lua } : { numberOfKeys: s.numberOfKeys, lua: s.lua },
    );
  }
}
