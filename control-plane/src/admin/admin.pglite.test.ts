// The Admin API suites on the embedded datastore (PGlite in memory).
import { conformanceCases } from './conformance.cases.ts';
import { entityCases } from './entities.cases.ts';
import { hostileCases } from './hostile.cases.ts';
import { serverCases } from './server.cases.ts';
import { openTestAdmin } from './testing/fixture.ts';

entityCases((overrides) => openTestAdmin(overrides));
serverCases((overrides) => openTestAdmin(overrides));
hostileCases((overrides) => openTestAdmin(overrides));
conformanceCases((overrides) => openTestAdmin(overrides));
