import { Injectable } from '@nestjs/common';
import { Caller, ChannelNotFoundError, findChannel, parseChannelName } from '@wharf/domain';
import { channelJson } from '../../presenters/appr.presenter';
import { ReadablePackages } from './readable-packages';

/** A package's channels, by name, and one channel: read from its head. */
@Injectable()
export class ShowChannelsUseCases {
  constructor(private readonly packages: ReadablePackages) {}

  async list(caller: Caller, namespace: string, name: string) {
    const view = await this.packages.head(caller, namespace, name);
    return [...view.channels].sort((a, b) => a.name.localeCompare(b.name)).map(channelJson);
  }

  async one(caller: Caller, namespace: string, name: string, channelName: string) {
    const view = await this.packages.head(caller, namespace, name);
    const channel = findChannel(view, parseChannelName(channelName));
    if (!channel) throw new ChannelNotFoundError(view.package, channelName);
    return channelJson(channel);
  }
}
