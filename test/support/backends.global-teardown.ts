/**
 * jest globalTeardown of the `int` project: stops what the globalSetup started
 * (testcontainers, or local servers that were not already running; set
 * WHARF_BACKENDS_KEEP=1 to keep local servers up between runs).
 */
import { releaseBackendEndpoints } from '../../libs/testing/src/backends/backend-endpoints';

export default async function globalTeardown(): Promise<void> {
  await releaseBackendEndpoints();
}
