// The disconnect node's schema versions (nodes/shared/migrations.ts). A flow file without `version` is version 0.
import { fillTypes, type MigrationStep } from '../shared/migrations';

export const MIGRATIONS: readonly MigrationStep[] = [
  // 0 -> 1: the TypedInput types an old flow file may lack, as the node has always read them (ids from
  // msg.<name>, the wrap-up from the node's own text).
  fillTypes({ conversationIdType: 'msg', participantIdType: 'msg', targetType: 'msg', wrapupCodeType: 'str', wrapupNotesType: 'str' }),
];
