export * from './account-store-mongo.adapter';
