export * from './chart-index-mongo.adapter';
