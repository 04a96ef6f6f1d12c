/**
 * What every service process shares: its configuration, logger and adapters as global providers, and /healthz (the process is alive) and /readyz (its stores and
 * the log answer, and its projections are within the lag bound).
 */
import { Controller, DynamicModule, Get, Global, Inject, Module, Provider } from '@nestjs/common';
import { ServiceUnavailableError } from '@wharf/domain';

export const READINESS_CHECKS = Symbol('ReadinessChecks');

/** A readiness check answers null when ready, or what is wrong. */
export type ReadinessCheck = () => Promise<string | null>;

@Controller()
class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready() {
    const problems = (await Promise.all(this.checks.map((check) => check().catch((error) => String(error))))).filter((p): p is string => p !== null);
    if (problems.length > 0) throw new ServiceUnavailableError(problems.join('; '));
    return { status: 'ready' };
  }
}

@Global()
@Module({})
export class ServiceHostModule {
  /** `providers`: the configuration, the logger and the adapters, as global providers. */
  static with(providers: Provider[], checks: ReadinessCheck[]): DynamicModule {
    providers = [{ provide: READINESS_CHECKS, useValue: checks }, ...providers];
    return {
      module: ServiceHostModule,
      controllers: [HealthController],
      providers,
      exports: providers.map((p) => (typeof p === 'function' ? p : (p as { provide: unknown }).provide)) as never[],
    };
  }
}
