/**
 * Deletes and channel changes: parse what the path names, send the command to the package's
 * writer, present the answer in the reference server's shape.
 */
import { Inject, Injectable } from '@nestjs/common';
import { CommandMeta, assertRelease, findChannel, parseChannelName, parseMediaType, parsePackageRef } from '@wharf/domain';
import { PACKAGE_COMMANDS, PackageCommands } from '@wharf/ports';
import { channelJson } from '../presenters/appr.presenter';

export interface PackagePath {
  namespace: string;
  name: string;
  meta: CommandMeta;
}

@Injectable()
export class ChangePackageUseCases {
  constructor(@Inject(PACKAGE_COMMANDS) private readonly commands: PackageCommands) {}

  async deleteRelease(path: PackagePath & { release: string; mediaType: string }) {
    const ref = parsePackageRef(path.namespace, path.name);
    const release = assertRelease(path.release);
    const mediaType = parseMediaType(path.mediaType);
    await this.commands.execute({ type: 'DeleteRelease', package: ref.full, release, mediaType, meta: path.meta });
    return { status: 'deleted', package: ref.full, release };
  }

  async addReleaseToChannel(path: PackagePath & { channel: string; release: string }) {
    const ref = parsePackageRef(path.namespace, path.name);
    const channel = parseChannelName(path.channel);
    const release = assertRelease(path.release);
    const { view } = await this.commands.execute({ type: 'AddReleaseToChannel', package: ref.full, channel, release, meta: path.meta });
    return channelJson(findChannel(view, channel)!);
  }

  async removeReleaseFromChannel(path: PackagePath & { channel: string; release: string }) {
    const ref = parsePackageRef(path.namespace, path.name);
    const channel = parseChannelName(path.channel);
    const release = assertRelease(path.release);
    await this.commands.execute({ type: 'RemoveReleaseFromChannel', package: ref.full, channel, release, meta: path.meta });
    return { status: 'deleted', package: ref.full, name: channel, release };
  }

  async deleteChannel(path: PackagePath & { channel: string }) {
    const ref = parsePackageRef(path.namespace, path.name);
    const channel = parseChannelName(path.channel);
    await this.commands.execute({ type: 'DeleteChannel', package: ref.full, channel, meta: path.meta });
    return { channel, package: ref.full, action: 'delete' };
  }
}
