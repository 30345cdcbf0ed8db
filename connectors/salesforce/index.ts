export { salesforce } from './connector.js';
