// Supervisor's own supervisorctl against tsv's daemon, compared with the same
// supervisorctl against the real supervisord, over the ctl scenario table.
import { PYTHON_CTL } from './helpers/ctl-oracle';
import { defineDifferential } from './helpers/rpc-conformance';

defineDifferential('supervisorctl → tsv', { client: PYTHON_CTL, daemon: 'supervisord' }, { client: PYTHON_CTL, daemon: 'tsv' });
