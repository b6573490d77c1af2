/** The statistics storage suite on PostgreSQL, a fresh schema per test (test/helpers/postgres.ts). */
import { freshSchema, postgresSkip } from '../helpers/postgres.js';
import { statsStorageSuite } from './storage.js';

statsStorageSuite('PostgreSQL', freshSchema, postgresSkip);
