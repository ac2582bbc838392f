// The hardening project's global setup: after the run, merge the figures every suite file
// recorded into results/summary.{json,md} (see results.ts).
import { writeSummary } from './results';

export default function setup(): () => void {
  return () => {
    writeSummary();
  };
}
