import type { ComponentDirs } from './build.ts';
import type { RunningService } from './processes.ts';

/** What every component starter gets: where to write, which binaries to run, how to report. */
export interface BedContext {
  /** Scratch data (etcd, Kafka logs, PostgreSQL cluster), removed by `down`. */
  runDir: string;
  logsDir: string;
  components: ComponentDirs;
  log: (line: string) => void;
  /** Records a started service at once, so a failed or killed `up` can stop exactly those. */
  track: (service: RunningService) => void;
}
