export {
  type DatastoreConfigSource,
  type DatastoreConfigSourceOptions,
  startDatastoreConfigSource,
} from './datastore-source.ts';
