import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';

/** Custom search attributes an operator filters sessions by in the Temporal Web UI (plain keys: workflow code imports only types from @temporalio/common). */
export const SessionIdAttr: SearchAttributeKey<'KEYWORD'> = { name: 'SessionId', type: 'KEYWORD' };
export const ProviderAttr: SearchAttributeKey<'KEYWORD'> = { name: 'Provider', type: 'KEYWORD' };
export const RoomAttr: SearchAttributeKey<'KEYWORD'> = { name: 'Room', type: 'KEYWORD' };
export const SessionStatusAttr: SearchAttributeKey<'KEYWORD'> = { name: 'SessionStatus', type: 'KEYWORD' };
export const ParticipantCountAttr: SearchAttributeKey<'INT'> = { name: 'ParticipantCount', type: 'INT' };

const CLI_TYPE_NAMES = { KEYWORD: 'Keyword', INT: 'Int' } as const;

/** Name=Type pairs as `temporal server start-dev --search-attribute` takes them. */
export const SEARCH_ATTRIBUTE_DECLARATIONS = [
  SessionIdAttr,
  ProviderAttr,
  RoomAttr,
  SessionStatusAttr,
  ParticipantCountAttr,
].map((key) => `${key.name}=${CLI_TYPE_NAMES[key.type]}`);
