// Mocha reporter: the usual spec output, plus the counts written to $TEST_SUMMARY_FILE so that
// scripts/test.js can add up both Node-RED passes into the one `N passed, N failed` line CI reads.
import * as fs from 'node:fs';
import Mocha from 'mocha';

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const file = process.env.TEST_SUMMARY_FILE;
      if (!file) return;
      const stats = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      fs.writeFileSync(file, JSON.stringify({ passed: stats.passes, failed: stats.failures, pending: stats.pending }));
    });
  }
}

export = SummaryReporter;
