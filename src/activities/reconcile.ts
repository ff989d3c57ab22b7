import type { ReconcileEvent } from '../domain/index.js';
import type { ActivityDeps } from './index.js';
import { listRoomParticipants } from './livekit-room-service.js';

/** Provider reconcile: a snapshot of who is really in the room, as an event the engine folds like any other. */
export function reconcileActivities({ config }: ActivityDeps) {
  return {
    async reconcileRoom(room: string): Promise<ReconcileEvent> {
      const { url, apiKey, apiSecret } = config.livekit;
      if (!url || !apiKey || !apiSecret) throw new Error('reconcile needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET');
      const present = await listRoomParticipants({ url, apiKey, apiSecret }, room);
      // Our clock, read when LiveKit answered: the instant the snapshot vouches for.
      const at = Date.now();
      return { kind: 'reconcile', key: `reconcile:${room}:${at}`, at, source: 'reconcile', present };
    },
  };
}
