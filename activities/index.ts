import type { ActivityDeps } from './deps.js';
import { withFailureTranslation } from './failures.js';
import { createNotifyActivities } from './notify.js';
import { createRunActivities } from './runs.js';
import { createSyncPages } from './sync-pages.js';
import { createPreviewActivities } from './preview.js';

export type { ActivityDeps } from './deps.js';

export function createActivities(deps: ActivityDeps) {
  return withFailureTranslation({
    ...createRunActivities(deps),
    ...createNotifyActivities(deps),
    ...createPreviewActivities(deps),
    syncPages: createSyncPages(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
