/** keyv's default serializer costs ~50 µs a round trip; sessions are plain JSON (performance.md). */
export const JSON_SERDE = { serialize: JSON.stringify, deserialize: JSON.parse } as const;

/** Settings both backends take from config. */
export interface BackendOptions {
  /** Sends in flight at once, per channel and for operators' posts (config/limits.yaml `delivery`). */
  delivery?: { per_channel: number; operators: number };
}

export const DEFAULT_DELIVERY = { per_channel: 16, operators: 8 } as const;
