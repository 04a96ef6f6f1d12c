export * from './webhooks.module';
export * from './webhook-enqueuer';
export * from './webhook-dispatcher';
export * from './webhook-settings';
export * from './webhook-sender';
export * from './address-policy';
export * from './account-webhook-enqueuer';
