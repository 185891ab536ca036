// tsv all the way (tsv ctl against tsv's daemon), compared with Supervisor all
// the way (supervisorctl against supervisord), over the ctl scenario table.
import { PYTHON_CTL, TSV_CTL } from './helpers/ctl-oracle';
import { defineDifferential } from './helpers/rpc-conformance';

defineDifferential('tsv ctl → tsv', { client: PYTHON_CTL, daemon: 'supervisord' }, { client: TSV_CTL, daemon: 'tsv' });
