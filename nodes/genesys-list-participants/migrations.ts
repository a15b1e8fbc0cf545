// The list node's schema versions (nodes/shared/migrations.ts). A flow file without `version` is version 0.
import { fillTypes, type MigrationStep } from '../shared/migrations';

export const MIGRATIONS: readonly MigrationStep[] = [
  // 0 -> 1: the TypedInput types an old flow file may lack, as the node has always read them (msg.<name>).
  fillTypes({ conversationIdType: 'msg', targetType: 'msg' }),
];
