/**
 * Deletes, channel changes and visibility: parse what the path names, check the caller's role
 * (then read the body, http/package-requests.ts), send the command to the package's
 * writer, present the answer in the reference server's shape.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  Caller,
  CommandMeta,
  PackageRef,
  Role,
  Visibility,
  assertRelease,
  parseChannelName,
  parseMediaType,
  parsePackageRef,
} from '@wharf/domain';
import { PACKAGE_COMMANDS, PackageCommands } from '@wharf/ports';
import { AccessControl } from '../auth/access-control';
import { channelJson } from '../presenters/appr.presenter';
import { AuditTrailUseCases } from './accounts/audit-trail.use-cases';
import type { RequestInput } from './request-input';

export interface PackagePath {
  namespace: string;
  name: string;
  meta: CommandMeta;
  caller: Caller;
}

@Injectable()
export class ChangePackageUseCases {
  constructor(
    @Inject(PACKAGE_COMMANDS) private readonly commands: PackageCommands,
    private readonly access: AccessControl,
    private readonly audit: AuditTrailUseCases,
  ) {}

  /** The package the path names, once the caller is known to hold `needed` on its namespace. */
  private async target(path: PackagePath, needed: Role = 'write'): Promise<PackageRef> {
    const ref = parsePackageRef(path.namespace, path.name);
    await this.access.require(path.caller, ref.namespace, needed);
    return ref;
  }

  /** Makes a package public or private (admin of its namespace); recorded in the namespace's audit trail. */
  async setVisibility(path: PackagePath & { visibility: RequestInput<Visibility> }) {
    const ref = await this.target(path, 'admin');
    const visibility = path.visibility();
    const result = await this.commands.execute({
      type: 'SetVisibility',
      package: ref.full,
      visibility,
      meta: path.meta,
    });
    if (result.sequences.length > 0)
      await this.audit.recordVisibility(path.caller, ref.full, ref.namespace, visibility);
    return { package: ref.full, visibility: result.visibility };
  }

  async deleteRelease(path: PackagePath & { release: string; mediaType: string }) {
    const ref = await this.target(path);
    const release = assertRelease(path.release);
    const mediaType = parseMediaType(path.mediaType);
    await this.commands.execute({ type: 'DeleteRelease', package: ref.full, release, mediaType, meta: path.meta });
    return { status: 'deleted', package: ref.full, release };
  }

  async addReleaseToChannel(path: PackagePath & { channel: string; release: string }) {
    const ref = await this.target(path);
    const channel = parseChannelName(path.channel);
    const release = assertRelease(path.release);
    const result = await this.commands.execute({
      type: 'AddReleaseToChannel',
      package: ref.full,
      channel,
      release,
      meta: path.meta,
    });
    return channelJson(result.channel!);
  }

  async removeReleaseFromChannel(path: PackagePath & { channel: string; release: string }) {
    const ref = await this.target(path);
    const channel = parseChannelName(path.channel);
    const release = assertRelease(path.release);
    await this.commands.execute({
      type: 'RemoveReleaseFromChannel',
      package: ref.full,
      channel,
      release,
      meta: path.meta,
    });
    return { status: 'deleted', package: ref.full, name: channel, release };
  }

  async deleteChannel(path: PackagePath & { channel: string }) {
    const ref = await this.target(path);
    const channel = parseChannelName(path.channel);
    await this.commands.execute({ type: 'DeleteChannel', package: ref.full, channel, meta: path.meta });
    return { channel, package: ref.full, action: 'delete' };
  }
}
