// The config node's schema versions (nodes/shared/migrations.ts). Version 1 added `version` itself: a flow file
// without it is version 0 and reads exactly as before.
import type { MigrationStep } from '../shared/migrations';

export const MIGRATIONS: readonly MigrationStep[] = [
  // 0 -> 1: nothing moved.
  (config) => config,
];
