/**
 * What every service process shares: its configuration, logger and adapters as global providers, and /healthz (the process is alive) and /readyz (its stores and
 * the log answer, and its projections are within the lag bound).
 */
import { Controller, DynamicModule, Get, Global, Header, Inject, Logger, Module, Provider } from '@nestjs/common';
import { ServiceUnavailableError } from '@wharf/domain';
import { ConsumerLagSource, WharfMetrics } from '@wharf/metrics';
import { METRICS } from '@wharf/ports';
import { OperatorOnly } from './operator-only';

export const READINESS_CHECKS = Symbol('ReadinessChecks');

/**
 * A readiness check answers null when ready, or what is wrong in its own words (shown on
 * /readyz). A check that throws is shown only as the dependency it names (`readinessProbe`),
 * never with its error's message, which may carry a driver's text (hosts, users, internals):
 * that goes to the log.
 */
export type ReadinessCheck = () => Promise<string | null>;

/** A readiness check's dependency did not answer; `cause` is for the log only. */
export class DependencyNotReadyError extends Error {
  constructor(
    readonly dependency: string,
    cause: unknown,
  ) {
    super(`${dependency}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'DependencyNotReadyError';
  }
}

/** A readiness check that is ready when `probe` resolves, and names `dependency` when it fails. */
export function readinessProbe(dependency: string, probe: () => Promise<unknown>): ReadinessCheck {
  return async () => {
    try {
      await probe();
      return null;
    } catch (error) {
      throw new DependencyNotReadyError(dependency, error);
    }
  };
}

/** A consumer group's lag: events appended but not yet applied by that group. */
export type LagGauge = ConsumerLagSource;

/**
 * The readiness check of a process's projections: not ready while any consumer group lags the
 * log by more than `maxLag` events (WHARF_READY_MAX_LAG), so a load balancer stops sending
 * reads to an instance whose projection is far behind. Reads `gauges` on every call (they are
 * registered once the projectors have started). A gauge that cannot be read is a problem too.
 */
export function lagWithin(gauges: readonly LagGauge[], maxLag: number): ReadinessCheck {
  return async () => {
    const lag = async (gauge: LagGauge) => {
      try {
        return { group: gauge.group, lag: await gauge.lag() };
      } catch (error) {
        throw new DependencyNotReadyError(`the lag of consumer group ${gauge.group}`, error);
      }
    };
    const lags = await Promise.all(gauges.map(lag));
    const behind = lags
      .filter(({ lag }) => lag > maxLag)
      .map(({ group, lag }) => `consumer group ${group} lags by ${lag} events (more than ${maxLag})`);
    return behind.length > 0 ? behind.join('; ') : null;
  };
}

/**
 * Registers a process's started projectors: their lag on /metrics (`gauges`, which the process's
 * WharfMetrics reads at each scrape: ServiceHostModule.with) and, once, the
 * readiness check that fails while any of them lags by more than `maxLag` (`lagWithin`).
 */
export function followConsumerLag(
  checks: ReadinessCheck[],
  gauges: LagGauge[],
  maxLag: number,
  ...started: LagGauge[]
): void {
  gauges.push(...started);
  checks.push(lagWithin(gauges, maxLag));
}

@Controller()
class HealthController {
  private readonly logger = new Logger('readiness');

  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(METRICS) private readonly registry: WharfMetrics,
  ) {}

  /** The process's metrics in Prometheus text format (libs/metrics). Operators only where callers are known. */
  @Get('metrics')
  @OperatorOnly()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.exposition();
  }

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready() {
    const problems = (
      await Promise.all(this.checks.map((check) => check().catch((error) => this.notAnswering(error))))
    ).filter((p): p is string => p !== null);
    if (problems.length > 0) throw new ServiceUnavailableError(problems.join('; '));
    return { status: 'ready' };
  }

  /** What /readyz says of a check that threw: the dependency, never the error (that is logged). */
  private notAnswering(error: unknown): string {
    const dependency = error instanceof DependencyNotReadyError ? error.dependency : 'a dependency';
    this.logger.warn(
      `not ready: ${error instanceof DependencyNotReadyError ? error.message : `${dependency}: ${(error as Error)?.message ?? String(error)}`}`,
    );
    return `${dependency} is not answering`;
  }
}

@Global()
@Module({})
export class ServiceHostModule {
  /**
   * `providers`: the configuration, the logger and the adapters, as global providers; `metrics`,
   * the process's metrics (also the METRICS port the counting code injects), which report the
   * lag of `gauges`.
   */
  static with(
    providers: Provider[],
    checks: ReadinessCheck[],
    gauges: LagGauge[],
    metrics: WharfMetrics,
  ): DynamicModule {
    metrics.followConsumerLag(gauges);
    providers = [
      { provide: READINESS_CHECKS, useValue: checks },
      { provide: METRICS, useValue: metrics },
      ...providers,
    ];
    return {
      module: ServiceHostModule,
      controllers: [HealthController],
      providers,
      exports: providers.map((p) => (typeof p === 'function' ? p : (p as { provide: unknown }).provide)) as never[],
    };
  }
}
