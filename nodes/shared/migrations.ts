// Versioned node configs: every node's config carries `version`; a flow file written before a change is brought
// up to date by that node's steps (nodes/<node>/migrations.ts) when the node is built, never rewritten on disk.
// A flow file without `version` is version 0. One step per version: steps[v] turns version v into v + 1.
import { type GenesysError, invalidInput } from '../../lib';

export type MigrationStep = (config: Record<string, unknown>) => Record<string, unknown>;

/** A node config at the current version, or the reason it cannot be read (a version from the future...). */
export function migrate<T extends object>(config: T, steps: readonly MigrationStep[]): { config: T & { version: number }; problem?: GenesysError } {
  const current = steps.length;
  const raw = config as Record<string, unknown>;
  const given = raw.version;
  // A number, or its digits as text (a hand-written flow file); anything else (true, "1.0e0") is refused.
  const version =
    given === undefined || given === null || given === ''
      ? 0
      : typeof given === 'number'
        ? given
        : typeof given === 'string' && /^\s*\d+\s*$/.test(given)
          ? Number(given)
          : NaN;
  if (!Number.isInteger(version) || version < 0 || version > current) {
    const problem = invalidInput(
      'version',
      `must be a whole number from 0 to ${current} (this package's version of the node), got ${JSON.stringify(raw.version)}`,
    );
    return { config: { ...config, version: current }, problem };
  }
  let out: Record<string, unknown> = { ...raw };
  for (let v = version; v < current; v++) out = { ...steps[v](out), version: v + 1 };
  return { config: out as T & { version: number } };
}

/** A step that gives absent or blank TypedInput types their value as the node already reads them. */
export function fillTypes(types: Record<string, string>): MigrationStep {
  return (config) => {
    const out = { ...config };
    for (const [field, type] of Object.entries(types)) {
      if (out[field] === undefined || out[field] === null || out[field] === '') out[field] = type;
    }
    return out;
  };
}
