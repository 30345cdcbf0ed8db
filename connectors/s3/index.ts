export { amazonS3 } from './connector.js';
