export { gainsightPx } from './connector.js';
