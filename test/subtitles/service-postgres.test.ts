/** The community subtitle service on PostgreSQL, a fresh schema per test (test/helpers/postgres.ts). */
import { freshSchema, postgresSkip } from '../helpers/postgres.js';
import { serviceSuite } from './service-suite.js';

serviceSuite('PostgreSQL', freshSchema, { skip: postgresSkip });
