import type { ReconcileEvent } from '../domain/index.js';
import { storeFacts } from '../db/facts.js';
import type { ActivityDeps } from './deps.js';
import { currentRoomSid, listRoomParticipants } from './livekit-room-service.js';

export interface ReconcileTarget {
  sessionId: string;
  room: string;
  /** An ad-hoc session's room instance (sid): a later room under the same name is not this one. */
  instanceId?: string;
}

/**
 * Provider reconcile: a snapshot of who is really in the room, stored as a fact of the room (every session of
 * the room folds it) and returned to the asking session. Undefined when the room cannot be told apart.
 */
export function reconcileActivities({ config, pool }: ActivityDeps) {
  return {
    async reconcileRoom({ room, instanceId }: ReconcileTarget): Promise<ReconcileEvent | undefined> {
      const { url, apiKey, apiSecret } = config.livekit;
      if (!url || !apiKey || !apiSecret)
        throw new Error('reconcile needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET');
      const server = { url, apiKey, apiSecret };
      // Our clock, read before asking: the answer vouches for every instant from here until it arrives.
      const at = Date.now();
      const sid = await currentRoomSid(server, room);
      // The room this session knew is gone (not found, or its name reused by a newer room): nobody is in it.
      const gone = sid === undefined || (instanceId !== undefined && sid !== instanceId);
      const instance = instanceId ?? sid;
      if (instance === undefined) return undefined;
      const present = gone ? [] : await listRoomParticipants(server, room);
      const snapshot: ReconcileEvent = {
        kind: 'reconcile',
        key: `reconcile:${instance}:${at}`,
        at,
        source: 'reconcile',
        instance,
        present,
      };
      await storeFacts(pool, { provider: 'livekit', roomId: room, instanceId: instance }, [snapshot]);
      return snapshot;
    },
  };
}
