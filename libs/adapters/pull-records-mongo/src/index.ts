export * from './pull-records-mongo.adapter';
