export { bulkApi, BULK_API_ID } from './connector.js';
export { stageUpload, type StageResult } from './staging.js';
