// A gateway's own behaviour, beside mqtt-fleet's publish plan: announce itself (retained),
// count what it receives, report a heartbeat every second, and say goodbye at the end.

export const tickMs = 1000;

export async function onConnect(ctx, { reconnect }) {
  ctx.state.received ??= 0;
  await ctx.publish(`cloud/status/${ctx.clientId}`, 'online', { qos: 1, retain: true });
  if (reconnect) ctx.log('reconnected');
}

export function onMessage(ctx) {
  ctx.state.received++;
}

export async function tick(ctx) {
  await ctx.publish(`cloud/heartbeat/${ctx.index}`, JSON.stringify({ received: ctx.state.received, at: Date.now() }));
}

export async function teardown(ctx) {
  await ctx.publish(`cloud/status/${ctx.clientId}`, 'offline', { qos: 1, retain: true });
  ctx.log(`received ${ctx.state.received} messages`);
}
