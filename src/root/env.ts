import type { z } from "zod";
import { channelModules } from "../../adapters/registry.js";
import { type CoreEnv, parseEnvWith } from "../config/env.js";

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type ShapeOf<M> = M extends { env: infer S extends z.ZodRawShape } ? S : never;

/** Every channel's variables in one shape, from the registry. */
export const channelsEnvShape = Object.assign({}, ...channelModules.map((m) => m.env)) as UnionToIntersection<
  ShapeOf<(typeof channelModules)[number]>
>;

/** The whole environment: the core variables and every registered channel's. */
export type Env = CoreEnv & z.infer<z.ZodObject<typeof channelsEnvShape>>;

/** Parse the whole environment; a malformed variable throws an `EnvError` naming it. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  return parseEnvWith(channelsEnvShape, source) as Env;
}
