import { Module } from '@nestjs/common';
import { SearchProjector } from './search-projector';

/** The search service: owner of the search index. Expects EVENT_LOG and SEARCH_INDEX from the profile. */
@Module({ providers: [SearchProjector], exports: [SearchProjector] })
export class SearchModule {}
