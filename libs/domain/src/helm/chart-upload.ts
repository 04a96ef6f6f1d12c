/**
 * What a chart upload (ChartMuseum API) becomes: the package and release named by the chart's
 * own Chart.yaml, validated by the same rules as any push (package name, strict SemVer).
 */
import type { ChartMetadata } from '../archive/chart-metadata';
import { InvalidChartError, WharfError } from '../errors';
import { PackageRef, parsePackageRef } from '../names';
import { assertRelease } from '../semver';

export interface ChartCoordinates {
  ref: PackageRef;
  release: string;
}

export function chartCoordinates(
  namespace: string,
  chart: ChartMetadata | null,
  chartProblem: string | null,
): ChartCoordinates {
  if (!chart) throw new InvalidChartError(chartProblem ?? 'the archive has no Chart.yaml');
  const ref = parsePackageRef(namespace, chart.name);
  try {
    return { ref, release: assertRelease(chart.version) };
  } catch (error) {
    if (error instanceof WharfError) throw new InvalidChartError(`Chart.yaml version: ${error.message}`);
    throw error;
  }
}
