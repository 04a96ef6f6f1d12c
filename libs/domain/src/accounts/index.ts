export * from './account.view';
export * from './account.events';
export * from './account.decider';
export * from './access-policy';
export * from './credentials';
export * from './account-inputs';
export * from './account-cloud-events';
