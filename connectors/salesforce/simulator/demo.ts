// The connected app the simulator knows unless told otherwise: what `npm run dev` and the README's
// walk-through use. Not secret: it opens nothing but the simulator.
export const DEMO_APP = {
  clientId: '3MVG9SyncLineDemoConnectedAppClientId0000000000000000000000000000000000000',
  clientSecret: 'SYNCLINE-DEMO-CONSUMER-SECRET-0001',
  callbackUrls: ['http://localhost:3000/v1/oauth/callback', 'http://127.0.0.1:3000/v1/oauth/callback'],
} as const;
