/** The catalog conformance suite on PostgreSQL, a fresh schema per test (test/helpers/postgres.ts). */
import { freshSchema, postgresSkip } from '../helpers/postgres.js';
import { catalogConformance } from './conformance.js';
import { contractsConformance } from './contracts-conformance.js';

catalogConformance('PostgreSQL', freshSchema, { skip: postgresSkip, concurrentConnections: true });
contractsConformance('PostgreSQL', freshSchema, { skip: postgresSkip, concurrentConnections: true });
