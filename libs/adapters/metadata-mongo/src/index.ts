export * from './metadata-mongo.adapter';
