import { openPglite } from '../store/pglite.ts';
import { daoSuite } from './dao.cases.ts';

daoSuite({ name: 'PGlite (in memory)', open: () => openPglite(undefined) });
