// The events node's schema versions (nodes/shared/migrations.ts). A flow file without `version` is version 0.
import type { MigrationStep } from '../shared/migrations';

export const MIGRATIONS: readonly MigrationStep[] = [
  // 0 -> 1: the node's first version; a flow file without `version` reads as it is (its options absent: lib's
  // defaults, its topics as written).
  (config) => config,
];
